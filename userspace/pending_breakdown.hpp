// The pending entries of a Sample broken down as the Snapshot shows them:
// one row per (instance, seq, cpu) in (instance, seq, expired, cpu) order,
// radix and list objects of a seq merged; sums per seq, per CPU and per
// instance x CPU.
//
// This is the per-interval hot path (262144 entries on a 1024-CPU machine
// with 64 instances, in hash-map order): no sort touches the entries. Pass 1
// reads them in order: each one's seq (a hash table of the few hundred
// distinct seqs), one 4-byte key per entry, one bit per (seq, cpu) cell in
// a grid of a few kilobytes, and a 32-byte copy of what the rows need of
// the entry (when the entries are consumed, they are freed after it, before
// the rows are allocated). The seqs alone are then sorted; counting the
// grid's bits in seq order gives each cell its row, exactly as many rows as
// cells. Pass 2 over the keys chains each row's entries; pass 3 writes the
// rows in order, each one once and in its final place, reading its inputs
// from wherever they are (prefetched, one cache line each). The sums per
// seq, per CPU and per instance x CPU are made from the rows as they are
// written, not from the entries.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
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
  bool operator==(const SeqKey&) const = default;
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

// Pending objects of one instance on one CPU ((instance, cpu), objects).
using QueuePending = std::pair<std::pair<uint64_t, uint32_t>, int64_t>;

struct PendingBreakdown {
  std::vector<SeqRow> rows;    // Snapshot::seq_cpus
  std::vector<SeqTotal> seqs;  // sorted by (instance, seq, expired)
  std::vector<CpuRow> cpus;    // every CPU by number: at least nr_cpus, and every CPU seen
  // Per instance x CPU with a CPU row, sorted by (instance, cpu).
  std::vector<QueuePending> queues;
};

// Keeps its scratch buffers from one interval to the next.
class PendingBreakdownBuilder {
 public:
  // max_key_bits: the grid path runs when (seq id, cpu) packs into this
  // many bits (32 at most; always below 262144 distinct seqs, every CPU
  // below limits::kMaxCpus) and the grid stays small; otherwise a
  // comparison sort gives the same order. Tests lower it to compare the two.
  explicit PendingBreakdownBuilder(unsigned max_key_bits = 32) : max_key_bits_(max_key_bits) {}

  // state_of is called once per seq. Ages are counted to `now_ns`.
  PendingBreakdown build(const std::vector<PendingEntry>& pending, uint64_t now_ns,
                         uint32_t nr_cpus, const std::function<SeqState(const SeqKey&)>& state_of);
  // The same, consuming the entries: what the rows need of them (32 bytes
  // of 48) is kept, and they are freed before the rows are allocated.
  PendingBreakdown build(std::vector<PendingEntry>&& pending, uint64_t now_ns, uint32_t nr_cpus,
                         const std::function<SeqState(const SeqKey&)>& state_of);

 private:
  PendingBreakdown build(const std::vector<PendingEntry>& pending, std::vector<PendingEntry>* spent,
                         uint64_t now_ns, uint32_t nr_cpus,
                         const std::function<SeqState(const SeqKey&)>& state_of);
  unsigned max_key_bits_;
  // Scratch, kept from one interval to the next, except keys_ and heads_
  // (one per entry, one per row: 2 MB at 262144 entries), freed with the
  // rows built: not held beside the next sample.
  std::vector<uint32_t> keys_;        // per entry: (seq id, cpu), then the next entry of its row
  std::vector<uint32_t> heads_;       // per row: its first entry
  std::vector<uint64_t> grid_;        // one bit per (seq id, cpu)
  std::vector<uint32_t> word_rows_;   // per grid word: the rows before it
  std::vector<int64_t> queue_sum_;    // per CPU, the instance's objects
  std::vector<uint8_t> queue_seen_;   // per CPU, whether the instance has rows on it
  std::vector<uint32_t> queue_cpus_;  // the CPUs the instance has rows on
  size_t last_queues_ = 0;            // the last interval's queues
};

}  // namespace rcuwatch
