// A Snapshot as one JSON object: `stat --json`, `replay --json`, and the
// exporter's JSON API. Keys are stable; consumers (tests/vm/check_e2e.py,
// scripts) read them by name.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "snapshot.hpp"

namespace rcuwatch {

nlohmann::json to_json(const Snapshot& s);
// The same object as one line on `out`, without building it whole: memory
// stays flat in the number of pending entries. Check ferror(out) after.
void write_json_line(const Snapshot& s, std::FILE* out);
// JSON text of `j` on one line; bytes that are not UTF-8 (names from a
// recording) are replaced, never an exception.
std::string json_text(const nlohmann::json& j);

// Parts of it that `report --json` shares: a detector's subject, an
// episode with its evidence, contributions in the detector's unit.
nlohmann::json to_json(const Subject& s);
nlohmann::json to_json(const DetectorEpisode& e);
nlohmann::json to_json(Detector d, const std::vector<Contribution>& contributions);
// An OOM kill with what rcu_pending held then; call sites.
nlohmann::json to_json(const OomCapture& c);
nlohmann::json to_json(const std::vector<CallSite>& call_sites);
nlohmann::json to_json(const CallSiteRow& r);

}  // namespace rcuwatch
