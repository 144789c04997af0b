// Call sites (userspace/call_sites.cpp): stacks sampled at enqueue as rows
// per instance and call path; and the per-queue enqueue counters the
// Aggregator turns into exact per-CPU rates.
#include "call_sites.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "aggregator.hpp"
#include "samples.hpp"

namespace rcuwatch {
namespace {

using test::instance;

constexpr uint64_t A = 0x1000, B = 0x2000;
constexpr uint64_t kSec = 1'000'000'000;

// Return addresses and their names, as LiveSource symbolises them.
constexpr uint64_t kProg = 0xffffffffa0001000, kTraceRun = 0xffffffff81100010,
                   kEnqueue = 0xffffffff81200020, kPathA = 0xffffffffc0000110,
                   kPathB = 0xffffffffc0000210, kThread = 0xffffffffc0000310,
                   kKthread = 0xffffffff81000400;
SymbolNames frame_names() {
  return {{kProg, "bpf_prog_6deef7357e7b4530_rcu_pending_enqueue+0x4c [bpf]"},
          {kTraceRun, "bpf_trace_run8+0x80"},
          {kEnqueue, "rcu_pending_enqueue+0x1a5"},
          {kPathA, "rpl_enqueue_path_a+0x1d [rcu_pending_load]"},
          {kPathB, "rpl_enqueue_path_b+0x1d [rcu_pending_load]"},
          {kThread, "rpl_thread+0x9c [rcu_pending_load]"},
          {kKthread, "kthread+0xe4"},
          {A, "rpl_rcu_process"}};
}

CallStacks stacks() {
  return {{1, {kProg, kTraceRun, kEnqueue, kPathA, kThread, kKthread}},
          {2, {kProg, kTraceRun, kEnqueue, kPathB, kThread, kKthread}},
          // Path a again, reached through another hook (fentry: a trampoline)
          {3, {0xffffffffa0002000, kEnqueue, kPathA, kThread, kKthread}}};
}

CallSiteEntry site(uint64_t inst, uint32_t cpu, int32_t stack, uint64_t bytes, uint64_t objects,
                   uint64_t samples) {
  CallSiteEntry e;
  e.key.instance = inst;
  e.key.cpu = cpu;
  e.key.stack_id = stack;
  e.val.bytes = bytes;
  e.val.objects = objects;
  e.val.samples = samples;
  return e;
}

TEST(CallPath, StartsAtTheCallerOfRcuPending) {
  const CallPath p = call_path(stacks().at(1), frame_names());
  EXPECT_EQ(p.function, "rpl_enqueue_path_a");
  EXPECT_EQ(p.label, "rpl_enqueue_path_a <- rpl_thread <- kthread");
  ASSERT_EQ(p.frames.size(), 3u);
  EXPECT_EQ(p.frames[0], "rpl_enqueue_path_a+0x1d [rcu_pending_load]");
  EXPECT_FALSE(p.provisional);
}

TEST(CallPath, WithoutRcuPendingFramesDropsOnlyTheTracingGlue) {
  SymbolNames names = frame_names();
  names[0xffffffff81300000] = "__sys_bpf+0x10";
  const CallPath p = call_path({kProg, kTraceRun, 0xffffffff81300000, kKthread}, names);
  EXPECT_EQ(p.label, "__sys_bpf <- kthread");
  // An address kallsyms could not name is kept, and marked to be named later.
  const CallPath q = call_path({kEnqueue, 0xffffffffc0009999, kThread}, names);
  EXPECT_EQ(q.function, "0xffffffffc0009999");
  EXPECT_TRUE(q.provisional);
}

TEST(CallSiteTable, RowsPerInstanceAndPathWithSharesAndRates) {
  Aggregator agg;
  const SourceInfo info{"test", "6.12", 2, {}, 65536};
  Tick t1;
  t1.sample.time_ns = 10 * kSec;
  t1.sample.instances = {instance(A, 0, 0xffffffff81000000, 100, 10000, 0, 0)};
  t1.sample.call_sites = {site(A, 0, 1, 6000, 60, 3), site(A, 1, 2, 3000, 30, 2),
                          site(A, 1, 3, 1000, 10, 1), site(A, 0, RW_NO_STACK, 0, 0, 0)};
  Snapshot s = agg.update(t1, info, frame_names(), -1, stacks());
  EXPECT_EQ(s.call_site_sample_bytes, 65536u);
  ASSERT_EQ(s.call_sites.size(), 3u);
  // Stacks 1 and 3 are the same call site: one row, largest first.
  EXPECT_EQ(s.call_sites[0].function, "rpl_enqueue_path_a");
  EXPECT_EQ(s.call_sites[0].instance_name, "rpl_rcu_process");
  EXPECT_EQ(s.call_sites[0].bytes.total, 7000u);
  EXPECT_EQ(s.call_sites[0].samples, 4u);
  EXPECT_DOUBLE_EQ(s.call_sites[0].share, 0.7);
  EXPECT_EQ(s.call_sites[1].function, "rpl_enqueue_path_b");
  EXPECT_DOUBLE_EQ(s.call_sites[1].share, 0.3);
  EXPECT_EQ(s.call_sites[0].interval_bytes, 0u);  // nothing credited to a first sample
  EXPECT_EQ(s.call_sites[0].bytes.per_sec, 0.0);

  // 2 s later: path a +2000 bytes on CPU 0, path b +4000 on CPU 1; a new
  // instance's first call site counts whole in the interval.
  Tick t2 = t1;
  t2.sample.time_ns = 12 * kSec;
  t2.sample.instances.push_back(instance(B, 0, 0xffffffff81000000, 1, 100, 0, 0));
  t2.sample.call_sites = {site(A, 0, 1, 8000, 80, 4), site(A, 1, 2, 7000, 70, 4),
                          site(A, 1, 3, 1000, 10, 1), site(B, 1, 2, 500, 5, 1)};
  s = agg.update(t2, info, frame_names(), -1, stacks());
  ASSERT_EQ(s.call_sites.size(), 3u);  // the stackless row of A had no samples left
  const CallSiteRow& a = s.call_sites[0];
  EXPECT_EQ(a.function, "rpl_enqueue_path_a");
  EXPECT_EQ(a.interval_bytes, 2000u);
  EXPECT_DOUBLE_EQ(a.bytes.per_sec, 1000.0);
  EXPECT_DOUBLE_EQ(a.objects.per_sec, 10.0);
  ASSERT_EQ(a.cpu_interval_bytes.size(), 1u);
  EXPECT_EQ(a.cpu_interval_bytes[0], (std::pair<uint32_t, uint64_t>{0, 2000}));
  const CallSiteRow& b = s.call_sites[1];
  EXPECT_EQ(b.function, "rpl_enqueue_path_b");
  EXPECT_EQ(b.interval_bytes, 4000u);
  EXPECT_EQ(s.call_sites[2].instance, B);
  EXPECT_EQ(s.call_sites[2].interval_bytes, 500u);
  EXPECT_DOUBLE_EQ(s.call_sites[2].share, 1.0);
}

QueueEntry queue(uint64_t inst, uint32_t cpu, uint64_t objects, uint64_t bytes) {
  QueueEntry q;
  q.key.instance = inst;
  q.key.cpu = cpu;
  q.val.enqueued_objects = objects;
  q.val.enqueued_bytes = bytes;
  return q;
}

TEST(Aggregator, PerQueueCountersGiveExactRatesPerCpu) {
  Aggregator agg;
  const SourceInfo info{"test", "6.12", 2, {}};
  Tick t1;
  t1.sample.time_ns = kSec;
  t1.sample.has_queue_counts = true;
  t1.sample.instances = {instance(A, 0, 0, 50, 500, 0, 0), instance(B, 0, 0, 10, 100, 0, 0)};
  t1.sample.queues = {queue(A, 0, 40, 400), queue(A, 1, 10, 100), queue(B, 1, 10, 100)};
  Snapshot s = agg.update(t1, info, {});
  EXPECT_TRUE(s.queue_rates_exact);
  ASSERT_EQ(s.cpu_queues.size(), 3u);
  EXPECT_EQ(s.cpu_queues[0].enqueued.objects.total, 40u);
  EXPECT_EQ(s.cpu_queues[0].queued_per_sec, 0.0);

  // Nothing pending anywhere (all processed at once, say): the estimate
  // would see nothing, the counters see every enqueue.
  Tick t2 = t1;
  t2.sample.time_ns = 3 * kSec;
  t2.sample.queues = {queue(A, 0, 40, 400), queue(A, 1, 30010, 300100), queue(B, 1, 20010, 200100)};
  s = agg.update(t2, info, {});
  ASSERT_EQ(s.cpu_queues.size(), 3u);
  EXPECT_DOUBLE_EQ(s.cpu_queues[1].queued_per_sec, 15000.0);
  EXPECT_DOUBLE_EQ(s.cpu_queues[1].enqueued.bytes.per_sec, 150000.0);
  EXPECT_DOUBLE_EQ(s.cpus[0].queued_per_sec, 0.0);
  EXPECT_DOUBLE_EQ(s.cpus[1].queued_per_sec, 25000.0);
}

TEST(Aggregator, OomKillsFromEventsAndFromTheCounterWhenAnEventWasLost) {
  Aggregator agg;
  Tick t1;
  t1.sample.time_ns = 5 * kSec;
  rw_event e{};
  e.type = RW_EV_OOM_KILL;
  e.ts_ns = 4 * kSec;
  e.instance = 212;
  e.cpu = 1;
  const char comm[16] = "dd";
  std::memcpy(&e.nr_radix, comm, sizeof(comm));
  t1.events = {e};
  t1.sample.stats[RW_STAT_OOM_KILLS] = 1;
  Snapshot s = agg.update(t1, SourceInfo{}, {});
  ASSERT_EQ(s.oom_kills.size(), 1u);
  EXPECT_EQ(s.oom_kills[0].pid, 212u);
  EXPECT_EQ(s.oom_kills[0].comm, "dd");
  EXPECT_EQ(s.oom_kills[0].time_ns, 4 * kSec);
  EXPECT_EQ(s.oom_kills_total, 1u);

  Tick t2;  // the counter says 2 more, the ring buffer brought none
  t2.sample.time_ns = 6 * kSec;
  t2.sample.stats[RW_STAT_OOM_KILLS] = 3;
  s = agg.update(t2, SourceInfo{}, {});
  ASSERT_EQ(s.oom_kills.size(), 2u);
  EXPECT_EQ(s.oom_kills[0].pid, 0u);
  EXPECT_EQ(s.oom_kills[0].time_ns, 6 * kSec);

  Tick t3 = t2;  // no new kill
  t3.sample.time_ns = 7 * kSec;
  EXPECT_TRUE(agg.update(t3, SourceInfo{}, {}).oom_kills.empty());
}

}  // namespace
}  // namespace rcuwatch
