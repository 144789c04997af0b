// The pending breakdown (a grid of (seq, cpu) cells, a hash of seqs) against a plain
// std::map reference of what the Snapshot must hold, on random samples:
// every way of building it gives the same rows and sums.
#include "pending_breakdown.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "limits.hpp"
#include "snapshot_json.hpp"
#include "snapshot_stream.hpp"

namespace rcuwatch {
namespace {

constexpr uint64_t kNow = 50'000'000'000ull;

// Entries as a BPF map may hold them, in no order: a few instances, seqs
// near 0 and near the wrap, expired lists (seq 0), radix and list entries
// of one seq on one CPU, ages in the future and never set.
// seq_range: 0 for a few seqs, values of each kind; else seqs drawn from
// that many cookies (a table of seq ids that grows, keys that collide).
std::vector<PendingEntry> random_pending(std::mt19937_64& rng, size_t n, uint32_t cpus,
                                         uint64_t seq_range = 0) {
  const uint64_t instances[] = {0xffff888000001000ull, 0xffff888000002000ull, 0x3000,
                                0xffffffffffff0000ull};
  const uint64_t seqs[] = {0, 4, 8, 1000, 1004, 0xfffffffffffffb50ull, 0xfffffffffffffb54ull};
  std::map<std::tuple<uint64_t, uint64_t, uint32_t, uint32_t>, bool> used;  // keys are unique
  std::vector<PendingEntry> out;
  while (out.size() < n) {
    PendingEntry p;
    p.key.instance = instances[rng() % std::size(instances)];
    p.key.cpu = uint32_t(rng() % cpus);
    p.key.where = uint32_t(rng() % 4);
    p.key.seq = p.key.where == RW_WHERE_EXPIRED ? 0
                : seq_range                     ? 4 * (rng() % seq_range)
                                                : seqs[rng() % std::size(seqs)];
    if (!used.emplace(std::tuple(p.key.instance, p.key.seq, p.key.cpu, p.key.where), true).second)
      continue;
    p.val.objects = int64_t(rng() % 100);
    p.val.bytes = p.val.objects * 64;
    const uint64_t r = rng() % 10;
    p.val.first_enqueue_ns = r == 0 ? 0 : r == 1 ? kNow + 5 : kNow - rng() % kNow;
    out.push_back(p);
  }
  return out;
}

SeqState state_of(const SeqKey& k) {
  if (k.expired) return SeqState::Expired;
  return k.seq % 8 ? SeqState::WaitingForGracePeriod : SeqState::GracePeriodElapsed;
}

// The breakdown as the Snapshot defines it, with maps.
PendingBreakdown reference(const std::vector<PendingEntry>& pending, uint32_t nr_cpus) {
  std::map<std::tuple<uint64_t, uint64_t, bool, uint32_t>, SeqRow> rows;
  for (const auto& p : pending) {
    const bool expired = p.key.where == RW_WHERE_EXPIRED;
    SeqRow& r = rows[{p.key.instance, p.key.seq, expired, p.key.cpu}];
    r.instance = p.key.instance;
    r.seq = p.key.seq;
    r.cpu = p.key.cpu;
    r.state = state_of({p.key.instance, p.key.seq, expired});
    r.objects += p.val.objects;
    r.bytes += p.val.bytes;
    if (p.key.where != RW_WHERE_RADIX) r.list_objects += p.val.objects;
    r.age_ns = std::max(r.age_ns, age_ns(kNow, p.val.first_enqueue_ns));
  }
  PendingBreakdown out;
  std::map<std::tuple<uint64_t, uint64_t, bool>, SeqTotal> seqs;
  for (const auto& [k, r] : rows) {
    out.rows.push_back(r);
    SeqTotal& q = seqs[{std::get<0>(k), std::get<1>(k), std::get<2>(k)}];
    q.key = {std::get<0>(k), std::get<1>(k), std::get<2>(k)};
    q.state = r.state;
    q.objects += r.objects;
    q.bytes += r.bytes;
    q.age_ns = std::max(q.age_ns, r.age_ns);
    q.cpus++;
    if (r.cpu >= nr_cpus && r.cpu < limits::kMaxCpus) nr_cpus = r.cpu + 1;
  }
  for (const auto& [k, q] : seqs) out.seqs.push_back(q);
  out.cpus.resize(nr_cpus);
  for (uint32_t c = 0; c < nr_cpus; c++) out.cpus[c].cpu = c;
  for (const SeqRow& r : out.rows) {
    if (r.cpu >= nr_cpus) continue;  // beyond limits::kMaxCpus: no CPU row
    CpuRow& c = out.cpus[r.cpu];
    c.objects += r.objects;
    c.bytes += r.bytes;
    c.oldest_age_ns = std::max(c.oldest_age_ns, r.age_ns);
    c.seqs_in_flight++;
  }
  return out;
}

void expect_same(const PendingBreakdown& got, const PendingBreakdown& want) {
  {
    ASSERT_EQ(got.rows.size(), want.rows.size());
    for (size_t i = 0; i < want.rows.size(); i++) {
      const SeqRow &g = got.rows[i], &w = want.rows[i];
      EXPECT_EQ(
          std::tie(g.instance, g.seq, g.cpu, g.objects, g.bytes, g.list_objects, g.age_ns, g.state),
          std::tie(w.instance, w.seq, w.cpu, w.objects, w.bytes, w.list_objects, w.age_ns, w.state))
          << "row " << i;
    }
  }
  ASSERT_EQ(got.seqs.size(), want.seqs.size());
  for (size_t i = 0; i < want.seqs.size(); i++) {
    const SeqTotal &g = got.seqs[i], &w = want.seqs[i];
    EXPECT_EQ(std::tie(g.key.instance, g.key.seq, g.key.expired, g.state, g.objects, g.bytes,
                       g.age_ns, g.cpus),
              std::tie(w.key.instance, w.key.seq, w.key.expired, w.state, w.objects, w.bytes,
                       w.age_ns, w.cpus))
        << "seq " << i;
  }
  ASSERT_EQ(got.cpus.size(), want.cpus.size());
  for (size_t i = 0; i < want.cpus.size(); i++) {
    const CpuRow &g = got.cpus[i], &w = want.cpus[i];
    EXPECT_EQ(std::tie(g.cpu, g.objects, g.bytes, g.oldest_age_ns, g.seqs_in_flight),
              std::tie(w.cpu, w.objects, w.bytes, w.oldest_age_ns, w.seqs_in_flight))
        << "cpu " << i;
  }
}

TEST(PendingBreakdown, EveryWayOfBuildingItMatchesTheReference) {
  std::mt19937_64 rng(11);
  for (const auto& [n, cpus, nr_cpus, seq_range] :
       {std::tuple<size_t, uint32_t, uint32_t, uint64_t>{0, 1, 4, 0},
        {1, 1, 1, 0},
        {7, 3, 8, 0},
        {500, 16, 4, 0},
        {3000, 300, 256, 0},
        {5000, 2000, 0, 0},
        {20, 100000, 4, 0},
        {20000, 8, 16, 2000}}) {  // thousands of seqs: the id table grows
    SCOPED_TRACE(testing::Message()
                 << n << " entries on " << cpus << " CPUs, seq range " << seq_range);
    const std::vector<PendingEntry> pending = random_pending(rng, n, cpus, seq_range);
    const PendingBreakdown want = reference(pending, nr_cpus);
    PendingBreakdownBuilder sorts;             // the grid (but beyond limits::kMaxCpus)
    PendingBreakdownBuilder compare(0);        // no key fits in 0 bits: the comparison sort
    for (int round = 0; round < 2; round++) {  // and again with the buffers of the first
      expect_same(sorts.build(pending, kNow, nr_cpus, state_of), want);
      expect_same(compare.build(pending, kNow, nr_cpus, state_of), want);
      std::vector<PendingEntry> spent = pending;  // consumed: the rows from what they need of it
      expect_same(sorts.build(std::move(spent), kNow, nr_cpus, state_of), want);
    }
  }
}

// Hands out the same random ticks to every stream that asks.
class TickSource : public Source {
 public:
  explicit TickSource(uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 3; i++) {
      Tick t;
      t.sample.time_ns = kNow + uint64_t(i) * 1'000'000'000;
      t.sample.pending = random_pending(rng, 2000, 40);
      InstanceEntry e;
      e.instance = 0x3000;
      e.totals.enqueued_objects = 100 * uint64_t(i);
      t.sample.instances = {e};
      ticks_.push_back(std::move(t));
    }
  }
  const SourceInfo& info() const override { return info_; }
  std::optional<Tick> next(Interval, const StopFlag&) override {
    if (next_ == ticks_.size()) return std::nullopt;
    return ticks_[next_++];
  }
  const SymbolNames& names() const override { return names_; }

 private:
  std::vector<Tick> ticks_;
  size_t next_ = 0;
  SourceInfo info_{"test", "6.12", 16, {}};
  SymbolNames names_;
};

TEST(PendingBreakdown, StreamsThatDropSeqCpuRowsDifferOnlyByThem) {
  StopFlag stop;
  SnapshotStream keep(std::make_unique<TickSource>(12), Interval{1000}, stop, -1, {},
                      SeqCpuRows::Keep);
  SnapshotStream drop(std::make_unique<TickSource>(12), Interval{1000}, stop, -1, {},
                      SeqCpuRows::Drop);
  for (int i = 0; i < 3; i++) {
    auto a = keep.next(), b = drop.next();
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(a->seq_cpus.empty());
    EXPECT_TRUE(b->seq_cpus.empty());
    auto ja = to_json(*a), jb = to_json(*b);
    ja.erase("seq_cpus");
    jb.erase("seq_cpus");
    EXPECT_EQ(ja, jb);  // detections included: they saw the rows
  }
}

}  // namespace
}  // namespace rcuwatch
