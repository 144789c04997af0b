#include "signals.hpp"

#include <atomic>

namespace rcuwatch::tui {

namespace {

// The one piece of global mutable state: a signal handler can reach nothing else.
std::atomic<int> g_received_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_termination_signal(int signo) { g_received_signal.store(signo); }

void install(int signo, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = on_termination_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking read returns at once
  sigaction(signo, &action, previous);
}

}  // namespace

TerminationSignals::TerminationSignals() {
  g_received_signal.store(0);
  install(SIGINT, &previous_int_);
  install(SIGTERM, &previous_term_);
  install(SIGHUP, &previous_hup_);
}

TerminationSignals::~TerminationSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  sigaction(SIGHUP, &previous_hup_, nullptr);
}

int TerminationSignals::received() const { return g_received_signal.load(); }

}  // namespace rcuwatch::tui
