#include "snapshot_stream.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "oom_capture.hpp"

namespace rcuwatch {

Interval interval_from_seconds(double seconds) { return Interval{std::llround(seconds * 1000)}; }

SnapshotStream::SnapshotStream(std::unique_ptr<Source> source, Interval interval,
                               const StopFlag& stop, long limit, DetectorLimits detector_limits,
                               SeqCpuRows rows)
    : source_(std::move(source)),
      interval_(interval),
      stop_(stop),
      limit_(limit),
      detectors_(detector_limits),
      rows_(rows),
      epoch_(source_->epoch()) {}

std::optional<Snapshot> SnapshotStream::next() {
  if (error_ || stop_.requested() || (limit_ >= 0 && produced_ >= limit_)) return std::nullopt;
  try {
    std::optional<Tick> tick = source_->next(interval_, stop_);
    if (!tick) return std::nullopt;
    if (source_->epoch() != epoch_) {  // the source started over: so does the stream
      epoch_ = source_->epoch();
      aggregator_ = Aggregator();
      detectors_ = DetectorSet(detectors_.limits());
    }
    produced_++;
    // Its pending entries (12.6 MB at 262144) go once the rows are built,
    // the rest of it before the detectors allocate.
    Snapshot snapshot = aggregator_.update(std::move(*tick), *source_);
    tick.reset();
    snapshot.detections = detectors_.evaluate(snapshot);
    for (const OomKill& kill : snapshot.oom_kills) {
      snapshot.oom_captures.push_back(capture_oom(snapshot, kill));
      spdlog::warn("{}", snapshot.oom_captures.back().summary);
      last_oom_ = snapshot.oom_captures.back();
    }
    snapshot.last_oom = last_oom_;
    if (rows_ == SeqCpuRows::Drop) std::vector<SeqRow>().swap(snapshot.seq_cpus);
    return snapshot;
  } catch (...) {
    error_ = std::current_exception();
    return std::nullopt;
  }
}

std::string SnapshotStream::error_message() const {
  if (!error_) return "";
  try {
    std::rethrow_exception(error_);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

void SnapshotStream::rethrow_error() const {
  if (error_) std::rethrow_exception(error_);
}

}  // namespace rcuwatch
