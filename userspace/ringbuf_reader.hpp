// RAII over a libbpf ring_buffer that collects lifecycle events.
#pragma once

#include <memory>
#include <vector>

extern "C" {
#include "events.h"
}

struct ring_buffer;

namespace rcuwatch {

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
  // Records that were not a whole rw_event (a BPF/userspace ABI mismatch).
  uint64_t malformed() const { return malformed_; }
  // Events not kept because an interval already had limits::kMaxEvents.
  uint64_t overflowed() const { return overflowed_; }

 private:
  static int on_record(void* self, void* data, size_t size);
  struct Deleter {
    void operator()(ring_buffer* rb) const;
  };
  std::unique_ptr<ring_buffer, Deleter> rb_;
  std::vector<rw_event>* sink_ = nullptr;
  uint64_t malformed_ = 0;
  uint64_t overflowed_ = 0;
};

}  // namespace rcuwatch
