// RAII over a libbpf ring_buffer that collects lifecycle events.
#pragma once

#include <memory>
#include <vector>

extern "C" {
#include "events.h"
}

struct ring_buffer;

namespace rcuwatch {

// One ring-buffer record to an event: a whole rw_event is appended to the
// interval's events, unless it already holds limits::kMaxEvents (what a
// recording may hold); a shorter record (a BPF/userspace ABI mismatch) is
// counted, never read past its end. Separate from the ring buffer so that
// tests/fuzz/ drives it with arbitrary records.
class EventDecoder {
 public:
  void add(const void* data, size_t size, std::vector<rw_event>& events);
  uint64_t malformed() const { return malformed_; }
  uint64_t overflowed() const { return overflowed_; }

 private:
  uint64_t malformed_ = 0;
  uint64_t overflowed_ = 0;
};

class RingbufReader {
 public:
  explicit RingbufReader(int map_fd);
  ~RingbufReader();
  RingbufReader(const RingbufReader&) = delete;
  RingbufReader& operator=(const RingbufReader&) = delete;

  // Waits up to timeout_ms for events and appends them to `out`.
  void poll(int timeout_ms, std::vector<rw_event>& out);
  // Appends whatever is there now without waiting.
  void drain(std::vector<rw_event>& out);
  // Records not kept (EventDecoder): lost like events the ring buffer had
  // no room for, and counted with them.
  uint64_t lost() const { return decoder_.malformed() + decoder_.overflowed(); }

 private:
  static int on_record(void* self, void* data, size_t size);
  struct Deleter {
    void operator()(ring_buffer* rb) const;
  };
  std::unique_ptr<ring_buffer, Deleter> rb_;
  std::vector<rw_event>* sink_ = nullptr;
  EventDecoder decoder_;
};

}  // namespace rcuwatch
