#include "snapshot_feed.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>

namespace rcuwatch::tui {

namespace {

// Signals go to the screen thread, whose key wait they interrupt; the
// source thread must not see EINTR in the middle of a read.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) sigaddset(&set, signo);
    pthread_sigmask(SIG_BLOCK, &set, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace

SnapshotFeed::SnapshotFeed(std::unique_ptr<Source> source, long iterations, Interval interval,
                           DetectorLimits detector_limits)
    : stream_(std::move(source), interval, stop_, iterations, detector_limits, SeqCpuRows::Drop),
      replay_(stream_.source().progress() >= 0),
      interval_(interval) {
  BlockedSignals blocked;  // inherited by the new thread only for its lifetime
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

SnapshotFeed::~SnapshotFeed() {
  stop_.request();
  thread_.request_stop();
  resumed_.notify_all();
}

void SnapshotFeed::run(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (replay_) resumed_.wait(lock, stop, [this] { return !paused_; });
      if (stop.stop_requested()) return;
      stream_.set_interval(interval_);
    }
    std::optional<Snapshot> snap = stream_.next();
    if (!snap) break;
    auto snapshot = std::make_shared<const Snapshot>(std::move(*snap));
    std::lock_guard lock(mutex_);
    auto& history = pending_.history;
    if (history.size() == history_capacity_) history.erase(history.begin());
    history.push_back({snapshot->time_ns, snapshot->totals.pending_bytes});
    pending_.latest = std::move(snapshot);
  }
  std::lock_guard lock(mutex_);
  if (stream_.failed()) {
    spdlog::debug("source thread stopped by an error");
    try {
      stream_.rethrow_error();
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  finished_ = true;
}

SnapshotFeed::Update SnapshotFeed::take() {
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return std::exchange(pending_, Update{});
}

void SnapshotFeed::set_interval(Interval interval) {
  std::lock_guard lock(mutex_);
  interval_ = interval;
}

void SnapshotFeed::set_paused(bool paused) {
  {
    std::lock_guard lock(mutex_);
    paused_ = paused;
  }
  resumed_.notify_all();
}

bool SnapshotFeed::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

}  // namespace rcuwatch::tui
