// What a source hands the aggregator each interval: the lifecycle events
// read from the ring buffer since the last tick and a sample of the BPF
// maps. Live, it comes from the kernel; on replay, from a recording. This
// (and bpf/events.h) is all a recording contains.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "events.h"
}

namespace rcuwatch {

struct PendingEntry {
  rw_pending_key key{};
  rw_pending_val val{};
};

struct InstanceEntry {
  uint64_t instance = 0;
  rw_instance_info info{};
  rw_instance_totals totals{};  // summed over CPUs
};

struct GpEntry {
  uint64_t key = 0;  // 0 RCU, else srcu_struct address
  rw_gp_stats stats{};
};

struct Sample {
  uint64_t time_ns = 0;  // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns()
  std::vector<PendingEntry> pending;
  std::vector<InstanceEntry> instances;
  std::vector<GpEntry> grace_periods;
  std::array<uint64_t, RW_STAT_NR> stats{};  // enum rw_stat, summed over CPUs
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

// Names for kernel addresses (instances, process functions, srcu_structs),
// resolved where the kernel is (live) and carried in recordings.
using SymbolNames = std::map<uint64_t, std::string>;

}  // namespace rcuwatch
