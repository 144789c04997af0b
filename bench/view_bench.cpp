#include "view_bench.hpp"

#include <ostream>

#include "aggregator.hpp"
#include "scale_tick.hpp"

namespace rcuwatch::bench {

size_t IntervalViews::top_frame(const Snapshot& snapshot) {
  history_.add({snapshot.time_ns, snapshot.totals.pending_bytes});
  const tui::ScreenInput input{&snapshot,  &history_, &view_, &thresholds_,
                               "12:00:00", false,     {},     true};
  return tui::compose_screen(input, tui::TerminalSize{200, 60}).frame.size();
}

size_t IntervalViews::metrics_body(const Snapshot& snapshot) {
  status_.scrapes++;
  return prometheus_text(&snapshot, status_, prometheus_).size();
}

Snapshot scale_snapshot(uint32_t cpus) {
  Tick tick = make_tick(scale_shape(cpus));
  const SourceInfo info{"bench", "bench", cpus, {}};
  Aggregator agg;
  agg.update(tick, info, {});
  tick.sample.time_ns += 1'000'000'000;
  return agg.update(tick, info, {});
}

namespace {

void BM_TopFrame(benchmark::State& state) {
  const Snapshot snap = scale_snapshot(uint32_t(state.range(0)));
  IntervalViews views;
  for (auto _ : state) benchmark::DoNotOptimize(views.top_frame(snap));
  state.counters["pending_entries"] =
      double(scale_shape(uint32_t(state.range(0))).pending_entries());
}

void BM_MetricsBody(benchmark::State& state) {
  const Snapshot snap = scale_snapshot(uint32_t(state.range(0)));
  IntervalViews views;
  size_t bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(bytes = views.metrics_body(snap));
  state.counters["pending_entries"] =
      double(scale_shape(uint32_t(state.range(0))).pending_entries());
  state.counters["body_bytes"] = double(bytes);
}

}  // namespace

void register_view_benchmarks() {
  for (uint32_t cpus : kScaleCpus) {
    benchmark::RegisterBenchmark("views/top_frame", BM_TopFrame)
        ->Arg(cpus)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("views/metrics_body", BM_MetricsBody)
        ->Arg(cpus)
        ->Unit(benchmark::kMicrosecond);
  }
}

void summarize_views(const Results& r, std::ostream& out) {
  bool header = false;
  for (uint32_t cpus : kScaleCpus) {
    const std::string arg = std::string("/").append(std::to_string(cpus));  // GCC bug 105329
    auto f = r.find("views/top_frame" + arg);
    auto m = r.find("views/metrics_body" + arg);
    auto c = r.find("aggregator/copy_tick" + arg);
    if (f == r.end() || m == r.end() || c == r.end()) continue;
    if (!header) out << "Views of one Snapshot (baseline: copying the Tick it was made of)\n";
    header = true;
    const double copy = c->second.cpu_ns_per_iteration;
    out << "  " << describe(scale_shape(cpus)) << ": top frame "
        << duration(f->second.cpu_ns_per_iteration) << " ("
        << ratio(f->second.cpu_ns_per_iteration, copy) << " the copy), /metrics body "
        << duration(m->second.cpu_ns_per_iteration) << " ("
        << ratio(m->second.cpu_ns_per_iteration, copy) << ", "
        << size(m->second.counter("body_bytes")) << ")\n";
  }
}

}  // namespace rcuwatch::bench
