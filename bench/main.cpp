// rcuwatch_bench: every measurement next to a baseline measured in the same
// run, ending with a summary of ratios (docs/benchmarks.md). Shared, noisy
// machines make absolute times meaningless; ratios survive.
//
//   rcuwatch_bench [Google Benchmark flags] [--bench_dir=DIR] [--exporter_malloc]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "aggregator_bench.hpp"
#include "bpf_bench.hpp"
#include "interval_bench.hpp"
#include "interval_memory.hpp"
#include "recording_bench.hpp"
#include "results.hpp"
#include "targets.hpp"
#include "view_bench.hpp"

namespace {

constexpr const char kUsage[] =
    "rcuwatch_bench [Google Benchmark flags] [--bench_dir=DIR] [--exporter_malloc]\n"
    "  --bench_dir=DIR    where the recording benchmarks write (default: the temp directory)\n"
    "  --exporter_malloc  allocate as `rcuwatch exporter` does (big buffers returned to the\n"
    "                     kernel when freed), not as top and stat do (kept between intervals)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace rcuwatch::bench;
  benchmark::Initialize(&argc, argv);
  std::string dir = std::filesystem::temp_directory_path().string();
  bool exporter_malloc = false;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg.rfind("--bench_dir=", 0) == 0) {
      dir = arg.substr(12);
    } else if (arg == "--exporter_malloc") {
      exporter_malloc = true;
      rcuwatch::return_big_buffers_when_freed();
    } else {
      std::cerr << "rcuwatch_bench: unknown argument " << arg << "\n" << kUsage;
      return 2;
    }
  }
  // Otherwise as top and stat allocate. Left to glibc's own thresholds, a
  // benchmark's figure depended on which benchmarks had run before it
  // (the update at 262144 entries: 6 ms after some, 13 to 28 ms alone).
  if (!exporter_malloc) rcuwatch::keep_big_buffers_between_intervals();

  try {
    std::string why;
    BpfBenchPtr bpf = register_bpf_benchmarks(&why);
    if (!bpf) std::cout << "SKIPPED BPF per-event benchmarks: " << why << "\n";
    register_aggregator_benchmarks();
    register_view_benchmarks();
    std::string why_maps;
    IntervalBenchPtr interval = register_interval_benchmarks(&why_maps);
    if (!interval)
      std::cout << "SKIPPED BPF map and whole-interval benchmarks: " << why_maps << "\n";
    RecordingBenchPtr recording = register_recording_benchmarks(dir);

    Results results;
    CollectingReporter reporter(results);
    benchmark::RunSpecifiedBenchmarks(&reporter);

    std::ostringstream summary;
    summarize_bpf(results, summary);
    summarize_interval(results, summary,
                       exporter_malloc ? "malloc as the exporter: big buffers returned when freed"
                                       : "malloc as top and stat: big buffers kept between "
                                         "intervals");
    summarize_aggregator(results, summary);
    summarize_views(results, summary);
    summarize_recording(results, summary);
    summarize_targets(results, summary);
    std::cout
        << "\n== rcuwatch benchmark summary: ratios against baselines measured in this run ==\n"
        << summary.str();
    if (!bpf) std::cout << "BPF programs: SKIPPED (" << why << ")\n";
    benchmark::Shutdown();
    if (reporter.errors()) {
      std::cerr << "rcuwatch_bench: " << reporter.errors() << " benchmark(s) failed\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "rcuwatch_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
