// `rcuwatch top -b`: frames as plain text on stdout, for logs and pipes.
#pragma once

#include <ostream>

#include "snapshot_stream.hpp"
#include "thresholds.hpp"
#include "top.hpp"
#include "view_state.hpp"

namespace rcuwatch::tui {

// Each frame: the header lines, a blank line, the table title, column
// header and every row; frames are separated by one blank line and each
// starts with "rcuwatch top - ". `paced_by_source`: ScreenInput's.
int run_batch(SnapshotStream& stream, const ViewState& view, const Thresholds& thresholds,
              bool paced_by_source, std::ostream& out);

}  // namespace rcuwatch::tui
