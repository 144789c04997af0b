// SIGINT, SIGTERM and SIGHUP end `rcuwatch top` cleanly: the handler only
// sets a flag, the loop sees it within one key timeout and returns, and the
// Screen destructor gives the terminal back. (SIGWINCH is curses' own: it
// turns into KEY_RESIZE.)
#pragma once

#include <csignal>

namespace rcuwatch::tui {

class TerminationSignals {
 public:
  TerminationSignals();   // installs the handlers
  ~TerminationSignals();  // restores the previous ones
  TerminationSignals(const TerminationSignals&) = delete;
  TerminationSignals& operator=(const TerminationSignals&) = delete;

  // The signal received, or 0.
  int received() const;

 private:
  struct sigaction previous_int_ {
  }, previous_term_{}, previous_hup_{};
};

}  // namespace rcuwatch::tui
