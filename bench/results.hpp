// What the benchmarks measured, collected while Google Benchmark reports, so
// the binary can end with ratios against the baselines of the same run.
#pragma once

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

namespace rcuwatch::bench {

struct RunResult {
  double ns_per_iteration = 0;      // real (or manual) time
  double cpu_ns_per_iteration = 0;  // CPU time of the benchmark thread, user + system
  std::map<std::string, double> counters;

  double counter(const std::string& name) const {
    auto it = counters.find(name);
    return it != counters.end() ? it->second : 0;
  }
};

// Keyed by the registered name (without "/manual_time" and the like). With
// --benchmark_repetitions the median replaces the single runs.
using Results = std::map<std::string, RunResult>;

// Console output as usual, plus a copy of every result into `results`.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  explicit CollectingReporter(Results& results) : results_(results) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  // Benchmarks that stopped with an error (SkipWithError).
  int errors() const { return errors_; }

 private:
  Results& results_;
  int errors_ = 0;
};

// "1.9x", "0.93x".
std::string ratio(double value, double baseline);
// "43 ns", "1.2 us", "25.1 ms".
std::string duration(double ns);
// "4.9 MB", "612 B".
std::string size(double bytes);

}  // namespace rcuwatch::bench
