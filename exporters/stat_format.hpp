// `rcuwatch stat`: one line (vmstat style) or one JSON object per snapshot.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "snapshot.hpp"

namespace rcuwatch {

// Column headings for stat_line().
std::string stat_header();
std::string stat_line(const Snapshot& s);
nlohmann::json to_json(const Snapshot& s);

}  // namespace rcuwatch
