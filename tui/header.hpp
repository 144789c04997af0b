// The summary lines above the tables: is memory stranded by RCU, how much,
// since when, and are grace periods completing; below the title, one
// highlighted line per detector firing (none when nothing fires).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "frame.hpp"
#include "snapshot.hpp"
#include "thresholds.hpp"

namespace rcuwatch::tui {

struct HeaderContext {
  std::string clock;  // clock_label()
  double delay_seconds = 1;
  bool paused = false;
  bool finished = false;  // the recording ended: the last snapshot stays on screen
  // Why the source delivers nothing now while it retries (a remote exporter
  // gone); the last snapshot stays on screen meanwhile.
  std::string source_problem;
  bool paced_by_source = false;  // ScreenInput::paced_by_source
};

// At most this many grace-period flavors get a line of their own.
inline constexpr size_t kMaxGracePeriodLines = 3;

std::vector<Line> header_lines(const Snapshot& snapshot, const HeaderContext& context,
                               const Thresholds& thresholds);

// Live: the wall clock ("12:34:56", local time). Replay: the position in the
// recording ("t+12.0s" since its first snapshot), so frames of a replay are
// the same on every run.
std::string clock_label(const Snapshot& snapshot, uint64_t first_time_ns, std::time_t now);

}  // namespace rcuwatch::tui
