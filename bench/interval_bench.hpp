// One interval at scale against real BPF maps in the running kernel. Maps
// like bpf/rcuwatch.bpf.c's are created here and filled with scale_tick's
// entries; the daemon's MapReader reads them against a raw
// bpf_map_lookup_batch of the same pending map, and the whole interval runs
// on one thread: read the maps, Aggregator::update, one `top` frame, one
// /metrics body.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "results.hpp"

namespace rcuwatch::bench {

class IntervalBench;
struct IntervalBenchDeleter {  // IntervalBench is complete only in interval_bench.cpp
  void operator()(IntervalBench* b) const;
};
using IntervalBenchPtr = std::unique_ptr<IntervalBench, IntervalBenchDeleter>;

// nullptr, with `why` set, when BPF maps cannot be created here (not root).
// Keep the returned object alive while the benchmarks run.
IntervalBenchPtr register_interval_benchmarks(std::string* why);

// `malloc` says how this run allocated (main.cpp: --exporter_malloc).
void summarize_interval(const Results& results, std::ostream& out, const char* malloc);

}  // namespace rcuwatch::bench
