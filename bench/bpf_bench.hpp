// Per-event cost of rcuwatch's BPF programs in the running kernel: the real
// BPF object, loaded by rcuwatch's own BpfLoader, driven by BPF_PROG_TEST_RUN
// against an empty raw_tp program (baseline.bpf.c) driven the same way.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "results.hpp"

namespace rcuwatch::bench {

class BpfBench;
struct BpfBenchDeleter {  // BpfBench is complete only in bpf_bench.cpp
  void operator()(BpfBench* b) const;
};
using BpfBenchPtr = std::unique_ptr<BpfBench, BpfBenchDeleter>;

// Loads both BPF objects, fills the pending map with live seqs and registers
// the benchmarks, which use the returned object: keep it alive while they
// run. nullptr, with `why` set, when BPF cannot be used here (not root);
// throws Error when it should work and does not.
BpfBenchPtr register_bpf_benchmarks(std::string* why);

// The summary lines: each program against the empty program.
void summarize_bpf(const Results& results, std::ostream& out);

}  // namespace rcuwatch::bench
