// The curses terminal, owned: constructing a Screen takes the terminal
// (alternate screen, no echo, keypad), destroying it gives the terminal
// back, on return, exception or after a signal. The only file that
// includes curses.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "frame.hpp"
#include "layout.hpp"
#include "view_state.hpp"

namespace rcuwatch::tui {

class Screen {
 public:
  // Throws rcuwatch::Error when stdin/stdout is not a terminal or TERM is
  // unknown. `color`: use colours if the terminal has them.
  explicit Screen(bool color);
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  TerminalSize size() const;
  // Whether the locale is UTF-8 (block glyphs for the sparkline).
  bool utf8() const { return utf8_; }
  // Draws without flicker: erase, draw, wnoutrefresh, doupdate.
  void draw(const Frame& frame);
  // A key, or nullopt after `timeout` (or an interrupting signal).
  std::optional<Key> read_key(std::chrono::milliseconds timeout);

 private:
  struct Terminal;  // the SCREEN* and its delscreen deleter
  std::unique_ptr<Terminal> terminal_;
  bool color_ = false;
  bool utf8_ = false;
};

// Whether to use colour: not when NO_COLOR is set (https://no-color.org),
// nor when --no-color was given.
bool color_wanted(bool no_color_flag);

}  // namespace rcuwatch::tui
