#include "results.hpp"

#include <fmt/format.h>

namespace rcuwatch::bench {

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    if (run.error_occurred) errors_++;
    if (run.error_occurred || run.iterations == 0) continue;
    const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    if (run.run_type == Run::RT_Aggregate && !median) continue;
    const std::string name =
        run.run_name.function_name + (run.run_name.args.empty() ? "" : "/" + run.run_name.args);
    RunResult r;
    // Aggregates report the statistic of per-iteration times as one "iteration".
    r.ns_per_iteration = run.real_accumulated_time * 1e9 / double(run.iterations);
    r.cpu_ns_per_iteration = run.cpu_accumulated_time * 1e9 / double(run.iterations);
    for (const auto& [k, c] : run.counters) r.counters[k] = c.value;
    results_[name] = r;  // a median comes after its repetitions and replaces them
  }
  ConsoleReporter::ReportRuns(runs);
}

std::string ratio(double value, double baseline) {
  if (baseline <= 0) return "n/a";
  const double r = value / baseline;
  return r < 10 ? fmt::format("{:.2f}x", r) : fmt::format("{:.1f}x", r);
}

std::string duration(double ns) {
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string size(double bytes) {
  if (bytes < 1e3) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1e6) return fmt::format("{:.1f} kB", bytes / 1e3);
  return fmt::format("{:.1f} MB", bytes / 1e6);
}

}  // namespace rcuwatch::bench
