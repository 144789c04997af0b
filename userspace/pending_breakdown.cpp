#include "pending_breakdown.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <tuple>
#include <utility>

#include "limits.hpp"
#include "saturating.hpp"

namespace rcuwatch {

namespace {

// Open addressing from a SeqKey to a dense id in first-seen order. A few
// hundred seqs live at a time: the table stays in the L1 cache.
class SeqIds {
 public:
  // The key's id; `fresh` says whether it was first seen now.
  uint32_t id(const SeqKey& k, bool& fresh) {
    for (size_t i = hash(k) & mask();; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.id == kEmpty) {
        s = {k.instance, k.seq, k.expired, size_++};
        if (size_t(size_) * 2 > slots_.size()) grow();
        fresh = true;
        return size_ - 1;
      }
      if (s.instance == k.instance && s.seq == k.seq && s.expired == k.expired) {
        fresh = false;
        return s.id;
      }
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t instance = 0, seq = 0;
    bool expired = false;
    uint32_t id = kEmpty;
  };
  size_t mask() const { return slots_.size() - 1; }
  static size_t hash(const Slot& s) { return hash(SeqKey{s.instance, s.seq, s.expired}); }
  static size_t hash(const SeqKey& k) {
    const uint64_t h =
        k.instance * 0x9e3779b97f4a7c15ull ^ (k.seq * 2 + k.expired) * 0xc2b2ae3d27d4eb4full;
    return size_t(h ^ (h >> 32));
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.id == kEmpty) continue;
      size_t i = hash(s) & mask();
      while (slots_[i].id != kEmpty) i = (i + 1) & mask();
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(256);
  uint32_t size_ = 0;
};

unsigned bits_for(uint64_t max_value) { return unsigned(std::bit_width(max_value)); }

// counts[i] becomes the sum of the counts before it: where bucket i starts.
template <typename T>
void starts_from_counts(std::vector<T>& counts) {
  T at = 0;
  for (T& c : counts) at += std::exchange(c, at);
}

// How far ahead the rows pass prefetches the entry it will read: the
// entries come in sort order, that is from anywhere in the sample.
constexpr size_t kPrefetchAhead = 16;

}  // namespace

PendingBreakdown PendingBreakdownBuilder::build(
    const std::vector<PendingEntry>& pending, uint64_t now_ns, uint32_t nr_cpus,
    const std::function<SeqState(const SeqKey&)>& state_of) {
  PendingBreakdown out;
  const size_t n = pending.size();
  out.cpus.resize(nr_cpus);
  per_cpu_.assign(nr_cpus, 0);
  keys_.resize(n);

  // Pass 1 over the entries: each one's seq, sums per seq and per CPU, and
  // the counts the sorts below place entries with.
  SeqIds ids;
  std::vector<SeqTotal> by_id;   // first-seen order
  std::vector<uint32_t> in_seq;  // entries per seq, by id
  bool beyond = false;           // an entry on a CPU >= kMaxCpus
  for (size_t i = 0; i < n; i++) {
    const PendingEntry& p = pending[i];
    const SeqKey key{p.key.instance, p.key.seq, p.key.where == RW_WHERE_EXPIRED};
    bool fresh;
    const uint32_t id = ids.id(key, fresh);
    if (fresh) {
      by_id.push_back({key});
      in_seq.push_back(0);
    }
    const uint64_t age = age_ns(now_ns, p.val.first_enqueue_ns);
    SeqTotal& q = by_id[id];
    add_to(q.objects, p.val.objects);
    add_to(q.bytes, p.val.bytes);
    q.age_ns = std::max(q.age_ns, age);
    in_seq[id]++;
    // A CPU row per CPU below kMaxCpus: a CPU number from a kernel bug
    // must neither index past the rows nor make millions of them. Entries
    // beyond it count in their seq and seq row, without a CPU row; the
    // comparison sort below orders them by their CPU.
    const uint32_t cpu = std::min(p.key.cpu, limits::kMaxCpus);
    beyond |= cpu == limits::kMaxCpus;
    if (cpu < limits::kMaxCpus && cpu >= out.cpus.size()) out.cpus.resize(size_t(cpu) + 1);
    if (cpu >= per_cpu_.size()) per_cpu_.resize(size_t(cpu) + 1);
    if (cpu < limits::kMaxCpus) {
      CpuRow& c = out.cpus[cpu];
      add_to(c.objects, p.val.objects);
      add_to(c.bytes, p.val.bytes);
      c.oldest_age_ns = std::max(c.oldest_age_ns, age);
    }
    per_cpu_[cpu]++;
    keys_[i] = uint64_t(id) << 32 | cpu;
  }
  for (uint32_t c = 0; c < out.cpus.size(); c++) out.cpus[c].cpu = c;

  // The seqs in order: each one's rank, state, and where its entries start.
  std::vector<uint32_t> by_rank(by_id.size());
  std::iota(by_rank.begin(), by_rank.end(), 0);
  std::sort(by_rank.begin(), by_rank.end(), [&](uint32_t a, uint32_t b) {
    const SeqKey &x = by_id[a].key, &y = by_id[b].key;
    return std::tie(x.instance, x.seq, x.expired) < std::tie(y.instance, y.seq, y.expired);
  });
  std::vector<uint32_t> rank(by_id.size());
  std::vector<uint32_t> seq_start(by_id.size());
  out.seqs.reserve(by_id.size());
  for (uint32_t r = 0; r < by_rank.size(); r++) {
    rank[by_rank[r]] = r;
    seq_start[r] = in_seq[by_rank[r]];
    out.seqs.push_back(by_id[by_rank[r]]);
    out.seqs.back().state = state_of(out.seqs.back().key);
  }
  starts_from_counts(seq_start);

  // One integer per entry: (seq rank, cpu, entry index), in order.
  const unsigned index_bits = std::max(1u, bits_for(n ? n - 1 : 0));
  const unsigned cpu_bits = bits_for(per_cpu_.empty() ? 0 : per_cpu_.size() - 1);
  const unsigned rank_bits = bits_for(by_id.empty() ? 0 : by_id.size() - 1);
  const uint64_t index_mask = (uint64_t(1) << index_bits) - 1;
  unsigned seq_shift = index_bits;
  if (!beyond && rank_bits + cpu_bits + index_bits <= std::min(max_key_bits_, 64u)) {
    // Two stable counting sorts: by CPU (packing the integers as it goes),
    // then by seq rank. Entries enter in index order, so equal keys stay
    // in it.
    seq_shift = cpu_bits + index_bits;
    tmp_.resize(n);
    starts_from_counts(per_cpu_);
    for (size_t i = 0; i < n; i++) {
      const uint32_t cpu = uint32_t(keys_[i]);
      tmp_[per_cpu_[cpu]++] =
          uint64_t(rank[keys_[i] >> 32]) << seq_shift | uint64_t(cpu) << index_bits | i;
    }
    for (const uint64_t v : tmp_) keys_[seq_start[v >> seq_shift]++] = v;
    // Not held with the rows and the sample through pass 2, this run's
    // peak (2 MB at 262144 entries).
    std::vector<uint64_t>().swap(tmp_);
  } else {
    for (size_t i = 0; i < n; i++) keys_[i] = uint64_t(rank[keys_[i] >> 32]) << seq_shift | i;
    std::sort(keys_.begin(), keys_.end(), [&](uint64_t a, uint64_t b) {
      const uint64_t ra = a >> seq_shift, rb = b >> seq_shift;
      if (ra != rb) return ra < rb;
      const uint32_t ca = pending[a & index_mask].key.cpu, cb = pending[b & index_mask].key.cpu;
      return ca != cb ? ca < cb : a < b;
    });
  }

  // Pass 2 over the entries, in order: one row per (seq, cpu).
  out.rows.reserve(n);
  size_t prev_rank = SIZE_MAX;
  uint32_t prev_cpu = 0;
  for (size_t k = 0; k < n; k++) {
    if (k + kPrefetchAhead < n)
      __builtin_prefetch(&pending[keys_[k + kPrefetchAhead] & index_mask]);
    const size_t r = size_t(keys_[k] >> seq_shift);
    const PendingEntry& p = pending[keys_[k] & index_mask];
    if (r != prev_rank || p.key.cpu != prev_cpu) {
      SeqTotal& q = out.seqs[r];
      SeqRow row;
      row.instance = q.key.instance;
      row.seq = q.key.seq;
      row.cpu = p.key.cpu;
      row.state = q.state;
      out.rows.push_back(row);
      q.cpus++;
      if (p.key.cpu < out.cpus.size()) out.cpus[p.key.cpu].seqs_in_flight++;
      prev_rank = r;
      prev_cpu = p.key.cpu;
    }
    SeqRow& row = out.rows.back();
    add_to(row.objects, p.val.objects);
    add_to(row.bytes, p.val.bytes);
    if (p.key.where != RW_WHERE_RADIX) add_to(row.list_objects, p.val.objects);
    row.age_ns = std::max(row.age_ns, age_ns(now_ns, p.val.first_enqueue_ns));
  }
  return out;
}

}  // namespace rcuwatch
