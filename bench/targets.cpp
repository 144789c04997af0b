#include "targets.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <utility>
#include <vector>

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

// Target 1: in-kernel ns per event of the enqueue and dequeue programs
// against the floor (<= 1.5x) and against the naive design (>= 3x cheaper).
void summarize_hot_path(const Results& r, std::ostream& out) {
  const RunResult* floor = find(r, "bpf/floor_program");
  const RunResult* naive = find(r, "bpf/naive_record_per_object");
  if (!floor || !naive || floor->counter("kernel_ns") <= 0) {
    out << "  1 hot path: not measured in this run (needs root and BPF_ENABLE_STATS)\n";
    return;
  }
  const double f = floor->counter("kernel_ns");
  // The naive design pays in the kernel per record, and in userspace to read
  // each one; rcuwatch's userspace cost is per interval, not per object.
  const double n = naive->counter("kernel_ns") + naive->counter("user_ns");
  struct Hot {
    const char* name;
    const char* by_turns;
    const char* what;
  };
  for (const auto& [name, by_turns, what] :
       {Hot{"bpf/rcu_pending_enqueue", "bpf/by_turns/enqueue_and_floor", "enqueue"},
        Hot{"bpf/rcu_pending_dequeue", "bpf/by_turns/dequeue_and_floor", "dequeue"}}) {
    const RunResult* p = find(r, name);
    if (!p) continue;
    const double k = p->counter("kernel_ns");
    out << "  1 hot path, " << what << " program: ";
    // The verdict from the two run by turns, over the same seconds; the
    // benchmarks apart (run minutes from each other) alongside.
    const RunResult* t = find(r, by_turns);
    if (t && t->counter("floor_kernel_ns") > 0) {
      const double tk = t->counter("kernel_ns"), tf = t->counter("floor_kernel_ns");
      out << ratio(tk, tf) << " the floor program, the two run by turns (" << duration(tk) << " vs "
          << duration(tf) << " in kernel; target <= 1.5x): " << verdict(tk / tf, 1.5)
          << " (run apart: " << ratio(k, f) << ", " << duration(k) << " vs " << duration(f) << ")";
    } else {
      out << ratio(k, f) << " the floor program (" << duration(k) << " vs " << duration(f)
          << " in kernel; target <= 1.5x): " << verdict(k / f, 1.5);
    }
    out << "; " << ratio(n, k) << " cheaper than a ring-buffer record "
        << "per object (" << duration(n) << " = " << duration(naive->counter("kernel_ns"))
        << " in kernel + " << duration(naive->counter("user_ns"))
        << " to read it in userspace; target >= 3x): " << verdict(3, n / k) << "\n";
  }
  // How much of the first ratio the map memory alone explains: the same two
  // kinds of map memory the programs write, each written once, and nothing else.
  if (const RunResult* two = find(r, "bpf/floor_two_maps"); two && two->counter("kernel_ns") > 0)
    out << "    of which their map memory: a program that only increments a slot in each kind "
           "they write (a per-CPU value, an mmapable array's row) takes "
        << ratio(two->counter("kernel_ns"), f) << " the floor ("
        << duration(two->counter("kernel_ns")) << ")\n";
  // And when the second is found through the first, as a seq's slot is
  // found through the CPU's state: two chains of reads become one.
  if (const RunResult* dep = find(r, "bpf/floor_dependent"); dep && dep->counter("kernel_ns") > 0)
    out << "    the same with the row read from the per-CPU slot (dependent reads): "
        << ratio(dep->counter("kernel_ns"), f) << " the floor ("
        << duration(dep->counter("kernel_ns")) << ")\n";
}

}  // namespace

void summarize_targets(const Results& r, std::ostream& out) {
  const uint32_t big = kScaleCpus[0];
  const std::string at = std::string("/").append(std::to_string(big));  // GCC bug 105329
  const std::string where = describe(scale_shape(big));
  out << "Targets (issue 11), measured vs target, baselines from this run (CPU time of the "
         "benchmark thread: the machine is shared):\n";
  summarize_hot_path(r, out);

  const RunResult* read = find(r, "maps/read_sample" + at);
  const RunResult* raw = find(r, "maps/raw_lookup_batch" + at);
  if (read && raw) {
    const double x = read->cpu_ns_per_iteration / raw->cpu_ns_per_iteration;
    out << "  2 map read, " << where << ": "
        << ratio(read->cpu_ns_per_iteration, raw->cpu_ns_per_iteration)
        << " a raw bpf_map_lookup_batch of the same map (" << duration(read->cpu_ns_per_iteration)
        << " vs " << duration(raw->cpu_ns_per_iteration) << "; target <= 2x): " << verdict(x, 2)
        << "\n";
    if (const RunResult* rs = find(r, "maps/read_slots" + at),
        *copy = find(r, "maps/raw_copy_slots" + at);
        rs && copy)
      out << "    tracepoint mode (seqs in the pending slots): "
          << duration(rs->cpu_ns_per_iteration) << ", "
          << ratio(rs->cpu_ns_per_iteration, copy->cpu_ns_per_iteration)
          << " a memcpy of the slots' mmap plus a raw batch read of that hash ("
          << duration(copy->cpu_ns_per_iteration) << "), "
          << ratio(rs->cpu_ns_per_iteration, raw->cpu_ns_per_iteration)
          << " the raw batch read of the stock modes' hash\n";
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
    if (const RunResult* f = find(r, "aggregator/rows_floor" + at))
      out << "    bound: reading each entry once and writing its row, nothing else, is already "
          << ratio(f->cpu_ns_per_iteration, copy->cpu_ns_per_iteration) << " the copy ("
          << duration(f->cpu_ns_per_iteration) << ")\n";
    const RunResult* g = find(r, "aggregator/rows_in_order_floor" + at);
    const RunResult* sc = find(r, "aggregator/rows_scattered_floor" + at);
    if (g && sc)
      out << "    bound: the same with the rows in the Snapshot's order, that order given for "
             "free, "
          << ratio(std::min(g->cpu_ns_per_iteration, sc->cpu_ns_per_iteration),
                   copy->cpu_ns_per_iteration)
          << " the copy (the lesser of entries gathered, " << duration(g->cpu_ns_per_iteration)
          << ", and rows scattered, " << duration(sc->cpu_ns_per_iteration)
          << "); finding the order and the sums come on top\n";
  }

  const RunResult* whole = find(r, "interval/whole" + at);
  if (whole) {
    out << "  2 whole interval (read, update, detectors, top frame, /metrics), " << where << ": "
        << duration(whole->cpu_ns_per_iteration)
        << " of CPU on one thread (target < 5 ms): " << verdict(whole->cpu_ns_per_iteration, 5e6)
        << "\n";
    if (const RunResult* ws = find(r, "interval/whole_slots" + at))
      out << "    tracepoint mode (seqs in the pending slots): "
          << duration(ws->cpu_ns_per_iteration)
          << " (target < 5 ms): " << verdict(ws->cpu_ns_per_iteration, 5e6) << "\n";
    if (const RunResult* wp = find(r, "interval/whole_slots_processing" + at))
      out << "    tracepoint mode under steady load (a batch processed on every queue, "
          << fmt::format("{:.0f}", wp->counter("events"))
          << " lifecycle events): " << duration(wp->cpu_ns_per_iteration)
          << " (target < 5 ms): " << verdict(wp->cpu_ns_per_iteration, 5e6) << "\n";
    if (raw)
      out << "    bound (stock modes' hash): the kernel's BPF_MAP_LOOKUP_BATCH of the pending map "
             "alone takes "
          << duration(raw->cpu_ns_per_iteration) << " ("
          << fmt::format("{:.1f}x the target, {:.0f} ns per entry)",
                         raw->cpu_ns_per_iteration / 5e6,
                         raw->cpu_ns_per_iteration / raw->counter("pending_entries"))
          << "\n";
    // Linear: time grows as entries^k with k near 1, k the least-squares
    // slope of log(time) against log(entries) over the sizes.
    std::vector<std::pair<double, double>> points;  // log entries, log ns
    std::string per_size;
    for (auto it = std::rbegin(kScaleCpus); it != std::rend(kScaleCpus); ++it) {
      const RunResult* w = find(r, "interval/whole/" + std::to_string(*it));
      if (!w) continue;
      const double n = w->counter("pending_entries");
      points.emplace_back(std::log(n), std::log(w->cpu_ns_per_iteration));
      per_size += fmt::format("{}{} at {}", per_size.empty() ? "" : ", ",
                              duration(w->cpu_ns_per_iteration), n);
    }
    if (points.size() >= 2) {
      double mx = 0, my = 0;
      for (const auto& [x, y] : points) {
        mx += x / double(points.size());
        my += y / double(points.size());
      }
      double sxy = 0, sxx = 0;
      for (const auto& [x, y] : points) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
      }
      const double k = sxy / sxx;
      out << "  2 linear: " << per_size << " entries: time grows as entries^"
          << fmt::format("{:.2f}", k)
          << " (target: linear, exponent <= 1.10): " << (k <= 1.1 ? "MET" : "MISSED") << "\n";
    }
  } else {
    out << "  2 whole interval: not measured in this run (needs root to create BPF maps)\n";
  }
  const RunResult* next = find(r, "recording/next");
  const RunResult* fread_crc = find(r, "recording/fread_crc32c");
  if (next && fread_crc) {
    const double x = next->cpu_ns_per_iteration / fread_crc->cpu_ns_per_iteration;
    out << "  3 replay ingest, RecordingReader::next: "
        << ratio(next->cpu_ns_per_iteration, fread_crc->cpu_ns_per_iteration)
        << " fread + CRC-32C of the same bytes (" << duration(next->cpu_ns_per_iteration) << " vs "
        << duration(fread_crc->cpu_ns_per_iteration)
        << " per tick, read syscalls included; target <= 1.5x): " << verdict(x, 1.5) << "\n";
  } else {
    out << "  3 replay ingest: not measured in this run (filtered out)\n";
  }
  out << "  4 memory: measured by rcuwatch_memory_bench (scripts/bench.sh prints it here)\n";
  out << "  5 observer effect: in the VM, printed by ctest -R vm_observer (ns per rcu_pending "
         "enqueue with and without rcuwatch, one boot)\n";
}

}  // namespace rcuwatch::bench
