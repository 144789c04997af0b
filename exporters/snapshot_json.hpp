// A Snapshot as one JSON object: `stat --json`, `replay --json`, and the
// exporter's JSON API. Keys are stable; consumers (tests/vm/check_e2e.py,
// scripts) read them by name.
#pragma once

#include <nlohmann/json.hpp>

#include "snapshot.hpp"

namespace rcuwatch {

nlohmann::json to_json(const Snapshot& s);

// Parts of it that `report --json` shares: a detector's subject, an
// episode with its evidence, contributions in the detector's unit.
nlohmann::json to_json(const Subject& s);
nlohmann::json to_json(const DetectorEpisode& e);
nlohmann::json to_json(Detector d, const std::vector<Contribution>& contributions);

}  // namespace rcuwatch
