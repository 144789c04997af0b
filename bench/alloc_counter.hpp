// Counts heap allocations of this thread while a scope is open: the bench
// binary replaces the global operator new/delete (alloc_counter.cpp) so the
// memory benchmarks can say "N bytes allocated per pending entry" without a
// profiler. Single-threaded measurement only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rcuwatch::bench {

struct AllocStats {
  uint64_t allocations = 0;
  uint64_t allocated_bytes = 0;  // sum of usable sizes of every allocation
  int64_t live_bytes = 0;        // allocated minus freed, since the scope opened
  int64_t peak_live_bytes = 0;   // highest live_bytes seen in the scope
};

// Counts while alive; nesting is not supported.
class AllocCounter {
 public:
  AllocCounter();
  ~AllocCounter();
  AllocCounter(const AllocCounter&) = delete;
  AllocCounter& operator=(const AllocCounter&) = delete;
  AllocStats stats() const;
};

}  // namespace rcuwatch::bench
