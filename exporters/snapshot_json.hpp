// A Snapshot as one JSON object: `stat --json`, `replay --json`, and the
// exporter's JSON API. Keys are stable; consumers (tests/vm/check_e2e.py,
// scripts) read them by name.
#pragma once

#include <nlohmann/json.hpp>

#include "snapshot.hpp"

namespace rcuwatch {

nlohmann::json to_json(const Snapshot& s);

}  // namespace rcuwatch
