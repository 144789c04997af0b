// `rcuwatch report`: a recording (or the live kernel for a while) through
// the aggregator into a ReportBuilder, then one page of text or one JSON
// object (report_text.hpp, report_json.hpp).
#pragma once

#include "detection.hpp"
#include "sources.hpp"
#include "stop.hpp"

namespace rcuwatch {

struct ReportCommandOptions {
  bool live = false;              // --live: the running kernel instead of FILE
  double duration_seconds = 10;   // --live: how long to watch
  double interval_seconds = 1.0;  // --live: -i, between samples
  bool json = false;
  SourceOptions source;  // source.replay_file is FILE
  // Also the report's stranded episodes: oldest pending >= stranded_age_ns.
  DetectorLimits detectors;
};

// Returns kExitOk, or kExitDetectorFired when any detector fired. Throws
// rcuwatch::Error: usage (neither or both of FILE and --live), or what the
// source throws. A recording that ends in a bad record still gets its report
// of the records before it, then the error (exit 1 wins over 3).
int run_report(const ReportCommandOptions& options, const StopFlag& stop);

}  // namespace rcuwatch
