// The targets of issue 11 ("Performance"), each as "measured vs target"
// with its baseline from the same run, or who measures it elsewhere.
#pragma once

#include <iosfwd>

#include "results.hpp"

namespace rcuwatch::bench {

void summarize_targets(const Results& results, std::ostream& out);

}  // namespace rcuwatch::bench
