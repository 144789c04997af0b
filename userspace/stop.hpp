// How a loop learns that it should end: a flag requested by SIGINT, SIGTERM
// or SIGHUP (one handler for the whole process, installed by main) or by
// another thread (top's snapshot feed when the screen goes away). Sources
// wait on it, so a stop never waits out an interval or replay pacing.
#pragma once

#include <atomic>
#include <chrono>

namespace rcuwatch {

class StopFlag {
 public:
  void request() noexcept { requested_.store(true); }
  bool requested() const noexcept { return requested_.load(); }
  // Sleeps until `deadline`, or less once stop is requested; returns
  // whether it was. Polls in short steps: a signal handler cannot notify.
  bool sleep_until(std::chrono::steady_clock::time_point deadline) const;

 private:
  std::atomic<bool> requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);  // set from a signal handler
};

// The process's flag. install_stop_signals() makes SIGINT, SIGTERM and
// SIGHUP request it; the handlers have no SA_RESTART, so a blocking wait
// (epoll, a terminal read) returns at once with EINTR.
StopFlag& process_stop();
void install_stop_signals();
// The signal that requested process_stop(), 0 if none did.
int stop_signal();

}  // namespace rcuwatch
