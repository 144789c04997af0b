// Checking TopOptions once, before a terminal is taken, and turning them
// into what the view works with.
#pragma once

#include "thresholds.hpp"
#include "top.hpp"
#include "view_state.hpp"

namespace rcuwatch::tui {

// Throw rcuwatch::Error (kExitUsage) with a one-line message on bad values.
Thresholds thresholds_from(const TopOptions& options);
ViewState view_state_from(const TopOptions& options);

}  // namespace rcuwatch::tui
