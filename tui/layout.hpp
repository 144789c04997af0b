// Puts header, history, table and key line together into a Frame: for a
// terminal of a given size (curses), or whole (batch mode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "frame.hpp"
#include "header.hpp"
#include "history.hpp"
#include "snapshot.hpp"
#include "thresholds.hpp"
#include "view_state.hpp"

namespace rcuwatch::tui {

struct TerminalSize {
  size_t columns = 80;
  size_t lines = 24;
};

// Below this the view says so instead of garbling.
inline constexpr TerminalSize kMinTerminalSize{60, 14};

struct ScreenInput {
  const Snapshot* snapshot = nullptr;  // null until the first one arrives
  const PendingHistory* history = nullptr;
  const ViewState* view = nullptr;
  const Thresholds* thresholds = nullptr;
  std::string clock;
  bool finished = false;
  std::string source_problem;  // Source::problem(): a remote target gone, retried
  bool utf8 = true;            // sparkline glyphs
  // The source sets the pace (a remote exporter): the interval shown is the
  // snapshots', not -d's.
  bool paced_by_source = false;
};

struct ScreenFrame {
  Frame frame;           // at most size.lines lines of at most size.columns columns
  size_t page_rows = 0;  // table rows shown: PgUp/PgDn step
  size_t first_row = 0;  // the scroll position after clamping
};

ScreenFrame compose_screen(const ScreenInput& input, TerminalSize size);

// Batch mode: header and the whole current table, no history, no key line.
Frame compose_batch(const ScreenInput& input);

Frame compose_help(TerminalSize size);

// Cuts lines to `columns`; status and column-header bars are padded to span it.
void fit_to_width(Frame& frame, size_t columns);

}  // namespace rcuwatch::tui
