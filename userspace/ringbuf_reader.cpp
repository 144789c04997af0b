#include "ringbuf_reader.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "error.hpp"
#include "limits.hpp"

namespace rcuwatch {

void RingbufReader::Deleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

RingbufReader::RingbufReader(int map_fd)
    : rb_(ring_buffer__new(map_fd, &RingbufReader::on_record, this, nullptr)) {
  if (!rb_) throw Error(std::string("cannot open the BPF ring buffer: ") + std::strerror(errno));
}

RingbufReader::~RingbufReader() = default;

void EventDecoder::add(const void* data, size_t size, std::vector<rw_event>& events) {
  if (size < sizeof(rw_event)) {
    malformed_++;
    return;
  }
  if (events.size() >= limits::kMaxEvents) {
    overflowed_++;
    return;
  }
  rw_event e;
  std::memcpy(&e, data, sizeof(e));  // a longer record (a newer ABI): its known prefix
  events.push_back(e);
}

int RingbufReader::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingbufReader*>(ctx);
  self->decoder_.add(data, size, *self->sink_);
  return 0;
}

void RingbufReader::poll(int timeout_ms, std::vector<rw_event>& out) {
  sink_ = &out;
  int n = ring_buffer__poll(rb_.get(), timeout_ms);
  sink_ = nullptr;
  if (n < 0 && n != -EINTR)
    throw Error(std::string("reading the BPF ring buffer failed: ") + std::strerror(-n));
}

void RingbufReader::drain(std::vector<rw_event>& out) {
  sink_ = &out;
  int n = ring_buffer__consume(rb_.get());
  sink_ = nullptr;
  if (n < 0 && n != -EINTR)
    throw Error(std::string("reading the BPF ring buffer failed: ") + std::strerror(-n));
}

}  // namespace rcuwatch
