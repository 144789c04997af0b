// Aggregator::update at the scale of a big machine, against copying the same
// Tick; and the heap it allocates per pending entry against the entry's size.
#pragma once

#include <iosfwd>

#include "results.hpp"

namespace rcuwatch::bench {

void register_aggregator_benchmarks();
void summarize_aggregator(const Results& results, std::ostream& out);

}  // namespace rcuwatch::bench
