#include "targets.hpp"

#include <algorithm>
#include <ostream>

#include "scale_tick.hpp"

namespace rcuwatch::bench {

namespace {

std::string verdict(double measured, double target) {
  return measured <= target ? "MET" : fmt::format("MISSED by {:.2f}x", measured / target);
}

const RunResult* find(const Results& r, const std::string& name) {
  auto it = r.find(name);
  return it != r.end() ? &it->second : nullptr;
}

}  // namespace

void summarize_targets(const Results& r, std::ostream& out) {
  const uint32_t big = kScaleCpus[0];
  const std::string at = "/" + std::to_string(big);
  const std::string where = describe(scale_shape(big));
  out << "Targets (issue 11), measured vs target, baselines from this run:\n";
  out << "  1 hot path (enqueue/dequeue <= 1.5x the floor program): owned elsewhere "
         "(bpf/rcuwatch.bpf.c); the BPF lines above are today's programs against an empty one\n";

  const RunResult* read = find(r, "maps/read_sample" + at);
  const RunResult* raw = find(r, "maps/raw_lookup_batch" + at);
  if (read && raw) {
    const double x = read->cpu_ns_per_iteration / raw->cpu_ns_per_iteration;
    out << "  2 map read, " << where << ": "
        << ratio(read->cpu_ns_per_iteration, raw->cpu_ns_per_iteration)
        << " a raw bpf_map_lookup_batch of the same map (" << duration(read->cpu_ns_per_iteration)
        << " vs " << duration(raw->cpu_ns_per_iteration) << "; target <= 2x): " << verdict(x, 2)
        << "\n";
  } else {
    out << "  2 map read: not measured in this run (needs root to create BPF maps)\n";
  }

  const RunResult* up = find(r, "aggregator/update" + at);
  const RunResult* copy = find(r, "aggregator/copy_tick" + at);
  if (up && copy) {
    const double x = up->cpu_ns_per_iteration / copy->cpu_ns_per_iteration;
    out << "  2 Aggregator::update, " << where << ": "
        << ratio(up->cpu_ns_per_iteration, copy->cpu_ns_per_iteration) << " copying the Tick ("
        << duration(up->cpu_ns_per_iteration) << " vs " << duration(copy->cpu_ns_per_iteration)
        << "; target <= 5x): " << verdict(x, 5) << "\n";
    if (const RunResult* v = find(r, "aggregator/update_views" + at)) {
      const double xv = v->cpu_ns_per_iteration / copy->cpu_ns_per_iteration;
      out << "    without seq_cpus rows, as top and the exporter run it: "
          << ratio(v->cpu_ns_per_iteration, copy->cpu_ns_per_iteration) << " the copy ("
          << duration(v->cpu_ns_per_iteration) << "): " << verdict(xv, 5) << "\n";
    }
  }

  const RunResult* whole = find(r, "interval/whole" + at);
  if (whole) {
    out << "  2 whole interval (read, update, top frame, /metrics), " << where << ": "
        << duration(whole->cpu_ns_per_iteration)
        << " on one thread (target < 5 ms): " << verdict(whole->cpu_ns_per_iteration, 5e6) << "\n";
    std::string per_entry, sizes;
    double lo = 0, hi = 0;
    for (auto it = std::rbegin(kScaleCpus); it != std::rend(kScaleCpus); ++it) {
      const RunResult* w = find(r, "interval/whole/" + std::to_string(*it));
      if (!w) continue;
      const double ns = w->cpu_ns_per_iteration / w->counter("pending_entries");
      lo = lo ? std::min(lo, ns) : ns;
      hi = std::max(hi, ns);
      per_entry += (per_entry.empty() ? "" : " / ") + fmt::format("{:.1f}", ns);
      sizes += (sizes.empty() ? "" : " / ") + fmt::format("{}", scale_shape(*it).pending_entries());
    }
    out << "  2 linear: " << per_entry << " ns per entry at " << sizes
        << " entries (largest/smallest " << ratio(hi, lo) << "; target: the same per entry)\n";
  } else {
    out << "  2 whole interval: not measured in this run (needs root to create BPF maps)\n";
  }
  out << "  3 replay ingest (RecordingReader <= 1.5x fread + checksum): owned elsewhere "
         "(userspace/recording.cpp); the Recording lines above are today's\n";
  out << "  4 memory: measured by scripts/bench.sh (rcuwatch_memory_bench), not by this binary\n";
  out << "  5 observer effect: owned elsewhere (printed by ctest -L vm)\n";
}

}  // namespace rcuwatch::bench
