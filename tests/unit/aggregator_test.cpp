#include "aggregator.hpp"

#include <gtest/gtest.h>

#include "samples.hpp"

namespace rcuwatch {
namespace {

using test::instance;
using test::pending;

constexpr uint64_t A = 0x1000, B = 0x2000, S = 0x9000;
constexpr uint64_t kSec = 1'000'000'000;

SourceInfo info() { return {"replay test", "6.12.0", 4, {}}; }

Tick first_tick() {
  Tick t;
  t.sample.time_ns = 10 * kSec;
  t.sample.pending = {pending(A, 100, 0, RW_WHERE_RADIX, 3, 300, 9 * kSec),
                      pending(A, 100, 1, RW_WHERE_RADIX, 1, 1000, 8 * kSec),
                      pending(A, 100, 1, RW_WHERE_LIST, 2, 20, 9 * kSec),
                      pending(A, 0, 2, RW_WHERE_EXPIRED, 1, 4096, 7 * kSec),
                      pending(B, 40, 3, RW_WHERE_RADIX, 5, 50, 9 * kSec)};
  t.sample.instances = {instance(A, 0, 0xffffffff81000000, 100, 10000, 90, 9000),
                        instance(B, S, RW_PROCESS_KVFREE, 5, 50, 0, 0)};
  GpEntry rcu;
  rcu.key = 0;
  rcu.stats.completed = 10;
  rcu.stats.last_end_gp_seq = 100;
  rcu.stats.last_end_ns = 9 * kSec;
  GpEntry srcu;
  srcu.key = S;
  srcu.stats.completed = 1;
  srcu.stats.last_end_gp_seq = 36;
  t.sample.grace_periods = {rcu, srcu};
  t.sample.stats[RW_STAT_RINGBUF_DROPS] = 7;
  return t;
}

TEST(Aggregator, SumsPerInstanceCpuAndSeq) {
  Aggregator agg;
  SymbolNames names{{A, "btree key cache"}, {S, "my_srcu"}};
  Snapshot s = agg.update(first_tick(), info(), names);

  EXPECT_EQ(s.totals.pending_objects, 3 + 1 + 2 + 1 + 5);
  EXPECT_EQ(s.totals.pending_bytes, 300 + 1000 + 20 + 4096 + 50);
  EXPECT_EQ(s.totals.oldest_age_ns, 3 * kSec);  // the expired list, since 7 s
  EXPECT_EQ(s.losses.ringbuf_drops, 7u);

  ASSERT_EQ(s.instances.size(), 2u);
  EXPECT_EQ(s.instances[0].name, "btree key cache");  // most bytes first
  EXPECT_EQ(s.instances[0].pending_bytes, 300 + 1000 + 20 + 4096);
  EXPECT_EQ(s.instances[0].mode, Mode::Process);
  EXPECT_EQ(s.instances[0].flavor, Flavor::Rcu);
  EXPECT_EQ(s.instances[1].mode, Mode::Kvfree);
  EXPECT_EQ(s.instances[1].flavor, Flavor::Srcu);
  EXPECT_EQ(s.instances[1].name, "0x2000");  // unnamed: the address

  ASSERT_EQ(s.cpus.size(), 4u);
  EXPECT_EQ(s.cpus[1].objects, 3);  // radix and list of seq 100
  EXPECT_EQ(s.cpus[1].bytes, 1020);
  EXPECT_EQ(s.cpus[1].seqs_in_flight, 1u);
  EXPECT_EQ(s.cpus[1].oldest_age_ns, 2 * kSec);
  EXPECT_EQ(s.cpus[2].bytes, 4096);

  // Seq 100 of A: CPUs 0 and 1, 6 objects, gp 100 completed -> elapsed.
  const SeqSummary* a100 = nullptr;
  for (const auto& q : s.seqs)
    if (q.instance == A && q.seq == 100) a100 = &q;
  ASSERT_NE(a100, nullptr);
  EXPECT_EQ(a100->objects, 6);
  EXPECT_EQ(a100->cpus, 2u);
  EXPECT_EQ(a100->state, SeqState::GracePeriodElapsed);
  EXPECT_EQ(s.seqs.front().state, SeqState::Expired);  // oldest first
  for (const auto& q : s.seqs)
    if (q.instance == B) {
      EXPECT_EQ(q.state, SeqState::WaitingForGracePeriod);  // 40 > 36
    }

  ASSERT_EQ(s.grace_periods.size(), 2u);
  EXPECT_EQ(s.grace_periods[0].name, "rcu");
  EXPECT_EQ(s.grace_periods[0].since_last_end_ns, 1 * kSec);
  EXPECT_EQ(s.grace_periods[1].name, "my_srcu");
}

TEST(Aggregator, RatesComeFromTheInterval) {
  Aggregator agg;
  Tick t1 = first_tick();
  agg.update(t1, info(), {});
  Tick t2 = t1;
  t2.sample.time_ns += 2 * kSec;
  t2.sample.instances[0].totals.enqueued_objects += 50;
  t2.sample.instances[0].totals.processed_bytes += 4000;
  t2.sample.grace_periods[0].stats.completed += 6;
  t2.sample.pending.pop_back();  // B's 50 bytes processed
  Snapshot s = agg.update(t2, info(), {});
  EXPECT_EQ(s.interval_ns, 2 * kSec);
  EXPECT_DOUBLE_EQ(s.instances[0].enqueued.objects.per_sec, 25.0);
  EXPECT_DOUBLE_EQ(s.instances[0].processed.bytes.per_sec, 2000.0);
  EXPECT_DOUBLE_EQ(s.totals.enqueued.objects.per_sec, 25.0);
  EXPECT_DOUBLE_EQ(s.totals.pending_bytes_per_sec, -25.0);
  EXPECT_DOUBLE_EQ(s.grace_periods[0].completed.per_sec, 3.0);
  EXPECT_EQ(s.index, 1u);
}

TEST(Aggregator, SeqComparisonSurvivesWrap) {
  Aggregator agg;
  Tick t;
  t.sample.time_ns = kSec;
  uint64_t near_wrap = ~0ull - 3;  // gp_seq starts near ULONG_MAX in the kernel
  t.sample.pending = {pending(A, near_wrap, 0, RW_WHERE_RADIX, 1, 8, 1),
                      pending(A, 4, 0, RW_WHERE_RADIX, 1, 8, 1)};
  t.sample.instances = {instance(A, 0, 0, 2, 16, 0, 0)};
  GpEntry rcu;
  rcu.stats.completed = 1;
  rcu.stats.last_end_gp_seq = 0;  // wrapped past near_wrap, not yet 4
  t.sample.grace_periods = {rcu};
  Snapshot s = agg.update(t, info(), {});
  for (const auto& q : s.seqs)
    EXPECT_EQ(q.state,
              q.seq == near_wrap ? SeqState::GracePeriodElapsed : SeqState::WaitingForGracePeriod);
}

TEST(Aggregator, ListFallbacksCountedFromLifecycleEvents) {
  Aggregator agg;
  Tick t = first_tick();
  rw_event open_list{};
  open_list.type = RW_EV_SEQ_OPEN;
  open_list.where = RW_WHERE_LIST;
  rw_event open_radix = open_list;
  open_radix.where = RW_WHERE_RADIX;
  t.events = {open_list, open_radix, open_list};
  EXPECT_EQ(agg.update(t, info(), {}).totals.list_fallbacks, 2u);
}

TEST(Aggregator, GracePeriodInProgressByItsStartAfterTheLastEnd) {
  Aggregator agg;
  Tick t = first_tick();
  GpEntry& rcu = t.sample.grace_periods[0];
  // Attached during a grace period: its end was counted without its start,
  // then the next one started at 9.5 s; counts alone (1 start, 10 ends) would
  // say none is running.
  rcu.stats.started = 1;
  rcu.stats.last_start_ns = 9 * kSec + kSec / 2;
  Snapshot s = agg.update(t, info(), {});
  EXPECT_TRUE(s.grace_periods[0].in_progress);
  EXPECT_EQ(s.grace_periods[0].in_progress_ns, kSec / 2);
  EXPECT_FALSE(s.grace_periods[1].in_progress);  // srcu: no start seen
  EXPECT_EQ(s.grace_periods[1].in_progress_ns, 0u);

  t.sample.time_ns += kSec;
  rcu.stats.last_end_ns = t.sample.time_ns - 1;  // it ended
  s = agg.update(t, info(), {});
  EXPECT_FALSE(s.grace_periods[0].in_progress);
  EXPECT_EQ(s.grace_periods[0].in_progress_ns, 0u);
}

rw_event processed(uint64_t inst, uint32_t cpu, int64_t objects) {
  rw_event e{};
  e.type = RW_EV_SEQ_PROCESS;
  e.instance = inst;
  e.cpu = cpu;
  e.objects = objects;
  return e;
}

TEST(Aggregator, ObjectsQueuedPerCpuArePendingGrowthPlusProcessed) {
  Aggregator agg;
  Tick t1;
  t1.sample.time_ns = kSec;
  t1.sample.pending = {pending(A, 100, 0, RW_WHERE_RADIX, 10, 100, 1),
                       pending(B, 40, 1, RW_WHERE_RADIX, 4, 40, 1)};
  t1.sample.instances = {instance(A, 0, 0, 10, 100, 0, 0), instance(B, S, 0, 4, 40, 0, 0)};
  Snapshot s = agg.update(t1, info(), {});
  ASSERT_EQ(s.cpu_queues.size(), 2u);
  EXPECT_EQ(s.cpu_queues[0].objects, 10);
  EXPECT_EQ(s.cpu_queues[0].queued_per_sec, 0.0);  // no rate from the first sample

  // 2 s later on CPU 0: seq 100 (10 objects) processed, 30 objects queued on
  // seq 104, and an event of 6 processed on CPU 2 whose objects came and went
  // within the interval. CPU 1: 1 of its 4 dequeued, nothing new.
  Tick t2;
  t2.sample.time_ns = 3 * kSec;
  t2.sample.pending = {pending(A, 104, 0, RW_WHERE_RADIX, 30, 300, 2 * kSec),
                       pending(B, 40, 1, RW_WHERE_RADIX, 3, 30, 1)};
  t2.sample.instances = t1.sample.instances;
  t2.events = {processed(A, 0, 10), processed(A, 2, 6)};
  s = agg.update(t2, info(), {});
  ASSERT_EQ(s.cpu_queues.size(), 3u);  // (A,0), (A,2), (B,1): by instance, cpu
  EXPECT_EQ(s.cpu_queues[0].cpu, 0u);
  EXPECT_DOUBLE_EQ(s.cpu_queues[0].queued_per_sec, (30 - 10 + 10) / 2.0);
  EXPECT_EQ(s.cpu_queues[0].processed_objects, 10u);
  EXPECT_EQ(s.cpu_queues[1].cpu, 2u);
  EXPECT_DOUBLE_EQ(s.cpu_queues[1].queued_per_sec, 6 / 2.0);
  EXPECT_EQ(s.cpu_queues[2].instance, B);
  EXPECT_DOUBLE_EQ(s.cpu_queues[2].queued_per_sec, 0.0);  // a dequeue is not negative inflow
  EXPECT_DOUBLE_EQ(s.cpus[0].queued_per_sec, 15.0);
  EXPECT_DOUBLE_EQ(s.cpus[2].queued_per_sec, 3.0);

  // Nothing pending or processed on CPU 2 since: its row goes.
  Tick t3 = t2;
  t3.sample.time_ns = 4 * kSec;
  t3.events.clear();
  s = agg.update(t3, info(), {});
  EXPECT_EQ(s.cpu_queues.size(), 2u);
  EXPECT_DOUBLE_EQ(s.cpus[0].queued_per_sec, 0.0);
}

}  // namespace
}  // namespace rcuwatch
