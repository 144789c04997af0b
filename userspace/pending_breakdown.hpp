// The pending entries of a Sample broken down as the Snapshot shows them:
// one row per (instance, seq, cpu) in (instance, seq, expired, cpu) order,
// radix and list objects of a seq merged; sums per seq and per CPU.
//
// This is the per-interval hot path (262144 entries on a 1024-CPU machine
// with 64 instances), and it is bound by memory traffic, not by
// instructions: the entries are read in two passes and no comparison sort
// touches them. The first pass finds each entry's seq (a hash table of the
// few hundred distinct seqs), sums per seq and per CPU, and counts entries
// per CPU and per seq. The seqs alone are then sorted; two counting-sort
// passes (by CPU, then by seq rank, stable) order one integer per entry
// (seq rank, cpu, entry index); the second pass over the entries builds the
// rows in that order.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sample.hpp"
#include "snapshot.hpp"

namespace rcuwatch {

// What a SeqSummary is per: radix and list objects of a seq are one seq;
// a CPU's expired list is apart from them.
struct SeqKey {
  uint64_t instance = 0;
  uint64_t seq = 0;
  bool expired = false;
};

// A seq's sums over its CPUs.
struct SeqTotal {
  SeqKey key;
  SeqState state = SeqState::WaitingForGracePeriod;
  int64_t objects = 0;
  int64_t bytes = 0;
  uint64_t age_ns = 0;
  uint32_t cpus = 0;  // rows: CPUs holding objects of the seq
};

struct PendingBreakdown {
  std::vector<SeqRow> rows;    // Snapshot::seq_cpus
  std::vector<SeqTotal> seqs;  // sorted by (instance, seq, expired)
  std::vector<CpuRow> cpus;    // every CPU by number: at least nr_cpus, and every CPU seen
};

// Keeps its scratch buffers from one interval to the next.
class PendingBreakdownBuilder {
 public:
  // max_key_bits: the counting sorts run when (seq rank, cpu, entry index)
  // packs into this many bits (always below a million entries and 4096
  // CPUs); otherwise a comparison sort gives the same order. Tests lower
  // it to compare the two.
  explicit PendingBreakdownBuilder(unsigned max_key_bits = 64) : max_key_bits_(max_key_bits) {}

  // state_of is called once per seq. Ages are counted to `now_ns`.
  PendingBreakdown build(const std::vector<PendingEntry>& pending, uint64_t now_ns,
                         uint32_t nr_cpus, const std::function<SeqState(const SeqKey&)>& state_of);

 private:
  unsigned max_key_bits_;
  std::vector<uint64_t> keys_, tmp_;  // one per entry; tmp_ freed after the sorts
  std::vector<uint32_t> per_cpu_;     // entries per CPU, then where each CPU's start
};

}  // namespace rcuwatch
