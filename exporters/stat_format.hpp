// `rcuwatch stat`: one line per snapshot, vmstat style (`--json` prints
// snapshot_json.hpp's object instead).
#pragma once

#include <string>

#include "snapshot.hpp"

namespace rcuwatch {

// Column headings for stat_line().
std::string stat_header();
std::string stat_line(const Snapshot& s);

}  // namespace rcuwatch
