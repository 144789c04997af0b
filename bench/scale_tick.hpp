// A Tick the size of a big machine under load, for the userspace benchmarks:
// every instance has `seqs_per_cpu` grace-period cookies in flight on every
// CPU (rcu_pending keeps objects per CPU per cookie: fs/bcachefs/rcu_pending.c,
// struct rcu_pending_pcpu).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sample.hpp"

namespace rcuwatch::bench {

struct TickShape {
  uint32_t cpus = 256;
  uint32_t seqs_per_cpu = 100;
  uint32_t instances = 4;  // half RCU, half SRCU
  uint32_t events = 1000;  // lifecycle events in the interval
  // Also one RW_EV_SEQ_PROCESS per (instance, CPU) queue in the interval:
  // every queue had a batch processed, as under steady load.
  bool process_every_queue = false;

  size_t pending_entries() const { return size_t(cpus) * seqs_per_cpu * instances; }
};

// The time of a scale Tick's sample (1000 s of uptime): its pending
// entries' ages and its events' times count from it. Benchmarks that run
// many intervals move it on by a second each, as a live source would.
inline constexpr uint64_t kScaleTickNs = 1'000'000'000'000ull;

// Issue 11's interval at scale: 1024 CPUs x 4 live seqs x 64 instances =
// 262144 pending entries, and the same on 256, 64 and 16 CPUs (4x, 16x and
// 64x fewer entries), largest first. Benchmarks take the CPU count as arg.
inline constexpr uint32_t kScaleCpus[] = {1024, 256, 64, 16};
TickShape scale_shape(uint32_t cpus);
// "262144 entries (1024 CPUs x 4 seqs x 64 instances)"
std::string describe(const TickShape& shape);

// Pending entries in no particular order, as a BPF hash map hands them out
// (a fixed shuffle). Per CPU, each instance's seqs are consecutive cookies;
// about one seq in ten is on the list fallback, and every fourth CPU's
// oldest slot is its expired list instead.
Tick make_tick(const TickShape& shape);

// Bytes of the Tick's own payload (vector elements, not allocator overhead):
// what a copy must move at the least.
size_t payload_bytes(const Tick& tick);

}  // namespace rcuwatch::bench
