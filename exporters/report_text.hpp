// The report as one page of text (`rcuwatch report`).
#pragma once

#include <string>

#include "report.hpp"

namespace rcuwatch {

std::string format_report(const Report& r);

}  // namespace rcuwatch
