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

// "1.5 MiB", "512 B": binary units, one decimal.
std::string human_bytes(double bytes);
// "850ms", "12.3s", "4m05s"
std::string human_duration_ns(uint64_t ns);

}  // namespace rcuwatch
