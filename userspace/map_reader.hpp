// Reads the BPF maps into a Sample (per-CPU values summed). Used by the
// live source each interval and by the BPF tests, so both see the same
// numbers. Each hash map is read whole with batch lookups, so a sample
// counts every entry once even while the kernel inserts and deletes
// entries under it (hash_map_read.hpp); the pending slots are copied from
// their mmap (pending_slots.hpp). A seq is in the slots or in the pending
// hash for its whole life, never in both.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "hash_map_read.hpp"
#include "kallsyms.hpp"
#include "pending_slots.hpp"
#include "sample.hpp"

struct rcuwatch_bpf;

namespace rcuwatch {

// What map queues holds (bpf/accounting.bpf.h): every enqueue per queue
// CPU (stock modes), or corrections to the per-CPU totals, which count each
// enqueue on the CPU that traced it (tracepoint mode).
enum class QueueCounts { InMap, TotalsPlusCorrections };

// The maps of bpf/rcuwatch.bpf.c a Sample is read from, by fd; -1 for a
// map that is not there (a test may read one map alone).
struct SampleMaps {
  int pending = -1;        // hash: rw_pending_key -> rw_pending_val
  int pending_slots = -1;  // mmap-able array of rw_pending_slot (tracepoint mode)
  size_t pending_slot_count = 0;
  int instances = -1;       // hash: instance -> rw_instance_info
  int instance_slots = -1;  // hash: instance -> its slot in totals
  int totals = -1;          // per-CPU array: slot -> rw_instance_totals
  int grace_periods = -1;   // hash: flavor key -> rw_gp_stats
  int stats = -1;           // per-CPU array: enum rw_stat -> u64
  // Per-CPU array, one value of cpu_state_size bytes (bpf/accounting.bpf.h,
  // struct rw_cpu_state) whose first u64 counts the hot path's share of
  // RW_STAT_EVENTS and which ends with the totals of the first
  // RW_CPU_STATE_TOTALS instance slots (bpf/events.h).
  int cpu_state = -1;
  size_t cpu_state_size = 0;
  int call_sites = -1;  // hash: rw_call_site_key -> rw_call_site_val
  int queues = -1;      // hash: rw_queue_key -> rw_queue_totals
  QueueCounts queue_counts = QueueCounts::InMap;
};

SampleMaps sample_maps(rcuwatch_bpf& skel, QueueCounts queue_counts);

// Keeps its read buffers from one interval to the next.
class MapReader {
 public:
  explicit MapReader(const SampleMaps& maps, HashMapRead how = HashMapRead::Auto);

  // Stamped with the time the reading ended, so that every kernel timestamp
  // in it (first enqueue, grace-period end) is at or before the sample time.
  Sample read();

  // How the pending map was read last time (batch ops or the key walk).
  const HashMapReadStats& pending_stats() const;

 private:
  // Map cpu_state's value on every CPU into per_cpu_state_; false if absent.
  bool read_cpu_state();
  // The words of one CPU's value in per_cpu_state_: a per-CPU value is
  // copied out rounded up to 8 bytes on every CPU.
  size_t state_words() const { return (cpu_state_size_ + 7) / 8; }

  std::unique_ptr<PendingSlots> pending_slots_;
  std::optional<HashMapReader> pending_, instances_, instance_slots_, grace_periods_, call_sites_,
      queues_;
  QueueCounts queue_counts_;
  int totals_fd_;
  int stats_fd_;
  int cpu_state_fd_;
  size_t cpu_state_size_;
  std::vector<rw_instance_totals> per_cpu_totals_;  // one slot's value on every CPU
  std::vector<uint64_t> per_cpu_state_;             // cpu_state's value on every CPU
  size_t last_pending_ = 0;  // entries last time: the next read reserves for them
};

// One read with a fresh MapReader (tests).
Sample read_sample(rcuwatch_bpf& skel, QueueCounts queue_counts);

// The stack of a call site (map stacks), innermost frame first; std::nullopt
// for RW_NO_STACK or an id the map does not hold.
std::optional<std::vector<uint64_t>> read_stack(rcuwatch_bpf& skel, int32_t stack_id);

// What the census learned of an instance (bpf/census.bpf.h), if anything.
std::optional<InstanceLabel> read_instance_label(rcuwatch_bpf& skel, uint64_t instance);

// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() uses.
uint64_t monotonic_ns();

}  // namespace rcuwatch
