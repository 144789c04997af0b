// `rcuwatch stat`: one line per snapshot, vmstat style (`--json` prints
// snapshot_json.hpp's object instead). The last column counts the detectors
// firing; their names follow it.
#pragma once

#include <string>

#include "snapshot.hpp"

namespace rcuwatch {

// Column headings for stat_line().
std::string stat_header();
std::string stat_line(const Snapshot& s);

}  // namespace rcuwatch
