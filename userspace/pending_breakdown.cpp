#include "pending_breakdown.hpp"

#include <algorithm>
#include <bit>
#include <memory>
#include <numeric>
#include <tuple>
#include <utility>

#include "dense_ids.hpp"
#include "interval_memory.hpp"
#include "limits.hpp"
#include "saturating.hpp"

namespace rcuwatch {

namespace {

// A seq's dense id (first-seen order). A few hundred seqs live at a time:
// the table stays in the L1 cache, and entries come in any order (a hash
// map's, the pending slots' queue after queue), so no cache of the last key
// seen would save the lookup.
struct SeqKeyHash {
  size_t operator()(const SeqKey& k) const { return hash_words(k.instance, k.seq * 2 + k.expired); }
};
using SeqIds = DenseIds<SeqKey, SeqKeyHash>;

// What the rows need of a pending entry: one cache line, not one or two.
struct alignas(32) RowInput {
  struct {
    uint32_t cpu, where;
  } key;
  rw_pending_val val;
};
static_assert(sizeof(RowInput) == 32);

// Marks the end of a row's chain of entries; a row's head with kMore set
// has more than one entry (the others are chained in keys_).
constexpr uint32_t kEnd = UINT32_MAX;
constexpr uint32_t kMore = uint32_t(1) << 31;

// A key packs (seq id, cpu), the CPU clamped to kMaxCpus.
constexpr unsigned kCpuBits = 14;
static_assert(limits::kMaxCpus < (1u << kCpuBits));

// How far ahead the rows pass prefetches the entries it will read: they
// come in row order, that is from anywhere in the sample.
constexpr size_t kPrefetchAhead = 32;

// Built twice on x86-64, with the popcnt instruction and without, the one
// this CPU has picked when the program loads: Debian's baseline x86-64 has
// no popcnt, and GCC's std::popcount then calls libgcc for each entry of
// the chains pass (3% of an update's samples in `perf record`). Clang
// (the fuzz build) inlines a bit-twiddling popcount instead, and accepts
// target_clones only on a function's first declaration (the header's).
#if defined(__x86_64__) && !defined(__clang__)
#define RCUWATCH_WITH_POPCNT __attribute__((target_clones("popcnt", "default")))
#else
#define RCUWATCH_WITH_POPCNT
#endif

// The grid (one bit per seq x CPU) is used while it has at most this many
// 64-bit words: 2 bits per entry, plus 64 KB for small samples.
size_t max_grid_words(size_t entries) { return entries / 32 + 8192; }

}  // namespace

PendingBreakdown PendingBreakdownBuilder::build(
    const std::vector<PendingEntry>& pending, uint64_t now_ns, uint32_t nr_cpus,
    const std::function<SeqState(const SeqKey&)>& state_of) {
  return build(pending, nullptr, now_ns, nr_cpus, state_of);
}

PendingBreakdown PendingBreakdownBuilder::build(
    std::vector<PendingEntry>&& pending, uint64_t now_ns, uint32_t nr_cpus,
    const std::function<SeqState(const SeqKey&)>& state_of) {
  return build(pending, &pending, now_ns, nr_cpus, state_of);
}

RCUWATCH_WITH_POPCNT PendingBreakdown PendingBreakdownBuilder::build(
    const std::vector<PendingEntry>& pending, std::vector<PendingEntry>* spent, uint64_t now_ns,
    uint32_t nr_cpus, const std::function<SeqState(const SeqKey&)>& state_of) {
  PendingBreakdown out;
  const size_t n = pending.size();
  out.cpus.resize(nr_cpus);
  keys_.reserve(n);
  prepare_for_filling(keys_.data(), n * sizeof(uint32_t));
  keys_.resize(n);
  size_t words = (std::max<size_t>(nr_cpus, 1) + 63) / 64;  // grid words per seq
  grid_.clear();
  bool grid_ok = max_key_bits_ >= 32 && n < kMore;
  bool regrid = false;  // a CPU beyond the grid's width: the grid is redone after pass 1

  // Pass 1 over the entries: each one's seq, its key and its grid bit. The
  // sums wait for the rows (pass 3), which add up each row's entries
  // anyway: a few additions per row there instead of per entry here.
  SeqIds ids;
  std::vector<SeqTotal> by_id;  // first-seen order
  // What the rows need of each entry, copied as it is read: the rows pass
  // gathers one aligned 32-byte input per entry instead of reading 48-byte
  // entries, half of which straddle two cache lines. Not zeroed: pass 1
  // writes every element.
  const std::unique_ptr<RowInput[]> inputs(new RowInput[n]);
  prepare_for_filling(inputs.get(), n * sizeof(RowInput));
  uint32_t max_cpu = 0;  // clamped to kMaxCpus
  for (size_t i = 0; i < n; i++) {
    const PendingEntry& p = pending[i];
    const SeqKey key{p.key.instance, p.key.seq, p.key.where == RW_WHERE_EXPIRED};
    bool fresh;
    const uint32_t id = ids.id(key, fresh);
    if (__builtin_expect(fresh, 0)) {
      by_id.push_back({key});
      if (grid_ok) grid_.resize(grid_.size() + words);
      grid_ok =
          grid_ok && by_id.size() < (1u << (32 - kCpuBits)) && grid_.size() <= max_grid_words(n);
    }
    inputs[i] = {{p.key.cpu, p.key.where}, p.val};
    const uint32_t cpu = std::min(p.key.cpu, limits::kMaxCpus);
    max_cpu = std::max(max_cpu, cpu);
    keys_[i] = id << kCpuBits | cpu;
    if (cpu / 64 < words) {
      if (grid_ok) grid_[size_t(id) * words + cpu / 64] |= uint64_t(1) << (cpu % 64);
    } else {
      regrid = true;
    }
  }
  // A CPU row per CPU below kMaxCpus: a CPU number from a kernel bug must
  // neither index past the rows nor make millions of them. Entries beyond
  // it count in their seq and seq row, without a CPU row; the comparison
  // sort below orders them by their CPU.
  const bool beyond = max_cpu == limits::kMaxCpus;
  uint32_t cpu_rows = beyond ? 0 : max_cpu + 1;
  if (beyond)
    for (const PendingEntry& p : pending)
      if (p.key.cpu < limits::kMaxCpus) cpu_rows = std::max(cpu_rows, p.key.cpu + 1);
  if (n && cpu_rows > out.cpus.size()) out.cpus.resize(cpu_rows);
  for (uint32_t c = 0; c < out.cpus.size(); c++) out.cpus[c].cpu = c;

  // The seqs in order, each with its state.
  const size_t nr_seqs = by_id.size();
  std::vector<uint32_t> by_rank(nr_seqs);
  std::iota(by_rank.begin(), by_rank.end(), 0);
  std::sort(by_rank.begin(), by_rank.end(), [&](uint32_t a, uint32_t b) {
    const SeqKey &x = by_id[a].key, &y = by_id[b].key;
    return std::tie(x.instance, x.seq, x.expired) < std::tie(y.instance, y.seq, y.expired);
  });
  out.seqs.reserve(nr_seqs);
  for (const uint32_t id : by_rank) {
    out.seqs.push_back(by_id[id]);
    out.seqs.back().state = state_of(out.seqs.back().key);
  }

  if (grid_ok && !beyond && regrid) {
    words = size_t(max_cpu) / 64 + 1;
    grid_ok = nr_seqs * words <= max_grid_words(n);
    if (grid_ok) {
      grid_.assign(nr_seqs * words, 0);
      for (const uint32_t k : keys_) {
        const uint32_t cpu = k & ((1u << kCpuBits) - 1);
        grid_[size_t(k >> kCpuBits) * words + cpu / 64] |= uint64_t(1) << (cpu % 64);
      }
    }
  }
  // Where each seq's rows start (by rank), and the rows: each one's first
  // entry in heads_, the next one in keys_.
  std::vector<uint32_t> seq_rows(nr_seqs + 1);
  const bool by_grid = grid_ok && !beyond;
  if (by_grid) {
    // A cell's row: the rows of the grid words before it, plus its bits
    // before it in its word.
    word_rows_.resize(grid_.size());
    uint32_t rows = 0;
    for (size_t r = 0; r < nr_seqs; r++) {
      seq_rows[r] = rows;
      const size_t w0 = size_t(by_rank[r]) * words;
      for (size_t w = w0; w < w0 + words; w++) {
        word_rows_[w] = rows;
        rows += uint32_t(std::popcount(grid_[w]));
      }
    }
    seq_rows[nr_seqs] = rows;
    heads_.reserve(rows);
    prepare_for_filling(heads_.data(), rows * sizeof(uint32_t));
    heads_.assign(rows, kEnd);
    // Backwards, so that each chain lists its entries in sample order.
    for (size_t i = n; i-- > 0;) {
      const uint32_t k = keys_[i];
      const uint32_t cpu = k & ((1u << kCpuBits) - 1);
      const size_t w = size_t(k >> kCpuBits) * words + cpu / 64;
      const uint32_t row =
          word_rows_[w] + uint32_t(std::popcount(grid_[w] & ((uint64_t(1) << (cpu % 64)) - 1)));
      const uint32_t head = heads_[row];
      keys_[i] = head == kEnd ? kEnd : head & ~kMore;
      heads_[row] = head == kEnd ? uint32_t(i) : uint32_t(i) | kMore;
    }
  } else {
    // The comparison sort: (seq rank, cpu, entry index).
    std::vector<uint32_t> rank(nr_seqs);
    for (uint32_t r = 0; r < nr_seqs; r++) rank[by_rank[r]] = r;
    std::vector<uint64_t> order(n);
    for (size_t i = 0; i < n; i++) {
      const PendingEntry& p = pending[i];
      bool fresh;
      const uint32_t id =
          ids.id({p.key.instance, p.key.seq, p.key.where == RW_WHERE_EXPIRED}, fresh);
      order[i] = uint64_t(rank[id]) << 32 | i;
    }
    std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
      if (a >> 32 != b >> 32) return a < b;
      const uint32_t ca = pending[uint32_t(a)].key.cpu, cb = pending[uint32_t(b)].key.cpu;
      return ca != cb ? ca < cb : a < b;
    });
    heads_.clear();
    uint32_t prev = kEnd, prev_rank = 0, prev_cpu = 0;
    for (const uint64_t o : order) {
      const uint32_t i = uint32_t(o), r = uint32_t(o >> 32), cpu = pending[i].key.cpu;
      if (prev == kEnd || r != prev_rank || cpu != prev_cpu) {
        heads_.push_back(i);
        seq_rows[r + 1]++;
      } else {
        keys_[prev] = i;
        heads_.back() |= kMore;
      }
      keys_[i] = kEnd;
      prev = i;
      prev_rank = r;
      prev_cpu = cpu;
    }
    for (size_t r = 0; r < nr_seqs; r++) seq_rows[r + 1] += seq_rows[r];
  }

  // Pass 3: the rows in order, each written once, from its chain of
  // entries; and the objects per instance x CPU, an instance's seqs being
  // consecutive.
  const size_t nr_rows = heads_.size();
  if (spent) std::vector<PendingEntry>().swap(*spent);  // freed before the rows are allocated
  out.rows.reserve(nr_rows);
  prepare_for_filling(out.rows.data(), nr_rows * sizeof(SeqRow));
  const size_t nr_cpu_rows = out.cpus.size();
  queue_sum_.assign(nr_cpu_rows, 0);
  queue_seen_.assign(nr_cpu_rows, 0);
  queue_cpus_.clear();
  // As many queues as the last interval had, most of the time.
  out.queues.reserve(last_queues_);
  prepare_for_filling(out.queues.data(), last_queues_ * sizeof(QueuePending));
  auto end_instance = [&](uint64_t instance) {
    // In CPU order: a scan of every CPU when the instance is on many, else
    // its CPUs sorted.
    if (queue_cpus_.size() * 8 >= nr_cpu_rows) {
      queue_cpus_.clear();
      for (uint32_t c = 0; c < nr_cpu_rows; c++)
        if (queue_seen_[c]) queue_cpus_.push_back(c);
    } else {
      std::sort(queue_cpus_.begin(), queue_cpus_.end());
    }
    for (const uint32_t c : queue_cpus_) {
      out.queues.push_back({{instance, c}, std::exchange(queue_sum_[c], 0)});
      queue_seen_[c] = 0;
    }
    queue_cpus_.clear();
  };
  const RowInput* entries = inputs.get();
  for (size_t r = 0; r < nr_seqs; r++) {
    SeqTotal& q = out.seqs[r];
    q.cpus = seq_rows[r + 1] - seq_rows[r];
    int64_t seq_objects = 0, seq_bytes = 0;
    uint64_t seq_age = 0;
    for (size_t row = seq_rows[r]; row < seq_rows[r + 1]; row++) {
      if (row + kPrefetchAhead < nr_rows) {
        const auto& ahead = entries[heads_[row + kPrefetchAhead] & ~kMore];
        __builtin_prefetch(&ahead);
      }
      // Summed in registers, then written once in place: no row copied.
      const uint32_t head = heads_[row];
      uint32_t i = head & ~kMore;
      const uint32_t cpu = entries[i].key.cpu;
      int64_t objects = 0, bytes = 0, list_objects = 0;
      uint64_t age = 0;
      do {
        const auto& p = entries[i];
        add_to(objects, p.val.objects);
        add_to(bytes, p.val.bytes);
        if (p.key.where != RW_WHERE_RADIX) add_to(list_objects, p.val.objects);
        age = std::max(age, age_ns(now_ns, p.val.first_enqueue_ns));
        i = head & kMore ? keys_[i] : kEnd;  // most rows have one entry: keys_ unread
      } while (i != kEnd);
      SeqRow& s = out.rows.emplace_back();
      s.instance = q.key.instance;
      s.cpu = cpu;
      s.state = q.state;
      s.seq = q.key.seq;
      s.objects = objects;
      s.bytes = bytes;
      s.list_objects = list_objects;
      s.age_ns = age;
      add_to(seq_objects, objects);
      add_to(seq_bytes, bytes);
      seq_age = std::max(seq_age, age);
      if (cpu < nr_cpu_rows) {
        CpuRow& c = out.cpus[cpu];
        add_to(c.objects, objects);
        add_to(c.bytes, bytes);
        c.oldest_age_ns = std::max(c.oldest_age_ns, age);
        c.seqs_in_flight++;
        if (!queue_seen_[cpu]) queue_cpus_.push_back(cpu);
        queue_seen_[cpu] = 1;
        add_to(queue_sum_[cpu], objects);
      }
    }
    q.objects = seq_objects;
    q.bytes = seq_bytes;
    q.age_ns = seq_age;
    if (r + 1 == nr_seqs || out.seqs[r + 1].key.instance != q.key.instance)
      end_instance(q.key.instance);
  }
  last_queues_ = out.queues.size();
  // Not held beside the rows and the next sample.
  std::vector<uint32_t>().swap(keys_);
  std::vector<uint32_t>().swap(heads_);
  return out;
}

}  // namespace rcuwatch
