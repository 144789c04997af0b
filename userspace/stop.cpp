#include "stop.hpp"

#include <csignal>
#include <thread>

namespace rcuwatch {

namespace {

// What a signal handler can reach must be global: these two, nothing else.
StopFlag g_process_stop;
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signo) {
  g_stop_signal.store(signo);
  g_process_stop.request();
}

// Short enough that a stop feels immediate, long enough to cost nothing.
constexpr std::chrono::milliseconds kStopPoll{20};

}  // namespace

bool StopFlag::sleep_until(std::chrono::steady_clock::time_point deadline) const {
  while (!requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(deadline - now, kStopPoll));
  }
  return true;
}

StopFlag& process_stop() { return g_process_stop; }

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaction(signo, &action, nullptr);
}

int stop_signal() { return g_stop_signal.load(); }

}  // namespace rcuwatch
