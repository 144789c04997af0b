// Reads the snapshot stream on a thread of its own, so keys are answered at
// once while a live source waits out its interval. The stream lives on that
// thread only; the screen thread takes immutable Snapshots (and the history
// points of every interval) from here.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "history.hpp"
#include "snapshot.hpp"
#include "snapshot_stream.hpp"
#include "source.hpp"
#include "stop.hpp"

namespace rcuwatch::tui {

class SnapshotFeed {
 public:
  // `iterations` < 0: until the source ends or the feed is destroyed.
  SnapshotFeed(std::unique_ptr<Source> source, long iterations, Interval interval,
               DetectorLimits detector_limits = {});
  ~SnapshotFeed();  // stops the thread, cutting the source's current wait short
  SnapshotFeed(const SnapshotFeed&) = delete;
  SnapshotFeed& operator=(const SnapshotFeed&) = delete;

  struct Update {
    std::shared_ptr<const Snapshot> latest;  // null if none since the last take
    std::vector<HistoryPoint> history;       // every interval since, oldest first
  };
  // What arrived since the last call. Rethrows the thread's error (an
  // rcuwatch::Error from the source) on the caller's thread.
  Update take();

  void set_interval(Interval interval);
  // Paused, a replay stops reading (nothing is skipped); a live source keeps
  // sampling so counters and history stay whole.
  void set_paused(bool paused);
  // The recording ended or `iterations` snapshots were produced.
  bool finished() const;
  // Source::problem(): why no snapshot comes now, "" while they do.
  std::string source_problem() const { return stream_.source().problem(); }

 private:
  void run(std::stop_token stop);

  StopFlag stop_;  // cuts the stream's waits short when the feed goes away
  SnapshotStream stream_;
  const bool replay_;

  mutable std::mutex mutex_;
  std::condition_variable_any resumed_;
  Interval interval_;
  bool paused_ = false;
  bool finished_ = false;
  std::exception_ptr error_;
  Update pending_;
  size_t history_capacity_ = PendingHistory{}.capacity();

  std::jthread thread_;  // last: started once everything above exists
};

}  // namespace rcuwatch::tui
