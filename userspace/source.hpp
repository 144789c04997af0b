// A source of Ticks: the live kernel (live_source), a recording
// (replay_source). Views and the aggregator do not know which.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "sample.hpp"
#include "snapshot.hpp"
#include "stop.hpp"

namespace rcuwatch {

// Time between two ticks. Every command converts its seconds flag with
// interval_from_seconds(), so they all round alike.
using Interval = std::chrono::milliseconds;
Interval interval_from_seconds(double seconds);

struct SourceInfo {
  std::string description;  // "live 6.12.117" or "replay FILE"
  std::string kernel_release;
  uint32_t nr_cpus = 0;
  Attachment attachment;  // how the kernel is (was) watched
  // Call sites: mean bytes enqueued on a CPU between two stack samples; 0:
  // not sampled (or a recording that does not say).
  uint64_t call_site_sample_bytes = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const SourceInfo& info() const = 0;
  // The next tick, `interval` after the previous one (a replay source at
  // full speed returns at once). std::nullopt at the end of a recording, or
  // as soon as `stop` is requested (a wait is cut short, nothing is lost).
  virtual std::optional<Tick> next(Interval interval, const StopFlag& stop) = 0;
  // Names of kernel addresses known so far (grows as instances appear).
  virtual const SymbolNames& names() const = 0;
  // Stacks of the call sites seen so far (grows as new ones are sampled);
  // none for a source without call sites.
  virtual const CallStacks& stacks() const {
    static const CallStacks none;
    return none;
  }
  // Replay: fraction of the input consumed, -1 for live sources.
  virtual double progress() const { return -1; }
  // A part that failed without ending the ticks (the recording of `stat
  // --record` after the disk filled up): the error for the exit status.
  virtual std::string failure() const { return {}; }
  // Why the source cannot deliver ticks now, while it keeps trying (a
  // remote exporter gone: "connection refused"); "" while it can. Views
  // show it. Any thread may ask.
  virtual std::string problem() const { return {}; }
  // Ticks that were gone before this source could deliver them (a remote
  // viewer that fell further behind than its exporter keeps), since the
  // last epoch: their lifecycle events are lost; lifetime counters, read
  // from the maps, stay exact. Shown as a loss (Losses::ticks_missed).
  virtual uint64_t ticks_missed() const { return 0; }
  // Changes when the source starts over (a remote exporter restarted):
  // counters and clocks restart with it, so the next tick must not be
  // compared with the ones before (SnapshotStream starts afresh).
  virtual uint64_t epoch() const { return 0; }
};

}  // namespace rcuwatch
