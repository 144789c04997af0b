// `rcuwatch top`: the live top-style view. Entry point called by cli/main.cpp
// after it parsed the command line.
#pragma once

#include <cstdint>
#include <string>

#include "detection.hpp"
#include "sources.hpp"
#include "stop.hpp"

namespace rcuwatch::tui {

struct TopOptions {
  double delay_seconds = 1.0;  // -d
  long iterations = -1;        // -n, -1: until quit
  bool batch = false;          // -b: plain text frames on stdout, no curses
  SourceOptions source;        // --replay FILE, --speed X, live by default
  DetectorLimits detectors;    // a line in the header per detector firing

  std::string table = "seq";  // --table cpu|seq|instance: the table shown first
  // --sort COLUMN: a column title, case-insensitive; empty: the table's default.
  std::string sort;
  bool reverse = false;   // --reverse: against the column's natural order
  std::string filter;     // --filter TEXT: as typed after `/`
  bool no_color = false;  // --no-color (NO_COLOR in the environment does the same)
  // Colour thresholds: yellow from warn, red from crit.
  int64_t warn_bytes = int64_t{16} << 20;   // --warn-bytes
  int64_t crit_bytes = int64_t{256} << 20;  // --crit-bytes
  double warn_age_seconds = 1;              // --warn-age
  double crit_age_seconds = 10;             // --crit-age
};

// Returns the process exit code. Throws rcuwatch::Error for bad input.
// Ends when `stop` is requested (SIGINT, SIGTERM, SIGHUP), `q`, or -n.
int run_top(const TopOptions& options, const StopFlag& stop);

}  // namespace rcuwatch::tui
