// Turns Ticks into Snapshots. Holds only what the next snapshot needs for
// rates (the previous counters, not its pending entries): memory is bounded
// by live seqs, not events.
#pragma once

#include <map>
#include <utility>

#include "call_sites.hpp"
#include "pending_breakdown.hpp"
#include "processed_by_queue.hpp"
#include "sample.hpp"
#include "snapshot.hpp"
#include "source.hpp"

namespace rcuwatch {

class Aggregator {
 public:
  // An instance with nothing pending whose lifetime counters have not moved
  // for this long (in sample time) is retired: its row leaves the snapshot
  // (its counters still count in the totals) until it moves again; so is an
  // SRCU flavor no live instance uses whose grace periods stopped. The
  // kernel has no event for rcu_pending_exit(): a module unloaded or a
  // filesystem unmounted looks like this, and would otherwise stay forever.
  static constexpr uint64_t kRetireAfterNs = 60'000'000'000;
  explicit Aggregator(uint64_t retire_after_ns = kRetireAfterNs)
      : retire_after_ns_(retire_after_ns) {}

  Snapshot update(const Tick& tick, const Source& source);

  // The same, consuming the tick: its pending entries (12.6 MB at 262144)
  // are freed before the rows (14.7 MB) are allocated, what the rows need
  // of them (8.4 MB) kept meanwhile.
  Snapshot update(Tick&& tick, const Source& source);

  // The same, without a Source (tests).
  Snapshot update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                  double progress = -1, const CallStacks& stacks = {});

 private:
  // What rates are computed against: the previous sample's counters.
  using QueueKey = std::pair<uint64_t, uint32_t>;  // (instance, cpu)
  // Per instance x cpu, sorted by key: up to 65536 of them at 1024 CPUs x 64
  // instances, so vectors, not maps.
  using QueueObjects = std::vector<QueuePending>;
  using QueueTotals = std::vector<std::pair<QueueKey, rw_queue_totals>>;  // BPF map queues
  struct Previous {
    uint64_t time_ns = 0;
    std::vector<InstanceEntry> instances;
    std::vector<GpEntry> grace_periods;
    int64_t pending_bytes = 0;
    QueueObjects queue_objects;  // pending per instance x cpu
    QueueTotals queue_totals;    // enqueues per instance x cpu, since attach
    uint64_t oom_kills = 0;      // RW_STAT_OOM_KILLS
  };
  // What every phase of update() reads.
  struct Input {
    const Sample& sample;
    const SymbolNames& names;
    double secs;  // since the previous sample, 0 for the first
    std::string name_of(uint64_t addr) const;
  };
  // The phases of update(), in order; each fills its part of the Snapshot.
  using GpByKey = std::map<uint64_t, const rw_gp_stats*>;
  GpByKey grace_periods(const Input& in, Snapshot& snap) const;
  // `spent`: as for update() below.
  std::map<uint64_t, InstanceRow> pending(const Input& in, const GpByKey& gp, Snapshot& snap,
                                          QueueObjects& queue_objects,
                                          std::vector<PendingEntry>* spent);
  void flows(const Input& in, std::map<uint64_t, InstanceRow> rows, Snapshot& snap);
  void cpu_queues(const Input& in, const QueueObjects& objects, const QueueTotals& enqueued,
                  Snapshot& snap) const;
  // `spent`, if not null, is the tick's pending entries: consumed by the
  // rows (freed before they are allocated, or at the latest after them).
  Snapshot update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                  double progress, const CallStacks& stacks, std::vector<PendingEntry>* spent);

  // Whether what was last active at `last_active_ns` is retired now.
  bool retired(uint64_t now_ns, uint64_t last_active_ns) const {
    return now_ns >= last_active_ns && now_ns - last_active_ns >= retire_after_ns_;
  }
  void retire_flavors(const Sample& s, Snapshot& snap);

  uint64_t retire_after_ns_;
  std::map<uint64_t, uint64_t> instance_active_ns_;  // instance -> when it last moved
  std::map<uint64_t, uint64_t> flavor_active_ns_;    // srcu_struct -> when it last moved

  bool have_prev_ = false;
  Previous prev_;
  uint64_t index_ = 0;
  uint64_t list_fallbacks_ = 0;          // from lifecycle events: list seqs opened
  ProcessedByQueue processed_by_queue_;  // with its counts at the last sample
  PendingBreakdownBuilder breakdown_;    // its buffers, kept between intervals
  CallSiteTable call_sites_;
};

}  // namespace rcuwatch
