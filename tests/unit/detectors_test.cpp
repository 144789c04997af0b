// The detectors on hand-built Snapshot sequences: each fires, holds, ends,
// and stays quiet on a healthy sequence.
#include "detectors.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <tuple>

#include "units.hpp"

#include "snapshots.hpp"

namespace rcuwatch {
namespace {

using test::cpu_queue;
using test::grace_period;
using test::instance_row;
using test::kSecond;
using test::seq_row;
using test::seq_summary;

constexpr uint64_t A = 0xa0;    // SRCU (S) instance, process mode
constexpr uint64_t K = 0xb0;    // RCU instance, kvfree mode
constexpr uint64_t S = 0x9000;  // A's srcu_struct
constexpr int64_t kMiB = 1 << 20;

// Two CPUs, both instances, both flavors idle; nothing pending.
Snapshot at(uint64_t t_ns) {
  Snapshot s;
  s.time_ns = t_ns;
  s.nr_cpus = 2;
  s.cpus = {CpuRow{0, 0, 0, 0, 0}, CpuRow{1, 0, 0, 0, 0}};
  InstanceRow a = instance_row(A, "inst_srcu", Flavor::Srcu, Mode::Process, 0, 0, 0);
  a.srcu = S;
  s.instances = {a, instance_row(K, "inst_kvfree", Flavor::Rcu, Mode::Kvfree, 0, 0, 0)};
  s.grace_periods = {grace_period("rcu", 0, 0), grace_period("my_srcu", S, 0)};
  return s;
}

// `bytes` of instance `inst` on CPU `cpu` in one seq of that age and state.
void pend(Snapshot& s, uint64_t inst, uint32_t cpu, uint64_t seq, int64_t bytes, uint64_t age_ns,
          SeqState state = SeqState::WaitingForGracePeriod) {
  const std::string name = inst == A ? "inst_srcu" : "inst_kvfree";
  s.seqs.push_back(seq_summary(inst, name, seq, 1, bytes, age_ns, 1, state));
  s.seq_cpus.push_back(seq_row(inst, cpu, seq, 1, bytes, age_ns, state));
}

const DetectorState* state(const Detections& d, Detector det, uint64_t key = 0) {
  for (const auto& s : d.states)
    if (s.detector == det && s.subject.key == key) return &s;
  return nullptr;
}

size_t firing(const Detections& d) {
  size_t n = 0;
  for (const auto& s : d.states) n += s.firing;
  return n;
}

TEST(Detectors, HealthySequenceFiresNothing) {
  DetectorSet set;
  for (uint64_t i = 0; i < 10; i++) {
    Snapshot s = at(i * kSecond);
    pend(s, A, 0, 100 + i, 4 * kMiB, 10'000'000);                                   // young: 10 ms
    if (i == 3) pend(s, A, 1, 99, 4096, 20'000'000, SeqState::GracePeriodElapsed);  // seen once
    s.grace_periods[1] = grace_period("my_srcu", S, 5'000'000);
    s.cpus[0].queued_per_sec = 500;
    s.cpu_queues = {cpu_queue(A, 0, 500)};
    s.instances[1].list_objects = 10 * i;  // kvfree: vmalloc()ed objects go on the list
    const Detections d = set.evaluate(s);
    EXPECT_TRUE(d.evaluated);
    EXPECT_EQ(firing(d), 0u) << "sample " << i;
    EXPECT_TRUE(d.ended.empty());
    for (const auto& st : d.states) EXPECT_EQ(st.episodes, 0u) << to_string(st.detector);
  }
}

TEST(Detectors, StrandedBytesFiresAfterHoldingAndEndsBelowItsBand) {
  DetectorSet set;  // >= 1 MiB pending >= 1 s, for 2 s
  auto sample = [&](uint64_t t, int64_t bytes, uint64_t age = 3 * kSecond / 2) {
    Snapshot s = at(t * kSecond);
    if (bytes) pend(s, A, 1, 8, bytes, age);
    pend(s, K, 0, 200, 8 * kMiB, kSecond / 2);  // young: not stranded
    return set.evaluate(s);
  };
  Detections d = sample(0, 2 * kMiB);
  const DetectorState* st = state(d, Detector::StrandedBytes);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->subject.kind, SubjectKind::Machine);
  EXPECT_DOUBLE_EQ(st->value, 2.0 * kMiB);
  EXPECT_FALSE(st->firing);  // held 0 s of 2
  ASSERT_TRUE(st->episode);
  EXPECT_EQ(st->episode->onset_ns, 0u);

  EXPECT_FALSE(state(sample(1, 2 * kMiB), Detector::StrandedBytes)->firing);
  d = sample(2, 3 * kMiB);
  st = state(d, Detector::StrandedBytes);
  EXPECT_TRUE(st->firing);
  EXPECT_EQ(st->episodes, 1u);
  EXPECT_EQ(st->episode->firing_ns, 2 * kSecond);
  ASSERT_EQ(st->contributions.size(), 1u);
  EXPECT_EQ(st->contributions[0].where.name, "inst_srcu");
  EXPECT_EQ(st->contributions[0].detail, "srcu my_srcu, waiting-gp");

  // 95% of the limit: inside the band, still firing.
  EXPECT_TRUE(state(sample(3, kMiB * 95 / 100), Detector::StrandedBytes)->firing);
  d = sample(4, kMiB / 2);
  st = state(d, Detector::StrandedBytes);
  EXPECT_FALSE(st->firing);
  EXPECT_EQ(st->episodes, 1u);
  ASSERT_EQ(d.ended.size(), 1u);
  const DetectorEpisode& e = d.ended[0];
  EXPECT_EQ(e.detector, Detector::StrandedBytes);
  EXPECT_EQ(e.onset_ns, 0u);
  EXPECT_EQ(e.firing_ns, 2 * kSecond);
  EXPECT_EQ(e.end_ns, 4 * kSecond);
  EXPECT_EQ(e.duration_ns(99), 4 * kSecond);
  EXPECT_DOUBLE_EQ(e.peak, 3.0 * kMiB);
  EXPECT_EQ(e.peak_at_ns, 2 * kSecond);
  EXPECT_EQ(e.instances, std::vector<std::string>{"inst_srcu"});
  EXPECT_EQ(e.grace_periods, std::vector<std::string>{"my_srcu"});
  EXPECT_EQ(e.cpus, std::vector<uint32_t>{1});

  // Young bytes are not stranded however many; a second episode counts on.
  EXPECT_DOUBLE_EQ(state(sample(5, 64 * kMiB, kSecond / 2), Detector::StrandedBytes)->value, 0);
  for (uint64_t t = 6; t <= 8; t++) sample(t, 2 * kMiB);
  EXPECT_EQ(state(sample(9, 2 * kMiB), Detector::StrandedBytes)->episodes, 2u);
}

TEST(Detectors, StrandedBlipShorterThanItsHoldIsNoEpisode) {
  DetectorSet set;
  Snapshot s = at(0);
  pend(s, A, 0, 8, 2 * kMiB, 2 * kSecond);
  set.evaluate(s);
  const Detections d = set.evaluate(at(kSecond));
  EXPECT_TRUE(d.ended.empty());
  EXPECT_EQ(state(d, Detector::StrandedBytes)->episodes, 0u);
}

TEST(Detectors, GracePeriodTooLongPerFlavor) {
  DetectorSet set;  // >= 1 s
  Snapshot s = at(0);
  s.grace_periods[1] = grace_period("my_srcu", S, kSecond / 2);
  EXPECT_FALSE(state(set.evaluate(s), Detector::GracePeriodTooLong, S)->firing);

  s = at(kSecond);
  s.grace_periods[0] = grace_period("rcu", 0, 10'000'000);
  s.grace_periods[1] = grace_period("my_srcu", S, 3 * kSecond / 2);
  pend(s, A, 0, 8, 4 * kMiB, 3 * kSecond / 2);
  pend(s, K, 1, 300, kMiB, 10'000'000);  // RCU's: not waiting on my_srcu
  Detections d = set.evaluate(s);
  const DetectorState* srcu = state(d, Detector::GracePeriodTooLong, S);
  ASSERT_NE(srcu, nullptr);
  EXPECT_TRUE(srcu->firing);
  EXPECT_EQ(srcu->subject.kind, SubjectKind::GracePeriod);
  EXPECT_EQ(srcu->subject.name, "my_srcu");
  EXPECT_DOUBLE_EQ(srcu->value, 1.5e9);
  ASSERT_EQ(srcu->contributions.size(), 1u);
  EXPECT_EQ(srcu->contributions[0].where.name, "inst_srcu");
  EXPECT_DOUBLE_EQ(srcu->contributions[0].value, 4.0 * kMiB);
  EXPECT_FALSE(state(d, Detector::GracePeriodTooLong, 0)->firing);
  EXPECT_EQ(describe(srcu->detector, srcu->subject, srcu->value, srcu->contributions, 0,
                     DetectorLimits{}),
            "grace period my_srcu running for 1.50s (limit 1.00s); waiting on it: inst_srcu "
            "4.00 MiB");

  d = set.evaluate(at(2 * kSecond));  // it ended
  ASSERT_EQ(d.ended.size(), 1u);
  EXPECT_EQ(d.ended[0].subject.name, "my_srcu");
  EXPECT_EQ(d.ended[0].duration_ns(0), kSecond);
  EXPECT_EQ(d.ended[0].instances, std::vector<std::string>{"inst_srcu"});
  EXPECT_EQ(state(d, Detector::GracePeriodTooLong, S)->episodes, 1u);
}

TEST(Detectors, CallbackFloodOnlyOnTheCpuOverTheLimit) {
  DetectorSet set;  // >= 10k objects/s on a CPU, ends below 9k
  auto sample = [&](uint64_t t, double cpu1_rate) {
    Snapshot s = at(t * kSecond);
    s.cpus[0].queued_per_sec = 500;
    s.cpus[1].queued_per_sec = cpu1_rate;
    s.cpu_queues = {cpu_queue(A, 0, 500), cpu_queue(A, 1, cpu1_rate * 0.8),
                    cpu_queue(K, 1, cpu1_rate * 0.2)};
    return set.evaluate(s);
  };
  Detections d = sample(0, 25'000);
  const DetectorState* cpu1 = state(d, Detector::CallbackFlood, 1);
  ASSERT_NE(cpu1, nullptr);
  EXPECT_TRUE(cpu1->firing);
  EXPECT_EQ(cpu1->subject.kind, SubjectKind::Cpu);
  EXPECT_EQ(cpu1->subject.name, "cpu 1");
  ASSERT_EQ(cpu1->contributions.size(), 2u);
  EXPECT_EQ(cpu1->contributions[0].where.name, "inst_srcu");  // largest first
  EXPECT_DOUBLE_EQ(cpu1->contributions[0].value, 20'000);
  EXPECT_FALSE(state(d, Detector::CallbackFlood, 0)->firing);

  // In the band: still firing, and still described (only subjects whose
  // condition holds are).
  d = sample(1, 9'500);
  cpu1 = state(d, Detector::CallbackFlood, 1);
  EXPECT_TRUE(cpu1->firing);
  ASSERT_EQ(cpu1->contributions.size(), 2u);
  EXPECT_DOUBLE_EQ(cpu1->contributions[1].value, 1'900);
  EXPECT_TRUE(state(d, Detector::CallbackFlood, 0)->contributions.empty());  // not flooding
  d = sample(2, 8'000);
  ASSERT_EQ(d.ended.size(), 1u);
  EXPECT_EQ(d.ended[0].cpus, std::vector<uint32_t>{1});
  EXPECT_EQ(d.ended[0].instances, (std::vector<std::string>{"inst_kvfree", "inst_srcu"}));
  EXPECT_DOUBLE_EQ(d.ended[0].peak, 25'000);
}

// A flooded CPU with more queues than contributions: the largest, ties in
// cpu_queues order (as a stable sort by rate leaves them); and an instance
// first seen without a name (its address) and named later is in the
// episode under both names.
TEST(Detectors, CallbackFloodNamesTheLargestQueuesAndEveryNameAnInstanceHad) {
  DetectorSet set;
  std::vector<CpuQueueRow> queues;
  std::vector<double> rates;
  for (uint64_t i = 0; i < 12; i++) {
    const double rate = 1'000.0 * double(1 + (i * 7) % 4);  // 1k-4k, three of each
    queues.push_back(cpu_queue(0x1000 + i * 0x10, 1, rate));
    rates.push_back(rate);
  }
  auto sample = [&](uint64_t t, bool named) {
    Snapshot s = at(t * kSecond);
    s.cpus[1].queued_per_sec = 30'000;
    s.cpu_queues = queues;
    if (named)
      s.instances.push_back(instance_row(0x1000, "late_name", Flavor::Rcu, Mode::Kvfree, 0, 0, 0));
    return set.evaluate(s);
  };
  Detections d = sample(0, false);
  const DetectorState* cpu1 = state(d, Detector::CallbackFlood, 1);
  ASSERT_NE(cpu1, nullptr);
  ASSERT_TRUE(cpu1->firing);
  std::vector<size_t> order(queues.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rates[a] > rates[b]; });
  ASSERT_EQ(cpu1->contributions.size(), kMaxContributions);
  for (size_t k = 0; k < kMaxContributions; k++) {
    SCOPED_TRACE(k);
    EXPECT_EQ(cpu1->contributions[k].where.key, queues[order[k]].instance);
    EXPECT_DOUBLE_EQ(cpu1->contributions[k].value, rates[order[k]]);
  }
  sample(1, true);
  sample(2, true);
  sample(3, false);                   // its address again
  d = set.evaluate(at(4 * kSecond));  // no flood: the episode ends
  ASSERT_EQ(d.ended.size(), 1u);
  const auto& names = d.ended[0].instances;
  EXPECT_EQ(names.size(), queues.size() + 1);
  EXPECT_TRUE(std::count(names.begin(), names.end(), "late_name"));
  EXPECT_TRUE(std::count(names.begin(), names.end(), "0x1000"));
}

// The subject itself renamed while its episode holds (a processing lag on
// an instance): the episode names the instance by both names.
TEST(Detectors, AnEpisodeKeepsEveryNameItsSubjectHad) {
  DetectorSet set;
  auto sample = [&](uint64_t t_s, const char* name, bool pending) {
    Snapshot s = at(t_s * kSecond);
    s.instances[0].name = name;
    if (pending) pend(s, A, 0, 8, 4096, 3 * kSecond, SeqState::GracePeriodElapsed);
    return set.evaluate(s);
  };
  sample(0, "inst_srcu", true);
  ASSERT_TRUE(state(sample(2, "inst_srcu", true), Detector::ProcessingLag, A)->firing);
  sample(3, "inst_srcu_renamed", true);
  sample(4, "inst_srcu_renamed", true);
  const Detections done = sample(5, "inst_srcu_renamed", false);
  ASSERT_EQ(done.ended.size(), 1u);
  EXPECT_EQ(done.ended[0].instances, (std::vector<std::string>{"inst_srcu", "inst_srcu_renamed"}));
}

TEST(Detectors, ProcessingLagCountsFromTheFirstSampleSeenPastTheGracePeriod) {
  DetectorSet set;  // >= 1 s
  auto sample = [&](uint64_t t_ms, bool pending) {
    Snapshot s = at(t_ms * 1'000'000);
    if (pending) {
      pend(s, A, 0, 8, 4096, 3 * kSecond, SeqState::GracePeriodElapsed);
      pend(s, A, 1, 0, 512, 3 * kSecond, SeqState::Expired);
    }
    return set.evaluate(s);
  };
  EXPECT_DOUBLE_EQ(state(sample(0, true), Detector::ProcessingLag, A)->value, 0);
  const Detections half = sample(500, true);
  EXPECT_DOUBLE_EQ(state(half, Detector::ProcessingLag, A)->value, 0.5e9);
  EXPECT_FALSE(state(half, Detector::ProcessingLag, A)->firing);
  const Detections d = sample(1000, true);
  const DetectorState* lag = state(d, Detector::ProcessingLag, A);
  EXPECT_TRUE(lag->firing);
  EXPECT_EQ(lag->subject.name, "inst_srcu");
  ASSERT_EQ(lag->contributions.size(), 2u);
  EXPECT_EQ(lag->contributions[0].where.name, "cpu 0");
  EXPECT_DOUBLE_EQ(lag->contributions[0].value, 4096);
  EXPECT_EQ(lag->contributions[0].detail, "seq 8 gp-elapsed, 1.00s");
  EXPECT_EQ(lag->contributions[1].detail, "expired list, 1.00s");
  EXPECT_FALSE(state(d, Detector::ProcessingLag, K)->firing);

  const Detections done = sample(1500, false);  // processed
  ASSERT_EQ(done.ended.size(), 1u);
  EXPECT_EQ(done.ended[0].cpus, (std::vector<uint32_t>{0, 1}));
  // Seen again later: its lag starts from that sample, not from the first.
  EXPECT_DOUBLE_EQ(state(sample(2000, true), Detector::ProcessingLag, A)->value, 0);
}

// The lag of every queue, against a plain map of when each was first seen
// past its grace period: queues come and go, rows come sorted as the
// Aggregator makes them or shuffled as a hand-built Snapshot may.
TEST(Detectors, ProcessingLagOfEveryQueueMatchesAPlainMap) {
  DetectorLimits limits;
  limits.lag_ns = 1;  // every lagging queue is described
  DetectorSet set(limits);
  using Key = std::tuple<uint64_t, uint64_t, bool, uint32_t>;
  std::map<Key, uint64_t> first_seen;
  std::mt19937 rng(7);
  std::vector<uint64_t> instances;
  for (uint64_t i = 0; i < 24; i++) instances.push_back(0x1000 + i * 0x10);
  for (uint64_t t = 1; t <= 40; t++) {
    Snapshot s;
    s.time_ns = t * kSecond / 4;
    s.nr_cpus = 3;
    for (const uint64_t inst : instances)
      s.instances.push_back(
          instance_row(inst, fmt::format("i{:x}", inst), Flavor::Rcu, Mode::Process, 0, 0, 0));
    int64_t bytes = 1;
    for (const uint64_t inst : instances)
      for (uint64_t seq : {0, 4, 8})
        for (uint32_t cpu = 0; cpu < 3; cpu++) {
          if (rng() % 3 == 0) continue;  // absent at this sample
          const SeqState st = seq == 0         ? SeqState::Expired
                              : rng() % 4 == 0 ? SeqState::WaitingForGracePeriod
                                               : SeqState::GracePeriodElapsed;
          s.seq_cpus.push_back(seq_row(inst, cpu, seq, 1, bytes++, 0, st));
        }
    if (t % 2) std::shuffle(s.seq_cpus.begin(), s.seq_cpus.end(), rng);
    std::map<Key, uint64_t> now;
    std::map<int64_t, uint64_t> lag_by_bytes;
    std::map<uint64_t, double> worst;
    for (const auto& r : s.seq_cpus) {
      if (r.state == SeqState::WaitingForGracePeriod) continue;
      const Key k{r.instance, r.seq, r.state == SeqState::Expired, r.cpu};
      auto it = first_seen.find(k);
      now[k] = it != first_seen.end() ? it->second : s.time_ns;
      lag_by_bytes[r.bytes] = s.time_ns - now[k];
      worst[r.instance] = std::max(worst[r.instance], double(s.time_ns - now[k]));
    }
    first_seen = std::move(now);
    const Detections d = set.evaluate(s);
    for (const uint64_t inst : instances) {
      const DetectorState* lag = state(d, Detector::ProcessingLag, inst);
      ASSERT_NE(lag, nullptr);
      EXPECT_DOUBLE_EQ(lag->value, worst[inst]) << "t " << t << " instance " << inst;
      for (const auto& c : lag->contributions) {
        const uint64_t want = lag_by_bytes.at(int64_t(c.value));
        EXPECT_NE(c.detail.find(format_duration_ns(want)), std::string::npos)
            << "t " << t << ": " << c.detail << ", want " << want;
      }
    }
  }
}

// Each sample's Detections keep the episode as it was at that sample, while
// the detectors go on changing it; a sample that changes nothing shares it.
TEST(Detectors, EarlierDetectionsKeepTheirEpisodeAsItWas) {
  DetectorSet set;  // >= 1 MiB pending >= 1 s, for 2 s
  auto sample = [&](uint64_t t, int64_t bytes, uint32_t cpu) {
    Snapshot s = at(t * kSecond);
    pend(s, A, cpu, 8, bytes, 3 * kSecond / 2);
    return set.evaluate(s);
  };
  const Detections d0 = sample(0, 2 * kMiB, 1);
  const Detections d1 = sample(1, 2 * kMiB, 1);  // nothing new
  const Detections d2 = sample(2, 3 * kMiB, 0);  // a higher peak, another CPU, fires
  Detections d3 = sample(3, 2 * kMiB, 0);        // nothing new
  const DetectorEpisode* e0 = state(d0, Detector::StrandedBytes)->episode.get();
  const DetectorEpisode* e1 = state(d1, Detector::StrandedBytes)->episode.get();
  const DetectorEpisode* e2 = state(d2, Detector::StrandedBytes)->episode.get();
  const DetectorEpisode* e3 = state(d3, Detector::StrandedBytes)->episode.get();
  ASSERT_TRUE(e0 && e1 && e2 && e3);
  EXPECT_EQ(e0, e1);
  EXPECT_NE(e1, e2);
  EXPECT_EQ(e2, e3);
  for (const DetectorEpisode* e : {e0, e1}) {
    EXPECT_DOUBLE_EQ(e->peak, 2.0 * kMiB);
    EXPECT_EQ(e->cpus, std::vector<uint32_t>{1});
    EXPECT_EQ(e->firing_ns, 0u);
  }
  EXPECT_DOUBLE_EQ(e2->peak, 3.0 * kMiB);
  EXPECT_EQ(e2->peak_at_ns, 2 * kSecond);
  EXPECT_EQ(e2->cpus, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(e2->firing_ns, 2 * kSecond);

  // Changed while d2 holds it: a copy. Held by nobody else: changed in place.
  d3 = {};
  Detections d4 = sample(4, 4 * kMiB, 0);
  const DetectorEpisode* e4 = state(d4, Detector::StrandedBytes)->episode.get();
  EXPECT_NE(e4, e2);
  EXPECT_DOUBLE_EQ(e4->peak, 4.0 * kMiB);
  EXPECT_DOUBLE_EQ(e2->peak, 3.0 * kMiB);
  d4 = {};
  const Detections d5 = sample(5, 5 * kMiB, 0);
  const DetectorEpisode* e5 = state(d5, Detector::StrandedBytes)->episode.get();
  EXPECT_EQ(e5, e4);
  EXPECT_DOUBLE_EQ(e5->peak, 5.0 * kMiB);
  const Detections d6 = sample(6, kMiB / 2, 0);
  ASSERT_EQ(d6.ended.size(), 1u);
  EXPECT_EQ(d6.ended[0].end_ns, 6 * kSecond);
  EXPECT_DOUBLE_EQ(d6.ended[0].peak, 5.0 * kMiB);
  EXPECT_EQ(e5->end_ns, 0u);  // d5's episode had not ended
}

TEST(Detectors, ListFallbackJudgesProcessAndCallRcuInstancesOnly) {
  DetectorSet set;  // >= 1 object per interval
  Snapshot s = at(0);
  Detections d = set.evaluate(s);
  EXPECT_FALSE(state(d, Detector::ListFallback, A)->firing);
  EXPECT_EQ(state(d, Detector::ListFallback, K), nullptr);  // kvfree: not judged

  s = at(kSecond);
  s.instances[0].list_objects = 5;
  s.instances[1].list_objects = 100;
  SeqRow on_list = seq_row(A, 1, 12, 5, 500, kSecond / 10, SeqState::WaitingForGracePeriod);
  on_list.list_objects = 5;
  s.seq_cpus.push_back(on_list);
  d = set.evaluate(s);
  const DetectorState* a = state(d, Detector::ListFallback, A);
  EXPECT_TRUE(a->firing);
  EXPECT_DOUBLE_EQ(a->value, 5);
  ASSERT_EQ(a->contributions.size(), 1u);
  EXPECT_EQ(a->contributions[0].where.name, "cpu 1");
  EXPECT_EQ(a->contributions[0].detail, "seq 12");

  s.time_ns = 2 * kSecond;  // no new list objects
  d = set.evaluate(s);
  ASSERT_EQ(d.ended.size(), 1u);
  EXPECT_EQ(d.ended[0].subject.name, "inst_srcu");
}

TEST(Detectors, LossesFireWhileAnyCounterGrows) {
  DetectorSet set;
  EXPECT_FALSE(state(set.evaluate(at(0)), Detector::Losses)->firing);
  Snapshot s = at(kSecond);
  s.losses.ringbuf_drops = 3;
  s.losses.untracked_objects = 2;
  s.losses.events = 1000;  // handled, not lost
  Detections d = set.evaluate(s);
  const DetectorState* l = state(d, Detector::Losses);
  EXPECT_TRUE(l->firing);
  EXPECT_DOUBLE_EQ(l->value, 5);
  ASSERT_EQ(l->contributions.size(), 2u);
  EXPECT_EQ(l->contributions[0].where.name, "ring-buffer drops");
  EXPECT_EQ(l->contributions[1].where.name, "untracked objects");
  s.time_ns = 2 * kSecond;
  d = set.evaluate(s);
  EXPECT_EQ(d.ended.size(), 1u);
  EXPECT_FALSE(state(d, Detector::Losses)->firing);
}

TEST(Detectors, ALimitOfZeroTurnsADetectorOff) {
  DetectorLimits limits;
  limits.gp_ns = 0;
  limits.losses = 0;
  DetectorSet set(limits);
  Snapshot s = at(100 * kSecond);
  s.grace_periods[1] = grace_period("my_srcu", S, 99 * kSecond);
  s.losses.ringbuf_drops = 1;
  const Detections d = set.evaluate(s);
  EXPECT_EQ(state(d, Detector::GracePeriodTooLong, S), nullptr);
  EXPECT_EQ(state(d, Detector::Losses), nullptr);
  EXPECT_NE(state(d, Detector::StrandedBytes), nullptr);
  EXPECT_EQ(describe_limit(Detector::GracePeriodTooLong, limits), "off");
}

TEST(Detectors, ASubjectThatGoesAwayEndsItsEpisodeAndKeepsItsCount) {
  DetectorLimits limits;
  limits.lag_ns = kSecond / 2;
  DetectorSet set(limits);
  for (uint64_t t : {uint64_t{0}, kSecond}) {
    Snapshot s = at(t);
    pend(s, A, 0, 8, 4096, 3 * kSecond, SeqState::GracePeriodElapsed);
    set.evaluate(s);
  }
  Snapshot gone = at(2 * kSecond);
  gone.instances.erase(gone.instances.begin());  // A unloaded
  const Detections d = set.evaluate(gone);
  ASSERT_EQ(d.ended.size(), 1u);
  const DetectorState* a = state(d, Detector::ProcessingLag, A);
  ASSERT_NE(a, nullptr);  // kept for its count
  EXPECT_FALSE(a->firing);
  EXPECT_EQ(a->episodes, 1u);
  // A subject that never fired is forgotten when it goes.
  gone.time_ns = 3 * kSecond;
  const Detections later = set.evaluate(gone);
  EXPECT_EQ(state(later, Detector::ListFallback, A), nullptr);
  EXPECT_NE(state(later, Detector::ProcessingLag, A), nullptr);
}

}  // namespace
}  // namespace rcuwatch
