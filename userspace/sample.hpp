// What a source hands the aggregator each interval: the lifecycle events
// read from the ring buffer since the last tick and a sample of the BPF
// maps. Live, it comes from the kernel; on replay, from a recording. This
// (and bpf/events.h) is all a recording contains.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

extern "C" {
#include "events.h"
}

namespace rcuwatch {

// Trivial (no default member initializers; write PendingEntry{} for zeros)
// so that vectors of it copy with memmove: a replay reads 100 000 of them
// per record (recording.cpp).
struct PendingEntry {
  rw_pending_key key;
  rw_pending_val val;
};
static_assert(std::is_trivial_v<PendingEntry> &&
              sizeof(PendingEntry) == sizeof(rw_pending_key) + sizeof(rw_pending_val));

struct InstanceEntry {
  uint64_t instance = 0;
  rw_instance_info info{};
  rw_instance_totals totals{};  // summed over CPUs
};

struct GpEntry {
  uint64_t key = 0;  // 0 RCU, else srcu_struct address
  rw_gp_stats stats{};
};

// Stack samples at enqueue (bpf/call_sites.bpf.h), per instance, CPU and stack.
struct CallSiteEntry {
  rw_call_site_key key{};
  rw_call_site_val val{};
};

// Enqueues per (instance, queue CPU), since rcuwatch attached.
struct QueueEntry {
  rw_queue_key key{};
  rw_queue_totals val{};
};

struct Sample {
  uint64_t time_ns = 0;  // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns()
  std::vector<PendingEntry> pending;
  std::vector<InstanceEntry> instances;
  std::vector<GpEntry> grace_periods;
  std::array<uint64_t, RW_STAT_NR> stats{};  // enum rw_stat, summed over CPUs
  std::vector<CallSiteEntry> call_sites;
  std::vector<QueueEntry> queues;
  // Whether `queues` was read (live, and recordings of ABI 3 on): without
  // it, per-CPU enqueue rates are estimated from the pending map.
  bool has_queue_counts = false;
};

// a += b, field by field (per-CPU values, instances).
inline void accumulate(rw_instance_totals& a, const rw_instance_totals& b) {
  a.enqueued_objects += b.enqueued_objects;
  a.enqueued_bytes += b.enqueued_bytes;
  a.processed_objects += b.processed_objects;
  a.processed_bytes += b.processed_bytes;
  a.dequeued_objects += b.dequeued_objects;
  a.dequeued_bytes += b.dequeued_bytes;
  a.immediate_objects += b.immediate_objects;
  a.immediate_bytes += b.immediate_bytes;
  a.list_objects += b.list_objects;
  a.untracked_objects += b.untracked_objects;
  a.preexisting_objects += b.preexisting_objects;
  a.preexisting_bytes += b.preexisting_bytes;
}

// Age at now_ns of something that happened at then_ns (bpf_ktime_get_ns());
// 0 when it never did (then_ns == 0) or the clocks disagree (then_ns > now_ns).
inline uint64_t age_ns(uint64_t now_ns, uint64_t then_ns) {
  return then_ns && then_ns <= now_ns ? now_ns - then_ns : 0;
}

struct Tick {
  std::vector<rw_event> events;
  Sample sample;
};

// Names for kernel addresses (instances, process functions, srcu_structs,
// the frames of call-site stacks), resolved where the kernel is (live) and
// carried in recordings.
using SymbolNames = std::map<uint64_t, std::string>;

// The stacks of call sites by stack id (CallSiteEntry::key.stack_id): return
// addresses, innermost first, as bpf_get_stackid() stored them. Read once
// per id (the BPF stack map never changes an id's stack) and carried in
// recordings.
using CallStacks = std::map<int32_t, std::vector<uint64_t>>;

}  // namespace rcuwatch
