#include "snapshot_feed.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "aggregator.hpp"

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

SnapshotFeed::SnapshotFeed(std::unique_ptr<Source> source, long iterations,
                           std::chrono::milliseconds interval)
    : source_(std::move(source)),
      replay_(source_->progress() >= 0),
      iterations_(iterations),
      interval_(interval) {
  BlockedSignals blocked;  // inherited by the new thread only for its lifetime
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

SnapshotFeed::~SnapshotFeed() {
  thread_.request_stop();
  resumed_.notify_all();
}

void SnapshotFeed::run(std::stop_token stop) {
  Aggregator aggregator;
  long produced = 0;
  try {
    while (!stop.stop_requested() && (iterations_ < 0 || produced < iterations_)) {
      std::chrono::milliseconds interval;
      {
        std::unique_lock lock(mutex_);
        if (replay_) resumed_.wait(lock, stop, [this] { return !paused_; });
        if (stop.stop_requested()) return;
        interval = interval_;
      }
      std::optional<Tick> tick = source_->next(interval);
      if (!tick) break;
      auto snapshot = std::make_shared<const Snapshot>(aggregator.update(*tick, *source_));
      ++produced;
      std::lock_guard lock(mutex_);
      auto& history = pending_.history;
      if (history.size() == history_capacity_) history.erase(history.begin());
      history.push_back({snapshot->time_ns, snapshot->totals.pending_bytes});
      pending_.latest = std::move(snapshot);
    }
  } catch (...) {
    spdlog::debug("source thread stopped by an error");
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  finished_ = true;
}

SnapshotFeed::Update SnapshotFeed::take() {
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return std::exchange(pending_, Update{});
}

void SnapshotFeed::set_interval(std::chrono::milliseconds interval) {
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
