// The one loop every command runs: a Source feeding an Aggregator, one
// Snapshot per interval, with the detectors' verdicts on it (DetectorSet).
// Commands differ only in what they do with each Snapshot and with the last one.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "aggregator.hpp"
#include "detectors.hpp"
#include "source.hpp"
#include "stop.hpp"

namespace rcuwatch {

// Whether the Snapshots a stream hands out keep Snapshot::seq_cpus, one row
// per pending (instance, cpu, seq). The detectors always see them; of the
// views only the JSON and `report` read them. `top`, the exporter, `stat`
// lines and `record` drop them after the detectors ran: a 64-byte row per
// pending entry less in every Snapshot they hold (16 MB at 262144 entries).
enum class SeqCpuRows { Keep, Drop };

class SnapshotStream {
 public:
  // `limit` < 0: until the recording ends or stop is requested.
  SnapshotStream(std::unique_ptr<Source> source, Interval interval, const StopFlag& stop,
                 long limit = -1, DetectorLimits detector_limits = {},
                 SeqCpuRows rows = SeqCpuRows::Keep);

  // The next snapshot; std::nullopt once the recording ended, `limit`
  // snapshots were produced, stop was requested, or the source failed. A
  // failure is kept, not thrown: a command prints what it has first, then
  // calls rethrow_error().
  std::optional<Snapshot> next();

  void set_interval(Interval interval) { interval_ = interval; }
  Interval interval() const { return interval_; }
  const Source& source() const { return *source_; }
  long produced() const { return produced_; }

  bool failed() const { return error_ != nullptr; }
  std::string error_message() const;  // "" unless failed()
  void rethrow_error() const;         // does nothing unless failed()

 private:
  std::unique_ptr<Source> source_;
  Interval interval_;
  const StopFlag& stop_;
  long limit_;
  long produced_ = 0;
  Aggregator aggregator_;
  DetectorSet detectors_;
  SeqCpuRows rows_;
  uint64_t epoch_ = 0;  // the source's, at the last tick
  std::exception_ptr error_;
};

}  // namespace rcuwatch
