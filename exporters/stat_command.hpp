// `rcuwatch stat`, `rcuwatch replay` and `rcuwatch record`: the headless
// loop from a source through the aggregator to stat lines or JSON.
#pragma once

#include "detection.hpp"
#include "sources.hpp"
#include "stop.hpp"

namespace rcuwatch {

struct StatOptions {
  double interval_seconds = 1.0;  // -i
  long count = -1;                // -n, -1: until the source ends or a signal
  bool json = false;
  bool final_only = false;  // print only the last snapshot
  bool quiet = false;       // record: no output
  SourceOptions source;
  DetectorLimits detectors;
};

int run_stat(const StatOptions& options, const StopFlag& stop);

}  // namespace rcuwatch
