// A Tick the size of a big machine under load, for the userspace benchmarks:
// every instance has `seqs_per_cpu` grace-period cookies in flight on every
// CPU (rcu_pending keeps objects per CPU per cookie: fs/bcachefs/rcu_pending.c,
// struct rcu_pending_pcpu).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sample.hpp"

namespace rcuwatch::bench {

struct TickShape {
  uint32_t cpus = 256;
  uint32_t seqs_per_cpu = 100;
  uint32_t instances = 4;  // half RCU, half SRCU
  uint32_t events = 1000;  // lifecycle events in the interval

  size_t pending_entries() const { return size_t(cpus) * seqs_per_cpu * instances; }
};

Tick make_tick(const TickShape& shape);

// Bytes of the Tick's own payload (vector elements, not allocator overhead):
// what a copy must move at the least.
size_t payload_bytes(const Tick& tick);

}  // namespace rcuwatch::bench
