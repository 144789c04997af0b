// The report as one JSON object (`rcuwatch report --json`, docs/report.md).
#pragma once

#include <nlohmann/json.hpp>

#include "report.hpp"

namespace rcuwatch {

nlohmann::json to_json(const Report& r);

}  // namespace rcuwatch
