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

int RingbufReader::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingbufReader*>(ctx);
  if (size < sizeof(rw_event)) {
    self->malformed_++;
    return 0;
  }
  // One interval holds at most kMaxEvents (what a recording may hold); the
  // rest are lost like events the ring buffer had no room for.
  if (self->sink_->size() >= limits::kMaxEvents) {
    self->overflowed_++;
    return 0;
  }
  rw_event e;
  std::memcpy(&e, data, sizeof(e));
  self->sink_->push_back(e);
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
