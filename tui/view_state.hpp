// What the person at the keyboard chose: table, sort, filter, scroll,
// pause, interval, help. Keys change it through handle_key, a pure
// function, so every documented key is unit-tested without a terminal.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "tables.hpp"

namespace rcuwatch::tui {

// A key press, decoupled from curses key codes (screen.cpp translates).
struct Key {
  enum class Code {
    Char,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Escape,
    Backspace,
    Tab,
    Resize
  };
  Code code = Code::Char;
  char ch = 0;  // Code::Char only

  static Key character(char c) { return Key{Code::Char, c}; }
  static Key special(Code code) { return Key{code, 0}; }
};

enum class Prompt { None, Filter, Interval };

inline constexpr double kMinDelaySeconds = 0.1;
inline constexpr double kMaxDelaySeconds = 3600;

struct ViewState {
  TableKind table = TableKind::Seqs;
  std::array<size_t, kTableCount> sort_column{};  // per TableKind
  std::array<bool, kTableCount> reversed{};       // per TableKind
  std::string filter;
  size_t first_row = 0;  // scroll position; clamped by the table builder
  bool paused = false;
  bool help = false;
  bool quit = false;
  double delay_seconds = 1;
  Prompt prompt = Prompt::None;
  std::string prompt_text;
  std::string filter_before_prompt;  // restored by Escape
  std::string message;               // one-line feedback, cleared by the next key

  size_t& current_sort_column() { return sort_column[static_cast<size_t>(table)]; }
  size_t current_sort_column() const { return sort_column[static_cast<size_t>(table)]; }
  bool& current_reversed() { return reversed[static_cast<size_t>(table)]; }
  bool current_reversed() const { return reversed[static_cast<size_t>(table)]; }
};

// Every table at its default sort; `sort_column` (from --sort) applies to
// `table` only.
ViewState initial_view_state(TableKind table, std::optional<size_t> sort_column, bool reversed,
                             double delay_seconds);

// `page_rows`: how many table rows the screen shows (for PgUp/PgDn).
void handle_key(ViewState& view, const Key& key, size_t page_rows);

// The interval steps of `+` and `-`.
double next_delay(double seconds);
double previous_delay(double seconds);

}  // namespace rcuwatch::tui
