// Turns Ticks into Snapshots. Holds only what the next snapshot needs for
// rates (the previous counters, not its pending entries): memory is bounded
// by live seqs, not events.
#pragma once

#include <map>

#include "pending_breakdown.hpp"
#include "sample.hpp"
#include "snapshot.hpp"
#include "source.hpp"

namespace rcuwatch {

// Whether a Snapshot holds Snapshot::seq_cpus, one row per pending
// (instance, cpu, seq): what `stat --json` and `report` read. `top`, the
// exporter, `stat` lines and `record` never show them; skipping them spares
// most of update()'s time and a 64-byte row per pending entry in every
// Snapshot.
enum class SeqCpuRows { Build, Skip };

class Aggregator {
 public:
  explicit Aggregator(SeqCpuRows rows = SeqCpuRows::Build) : rows_(rows) {}

  Snapshot update(const Tick& tick, const Source& source);

  // The same, without a Source (tests).
  Snapshot update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                  double progress = -1);

 private:
  // What rates are computed against: the previous sample's counters.
  struct Previous {
    uint64_t time_ns = 0;
    std::vector<InstanceEntry> instances;
    std::vector<GpEntry> grace_periods;
    int64_t pending_bytes = 0;
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
  std::map<uint64_t, InstanceRow> pending(const Input& in, const GpByKey& gp, Snapshot& snap);
  void flows(const Input& in, std::map<uint64_t, InstanceRow> rows, Snapshot& snap) const;

  SeqCpuRows rows_;
  bool have_prev_ = false;
  Previous prev_;
  uint64_t index_ = 0;
  uint64_t list_fallbacks_ = 0;        // from lifecycle events: list seqs opened
  PendingBreakdownBuilder breakdown_;  // its buffers, kept between intervals
};

}  // namespace rcuwatch
