// `rcuwatch report`: a recording (or the live kernel for a while) through
// the aggregator into a ReportBuilder, then one page of text or one JSON
// object (report_text.hpp, report_json.hpp).
#pragma once

#include "sources.hpp"
#include "stop.hpp"

namespace rcuwatch {

struct ReportCommandOptions {
  bool live = false;              // --live: the running kernel instead of FILE
  double duration_seconds = 10;   // --live: how long to watch
  double interval_seconds = 1.0;  // --live: -i, between samples
  double stranded_age_seconds = 1.0;
  bool json = false;
  SourceOptions source;  // source.replay_file is FILE
};

// Throws rcuwatch::Error: usage (neither or both of FILE and --live), or
// what the source throws. A recording that ends in a bad record still gets
// its report of the records before it, then the error.
int run_report(const ReportCommandOptions& options, const StopFlag& stop);

}  // namespace rcuwatch
