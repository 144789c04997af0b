// Reads map pending_slots (bpf/accounting.bpf.h): the seqs tracepoint mode
// keeps in an mmap-able BPF array instead of the pending hash. The array is
// mapped once, read-only, and copied slot by slot each interval: no
// syscall per entry (a batch read of the hash costs ~270 ns per entry in
// the kernel). A slot whose key changes while it is copied (its generation
// odd, or different after the copy) is copied again, so a sample never
// holds a key torn between two seqs.
#pragma once

#include <cstddef>
#include <vector>

#include "sample.hpp"

namespace rcuwatch {

class PendingSlots {
 public:
  // `fd`: the array map; `slots`: its entries. Throws Error if it cannot be mapped.
  PendingSlots(int fd, size_t slots);
  ~PendingSlots();
  PendingSlots(const PendingSlots&) = delete;
  PendingSlots& operator=(const PendingSlots&) = delete;

  // Appends every seq a slot holds with objects in it to `out`.
  void read(std::vector<PendingEntry>& out) const;

  // Slots copied again because the kernel changed their key mid-copy (all reads so far).
  size_t retries() const { return retries_; }

 private:
  const rw_pending_slot* slots_ = nullptr;
  size_t count_ = 0;
  size_t mapped_bytes_ = 0;
  mutable size_t retries_ = 0;
};

}  // namespace rcuwatch
