// Loads the real rcuwatch BPF object into the running kernel and drives
// every raw_tp program with BPF_PROG_TEST_RUN, then reads the maps and the
// ring buffer through the daemon's own code (map_reader, RingbufReader,
// Aggregator) and checks exact numbers.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "aggregator.hpp"
#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "map_reader.hpp"
#include "rcuwatch.skel.h"
#include "recording.hpp"
#include "replay_source.hpp"
#include "ringbuf_reader.hpp"
#include "test_run.hpp"

namespace rcuwatch {
namespace {

// Test runs probe no kernel function: no kallsyms to read.
const Kallsyms& no_symbols() {
  static const Kallsyms none("/dev/null");
  return none;
}

constexpr uint64_t kInst = 0xffff888012340000ull;
constexpr uint64_t kInst2 = 0xffff888056780000ull;
constexpr uint64_t kSrcu = 0xffffffff82001000ull;
constexpr uint64_t kFn = 0xffffffff81234560ull;

std::map<std::string, uint64_t>& runs() {
  static std::map<std::string, uint64_t> r;
  return r;
}

class BpfProgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!test::can_load_bpf(&why)) GTEST_SKIP() << "SKIPPED: " << why;
    LoaderOptions o;
    o.for_tests = true;  // the host kernel has no rcu_pending hooks
    o.ringbuf_bytes = ringbuf_bytes_;
    o.instance_filter = instance_filter_;
    o.call_site_sample_bytes = call_site_sample_bytes_;
    loader_ = std::make_unique<BpfLoader>(o, no_symbols());
    ringbuf_ = std::make_unique<RingbufReader>(bpf_map__fd(loader_->skel().maps.events));
  }

  void run(const char* prog, std::vector<uint64_t> args, int cpu = 0) {
    test::run_raw_tp(loader_->program(prog), args, cpu);
    runs()[prog]++;
  }
  void enqueue(uint64_t inst, int cpu, uint64_t seq, uint64_t bytes, int where = RW_WHERE_RADIX,
               uint64_t srcu = 0, uint64_t fn = kFn) {
    run("rcu_pending_enqueue",
        {inst, srcu, fn, uint64_t(cpu), seq, 0xffff8880aaaa0000ull, bytes, uint64_t(where)}, cpu);
  }
  void dequeue(uint64_t inst, int cpu, uint64_t seq, uint64_t bytes, int where, int on_cpu) {
    run("rcu_pending_dequeue",
        {inst, uint64_t(cpu), seq, 0xffff8880aaaa0000ull, bytes, uint64_t(where)}, on_cpu);
  }
  void process(uint64_t inst, int cpu, uint64_t seq, uint64_t nr_radix, uint64_t nr_list) {
    run("rcu_pending_process", {inst, uint64_t(cpu), seq, nr_radix, nr_list}, cpu);
  }
  void gp(const char* prog, uint64_t key_or_name, uint64_t gp_seq, const char* ev) {
    // The program reads the event name with bpf_probe_read_user_str(): it
    // must run in this process's context, so on this CPU (cpu -1), not from
    // an IPI on another one; and on memory just written, as that read does
    // not fault pages in.
    char name[16] = {};
    std::strncpy(name, ev, sizeof(name) - 1);
    run(prog, {key_or_name, gp_seq, uint64_t(reinterpret_cast<uintptr_t>(name))}, -1);
  }

  Sample sample() { return read_sample(loader_->skel(), QueueCounts::TotalsPlusCorrections); }
  std::vector<rw_event> events() {
    std::vector<rw_event> ev;
    ringbuf_->drain(ev);
    return ev;
  }
  static const PendingEntry* find(const Sample& s, uint64_t inst, uint64_t seq, uint32_t cpu,
                                  uint32_t where) {
    for (const auto& p : s.pending)
      if (p.key.instance == inst && p.key.seq == seq && p.key.cpu == cpu && p.key.where == where)
        return &p;
    return nullptr;
  }
  static const rw_instance_totals* totals(const Sample& s, uint64_t inst) {
    for (const auto& i : s.instances)
      if (i.instance == inst) return &i.totals;
    return nullptr;
  }

  uint32_t ringbuf_bytes_ = 256 * 1024;
  uint64_t instance_filter_ = 0;
  uint64_t call_site_sample_bytes_ = 128 * 1024;
  std::unique_ptr<BpfLoader> loader_;
  std::unique_ptr<RingbufReader> ringbuf_;
};

TEST_F(BpfProgTest, EnqueueDequeueProcessAreExact) {
  enqueue(kInst, 0, 100, 64);
  enqueue(kInst, 0, 100, 128);
  enqueue(kInst, 0, 100, 4096);
  enqueue(kInst, 1, 100, 32);
  enqueue(kInst, 1, 100, 32);
  enqueue(kInst, 0, 104, 256);

  Sample s = sample();
  ASSERT_EQ(s.pending.size(), 3u);
  auto* a = find(s, kInst, 100, 0, RW_WHERE_RADIX);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->val.objects, 3);
  EXPECT_EQ(a->val.bytes, 64 + 128 + 4096);
  EXPECT_GT(a->val.first_enqueue_ns, 0u);
  auto* b = find(s, kInst, 100, 1, RW_WHERE_RADIX);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->val.objects, 2);
  EXPECT_EQ(b->val.bytes, 64);
  auto* t = totals(s, kInst);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->enqueued_objects, 6u);
  EXPECT_EQ(t->enqueued_bytes, 64u + 128 + 4096 + 32 + 32 + 256);
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].info.process, kFn);
  EXPECT_EQ(s.instances[0].info.srcu, 0u);
  EXPECT_EQ(s.stats[RW_STAT_EVENTS], 6u);

  // rcu_pending_dequeue_from_all(): CPU 1 takes an object queued on CPU 0.
  dequeue(kInst, 0, 100, 4096, RW_WHERE_RADIX, /*on_cpu=*/1);
  process(kInst, 0, 100, 2, 0);
  process(kInst, 1, 100, 2, 0);

  s = sample();
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_NE(find(s, kInst, 104, 0, RW_WHERE_RADIX), nullptr);
  t = totals(s, kInst);
  EXPECT_EQ(t->processed_objects, 4u);
  EXPECT_EQ(t->processed_bytes, 64u + 128 + 32 + 32);
  EXPECT_EQ(t->dequeued_objects, 1u);
  EXPECT_EQ(t->dequeued_bytes, 4096u);
  EXPECT_EQ(t->untracked_objects, 0u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
  // The hot path counts its hits in map cpu_state, per CPU: summed in.
  EXPECT_EQ(s.stats[RW_STAT_EVENTS], 6u + 1 + 2);
  // Every byte enqueued is pending, processed or dequeued.
  EXPECT_EQ(t->enqueued_bytes, t->processed_bytes + t->dequeued_bytes + 256);

  auto ev = events();
  int opens = 0, processes = 0;
  for (const auto& e : ev) {
    if (e.type == RW_EV_SEQ_OPEN) opens++;
    if (e.type == RW_EV_SEQ_PROCESS) {
      processes++;
      EXPECT_EQ(e.nr_radix, 2u);
      EXPECT_EQ(e.objects, 2);
    }
  }
  EXPECT_EQ(opens, 3);
  EXPECT_EQ(processes, 2);
  EXPECT_EQ(s.stats[RW_STAT_RINGBUF_DROPS], 0u);
}

TEST_F(BpfProgTest, ListFallbackExpiresAndIsProcessed) {
  enqueue(kInst, 0, 200, 100, RW_WHERE_LIST);
  enqueue(kInst, 0, 200, 200, RW_WHERE_LIST);
  enqueue(kInst, 0, 204, 1000, RW_WHERE_LIST);
  run("rcu_pending_list_expired", {kInst, 0, 200, 2});

  Sample s = sample();
  EXPECT_EQ(find(s, kInst, 200, 0, RW_WHERE_LIST), nullptr);
  auto* exp = find(s, kInst, 0, 0, RW_WHERE_EXPIRED);
  ASSERT_NE(exp, nullptr);
  EXPECT_EQ(exp->val.objects, 2);
  EXPECT_EQ(exp->val.bytes, 300);
  auto* live = find(s, kInst, 204, 0, RW_WHERE_LIST);
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->val.bytes, 1000);

  dequeue(kInst, 0, 200, 200, RW_WHERE_EXPIRED, 0);
  process(kInst, 0, 0, 0, 1);
  s = sample();
  EXPECT_EQ(find(s, kInst, 0, 0, RW_WHERE_EXPIRED), nullptr);
  auto* t = totals(s, kInst);
  EXPECT_EQ(t->list_objects, 3u);
  EXPECT_EQ(t->processed_objects, 1u);
  EXPECT_EQ(t->processed_bytes, 100u);
  EXPECT_EQ(t->dequeued_bytes, 200u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);

  bool saw_expired = false;
  for (const auto& e : events())
    if (e.type == RW_EV_LIST_EXPIRED) {
      saw_expired = true;
      EXPECT_EQ(e.seq, 200u);
      EXPECT_EQ(e.nr_list, 2u);
      EXPECT_EQ(e.bytes, 300);
    }
  EXPECT_TRUE(saw_expired);
}

TEST_F(BpfProgTest, ImmediateIsCountedButNeverPending) {
  enqueue(kInst, 0, 300, 512, RW_WHERE_IMMEDIATE);
  Sample s = sample();
  EXPECT_TRUE(s.pending.empty());
  auto* t = totals(s, kInst);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->enqueued_objects, 1u);
  EXPECT_EQ(t->immediate_bytes, 512u);
  EXPECT_EQ(t->processed_objects, 1u);
  EXPECT_EQ(t->processed_bytes, 512u);
}

TEST_F(BpfProgTest, ObjectsFromBeforeAttachAreUntrackedNotNegative) {
  process(kInst, 1, 400, 5, 0);
  dequeue(kInst, 1, 400, 64, RW_WHERE_RADIX, 1);
  Sample s = sample();
  EXPECT_TRUE(s.pending.empty());
  auto* t = totals(s, kInst);
  EXPECT_EQ(t->untracked_objects, 6u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 1u);
}

TEST_F(BpfProgTest, GracePeriodsAndSeqStates) {
  gp("rcu_grace_period", 0, 8, "start");
  gp("rcu_grace_period", 0, 8, "cpuqs");  // ignored
  gp("rcu_grace_period", 0, 12, "end");
  gp("srcu_grace_period", kSrcu, 5, "start");
  enqueue(kInst, 0, 12, 64);                                            // RCU, cookie 12: elapsed
  enqueue(kInst, 0, 16, 64);                                            // RCU, cookie 16: waiting
  enqueue(kInst2, 1, 8, 64, RW_WHERE_RADIX, kSrcu, RW_PROCESS_KVFREE);  // SRCU GP still running

  Sample s = sample();
  ASSERT_EQ(s.grace_periods.size(), 2u);
  for (const auto& g : s.grace_periods) {
    if (g.key == 0) {
      EXPECT_EQ(g.stats.started, 1u);
      EXPECT_EQ(g.stats.completed, 1u);
      EXPECT_EQ(g.stats.last_end_gp_seq, 12u);
      EXPECT_GT(g.stats.last_duration_ns, 0u);
      uint64_t in_hist = 0;
      for (auto n : g.stats.duration_hist) in_hist += n;
      EXPECT_EQ(in_hist, 1u);
    } else {
      EXPECT_EQ(g.key, kSrcu);
      EXPECT_EQ(g.stats.started, 1u);
      EXPECT_EQ(g.stats.completed, 0u);
    }
  }
  Aggregator agg;
  Tick tick{events(), s};
  Snapshot snap = agg.update(tick, SourceInfo{"test", "test", 2, {}}, {});
  std::map<uint64_t, SeqState> state;
  for (const auto& q : snap.seqs) state[q.seq] = q.state;
  EXPECT_EQ(state[12], SeqState::GracePeriodElapsed);
  EXPECT_EQ(state[16], SeqState::WaitingForGracePeriod);
  EXPECT_EQ(state[8], SeqState::WaitingForGracePeriod);
  int gp_events = 0;
  for (const auto& e : tick.events) gp_events += e.type == RW_EV_GP_START || e.type == RW_EV_GP_END;
  EXPECT_EQ(gp_events, 3);
}

// A three-interval scenario, recorded through the daemon's recording code
// and replayed through the aggregator. With RCUWATCH_FIXTURE_OUT set, the
// recording is also kept: that is how tests/data/testrun.rwrec was made
// (its numbers are derived by hand in tests/cli/replay_test.sh).
TEST_F(BpfProgTest, RecordedScenarioReplaysToTheSameNumbers) {
  const std::string path = ::testing::TempDir() + "rcuwatch-scenario.rwrec";
  RecordingHeader h;
  h.kernel_release = "bpf-test-run";
  h.nr_cpus = 2;
  h.names = {{kInst, "test_rcu_process"}, {kInst2, "test_srcu_kvfree"}, {kSrcu, "test_srcu"}};
  std::vector<Snapshot> live;
  {
    RecordingWriter w(path, h);
    Aggregator agg;
    auto tick = [&] {
      Tick t{events(), sample()};
      w.write_tick(t);
      live.push_back(agg.update(t, SourceInfo{"live", "bpf-test-run", 2, {}}, h.names));
      usleep(100'000);
    };
    // Interval 1: objects queued on both CPUs, an RCU grace period starts.
    gp("rcu_grace_period", 0, 96, "start");
    enqueue(kInst, 0, 100, 64);
    enqueue(kInst, 0, 100, 128);
    enqueue(kInst, 0, 100, 4096);
    enqueue(kInst, 1, 100, 32);
    enqueue(kInst, 1, 100, 32);
    for (int i = 0; i < 4; i++)
      enqueue(kInst2, 1, 8, 1000, RW_WHERE_RADIX, kSrcu, RW_PROCESS_KVFREE);
    tick();
    // Interval 2: the RCU grace period ends; seq 100 is processed (one
    // object dequeued first); a new object waits for seq 104.
    gp("rcu_grace_period", 0, 100, "end");
    process(kInst, 0, 100, 3, 0);
    dequeue(kInst, 1, 100, 32, RW_WHERE_RADIX, 1);
    process(kInst, 1, 100, 1, 0);
    enqueue(kInst, 0, 104, 256);
    gp("srcu_grace_period", kSrcu, 5, "start");
    tick();
    // Interval 3: the SRCU grace period ends and its objects are freed.
    gp("srcu_grace_period", kSrcu, 8, "end");
    process(kInst2, 1, 8, 4, 0);
    tick();
  }
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].totals.pending_bytes, 4288 + 64 + 4000);
  EXPECT_EQ(live[1].totals.pending_bytes, 4256);
  EXPECT_EQ(live[2].totals.pending_bytes, 256);
  EXPECT_EQ(live[2].totals.pending_objects, 1);

  ReplaySource replay(path, 0);
  Aggregator agg;
  std::vector<Snapshot> replayed;
  const StopFlag never;
  while (auto t = replay.next(Interval{0}, never)) replayed.push_back(agg.update(*t, replay));
  ASSERT_EQ(replayed.size(), live.size());
  for (size_t i = 0; i < live.size(); i++) {
    EXPECT_EQ(replayed[i].totals.pending_bytes, live[i].totals.pending_bytes);
    EXPECT_EQ(replayed[i].totals.processed.bytes.total, live[i].totals.processed.bytes.total);
    EXPECT_EQ(replayed[i].instances.size(), live[i].instances.size());
  }
  EXPECT_EQ(replayed[2].instances[0].name, "test_rcu_process");
  if (const char* out = std::getenv("RCUWATCH_FIXTURE_OUT"))
    std::filesystem::copy_file(path, out, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(path);
}

// RCU's poll cookies follow gp_seq_polled, which expedited grace periods
// advance too: "endpoll" (our patch) moves the completed cookie without
// counting a grace period, and an older "end" never moves it back.
TEST_F(BpfProgTest, PolledGracePeriodEndAdvancesTheCookieOnly) {
  gp("rcu_grace_period", 0, 8, "start");
  gp("rcu_grace_period", 0, 12, "end");
  gp("rcu_grace_period", 0, 16, "endpoll");  // an expedited GP completed cookie 16
  gp("rcu_grace_period", 0, 12, "end");      // a late "end" of the normal counter
  enqueue(kInst, 0, 16, 64);
  enqueue(kInst, 0, 20, 64);
  Sample s = sample();
  ASSERT_EQ(s.grace_periods.size(), 1u);
  EXPECT_EQ(s.grace_periods[0].stats.last_end_gp_seq, 16u);
  EXPECT_EQ(s.grace_periods[0].stats.completed, 2u);  // the two "end"s, not "endpoll"
  Aggregator agg;
  Snapshot snap = agg.update(Tick{events(), s}, SourceInfo{"test", "test", 2, {}}, {});
  std::map<uint64_t, SeqState> state;
  for (const auto& q : snap.seqs) state[q.seq] = q.state;
  EXPECT_EQ(state[16], SeqState::GracePeriodElapsed);
  EXPECT_EQ(state[20], SeqState::WaitingForGracePeriod);
}

class BpfInstanceFilterTest : public BpfProgTest {
 protected:
  void SetUp() override {
    instance_filter_ = kInst2;  // rodata, set before load (rcuwatch --instance)
    BpfProgTest::SetUp();
  }
};

TEST_F(BpfInstanceFilterTest, OnlyTheChosenInstanceIsAccounted) {
  enqueue(kInst, 0, 100, 64);
  enqueue(kInst2, 1, 8, 1000, RW_WHERE_RADIX, kSrcu, RW_PROCESS_KVFREE);
  process(kInst, 0, 100, 1, 0);
  Sample s = sample();
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_EQ(s.pending[0].key.instance, kInst2);
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].instance, kInst2);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
}

// The totals of the first RW_CPU_STATE_TOTALS instance slots are counted in
// each CPU's state, the others in map totals: instances on both sides of
// that line, on two CPUs, each come out once with exactly its own counts.
TEST_F(BpfProgTest, TotalsAreExactOnBothSidesOfTheStateSlots) {
  constexpr int kInstances = 2 * RW_CPU_STATE_TOTALS;
  auto inst = [](int i) { return 0xffff888012340000ull + uint64_t(i) * 0x1000; };
  for (int i = 0; i < kInstances; i++) {
    enqueue(inst(i), 0, 100, 10 + i);
    enqueue(inst(i), 1, 100, 1000 + i);
    enqueue(inst(i), 1, 100, 1000 + i);
    dequeue(inst(i), 1, 100, 1000 + i, RW_WHERE_RADIX, 1);
  }
  Sample s = sample();
  std::map<uint64_t, int> seen;
  for (const auto& e : s.instances) seen[e.instance]++;
  for (int i = 0; i < kInstances; i++) {
    SCOPED_TRACE(i);
    EXPECT_EQ(seen[inst(i)], 1);
    const rw_instance_totals* t = totals(s, inst(i));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->enqueued_objects, 3u);
    EXPECT_EQ(t->enqueued_bytes, uint64_t(10 + i + 2 * (1000 + i)));
    EXPECT_EQ(t->dequeued_objects, 1u);
    EXPECT_EQ(t->dequeued_bytes, uint64_t(1000 + i));
  }
  // Per queue CPU too: what each CPU counted for the instance.
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> queued;
  for (const auto& q : s.queues) queued[{q.key.instance, q.key.cpu}] += q.val.enqueued_bytes;
  EXPECT_EQ(queued[std::make_pair(inst(0), 0u)], 10u);
  EXPECT_EQ(queued[std::make_pair(inst(kInstances - 1), 1u)], 2u * (1000 + kInstances - 1));
}

class BpfRingbufFullTest : public BpfProgTest {
 protected:
  void SetUp() override {
    ringbuf_bytes_ = 4096;  // the smallest ring: fills after a few dozen events
    BpfProgTest::SetUp();
  }
};

TEST_F(BpfRingbufFullTest, DropsAreCountedAndCountersStayExact) {
  constexpr int kSeqs = 200;  // one SEQ_OPEN lifecycle event each
  for (int i = 0; i < kSeqs; i++) enqueue(kInst, 0, 1000 + 4 * i, 100);
  Sample s = sample();
  auto ev = events();
  const uint64_t drops = s.stats[RW_STAT_RINGBUF_DROPS];
  EXPECT_GT(drops, 0u);
  EXPECT_EQ(ev.size() + drops, uint64_t(kSeqs));
  // The ring buffer lost events, the counts did not.
  EXPECT_EQ(s.pending.size(), size_t(kSeqs));
  EXPECT_EQ(totals(s, kInst)->enqueued_bytes, uint64_t(kSeqs) * 100);
  std::printf("ring buffer full: %zu events delivered, %llu dropped and counted\n", ev.size(),
              (unsigned long long)drops);
}

// Enqueues per queue CPU: keyed by the tracepoint's cpu (the queue that took
// the object), not the CPU the program runs on; immediate ones count.
// A program that interrupts another one on its CPU while that one writes a
// way of the slot cache (stock modes run with interrupts on) must leave the
// cache alone, or the way could end naming one instance with another's
// slot. The nested program is simulated here by setting the fill flag of
// every CPU's state from userspace: an enqueue then counts exactly without
// caching its instance, and caches it once the flag is clear.
TEST_F(BpfProgTest, ANestedFillLeavesTheSlotCacheAlone) {
  // struct rw_cpu_state (bpf/accounting.bpf.h), in 64-bit words: events,
  // filling, then RW_SLOT_CACHE_WAYS ways of {instance, slot + 1 | queue row << 32}.
  constexpr size_t kFilling = 1, kFirstWay = 2, kWays = 16;
  const int fd = bpf_map__fd(loader_->skel().maps.cpu_state);
  const size_t stride = (bpf_map__value_size(loader_->skel().maps.cpu_state) + 7) / 8;
  ASSERT_GE(stride, kFirstWay + 2 * kWays);
  const size_t cpus = size_t(libbpf_num_possible_cpus());
  std::vector<uint64_t> state(stride * cpus);
  const uint32_t zero = 0;
  auto set_filling = [&](uint64_t v) {
    ASSERT_EQ(bpf_map_lookup_elem(fd, &zero, state.data()), 0);
    for (size_t c = 0; c < cpus; c++) state[c * stride + kFilling] = v;
    ASSERT_EQ(bpf_map_update_elem(fd, &zero, state.data(), BPF_ANY), 0);
  };
  auto ways_naming = [&](uint64_t inst) {
    EXPECT_EQ(bpf_map_lookup_elem(fd, &zero, state.data()), 0);
    int n = 0;
    for (size_t w = 0; w < kWays; w++) n += state[kFirstWay + 2 * w] == inst;  // CPU 0's
    return n;
  };

  set_filling(1);
  enqueue(kInst, 0, 100, 64);
  enqueue(kInst, 0, 100, 128);
  EXPECT_EQ(ways_naming(kInst), 0);
  Sample s = sample();
  auto* t = totals(s, kInst);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->enqueued_objects, 2u);
  auto* p = find(s, kInst, 100, 0, RW_WHERE_RADIX);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->val.bytes, 64 + 128);

  set_filling(0);
  enqueue(kInst, 0, 100, 256);
  EXPECT_EQ(ways_naming(kInst), 1);
  s = sample();
  t = totals(s, kInst);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->enqueued_objects, 3u);
  p = find(s, kInst, 100, 0, RW_WHERE_RADIX);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->val.bytes, 64 + 128 + 256);
}

TEST_F(BpfProgTest, EnqueuesAreCountedPerQueueCpu) {
  run("rcu_pending_enqueue", {kInst, 0, kFn, 3, 100, 0xffff8880aaaa0000ull, 64, RW_WHERE_RADIX}, 0);
  run("rcu_pending_enqueue", {kInst, 0, kFn, 3, 100, 0xffff8880aaaa0000ull, 32, RW_WHERE_LIST}, 1);
  enqueue(kInst, 1, 104, 512, RW_WHERE_IMMEDIATE);
  enqueue(kInst2, 1, 8, 100);
  Sample s = sample();
  EXPECT_TRUE(s.has_queue_counts);
  std::map<std::pair<uint64_t, uint32_t>, rw_queue_totals> q;
  for (const auto& e : s.queues) q[{e.key.instance, e.key.cpu}] = e.val;
  const auto at = [&](uint64_t inst, uint32_t cpu) { return q[std::make_pair(inst, cpu)]; };
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(at(kInst, 3).enqueued_objects, 2u);
  EXPECT_EQ(at(kInst, 3).enqueued_bytes, 96u);
  EXPECT_EQ(at(kInst, 1).enqueued_objects, 1u);
  EXPECT_EQ(at(kInst2, 1).enqueued_bytes, 100u);
  EXPECT_EQ(s.stats[RW_STAT_QUEUE_MAP_FULL], 0u);
}

// The OOM killer's tracepoint: counted, and announced with one event.
TEST_F(BpfProgTest, OomKillIsCountedAndAnnounced) {
  run("oom_mark_victim", {0, 0}, -1);  // no task to read: pid 0, no name
  Sample s = sample();
  EXPECT_EQ(s.stats[RW_STAT_OOM_KILLS], 1u);
  int kills = 0;
  for (const auto& e : events())
    if (e.type == RW_EV_OOM_KILL) {
      kills++;
      EXPECT_EQ(e.instance, 0u);
      EXPECT_GT(e.ts_ns, 0u);
    }
  EXPECT_EQ(kills, 1);
}

class BpfCallSiteTest : public BpfProgTest {
 protected:
  void SetUp() override {
    call_site_sample_bytes_ = 1000;  // a sample per 500-1500 bytes per CPU
    BpfProgTest::SetUp();
  }
};

// Stacks sampled by bytes: every sample stands for what its CPU enqueued
// since the last one, so the samples add up to what was enqueued, but for
// each CPU's count since its last sample (less than 1.5 x the period).
TEST_F(BpfCallSiteTest, SamplesStandForTheBytesEnqueuedAndNameTheStack) {
  uint64_t enqueued = 0;
  for (int i = 0; i < 200; i++) {
    enqueue(kInst, 0, 100, 100);
    enqueue(kInst2, 1, 8, 300, RW_WHERE_RADIX, kSrcu, RW_PROCESS_KVFREE);
    enqueued += 400;
  }
  Sample s = sample();
  uint64_t bytes = 0, objects = 0, samples = 0;
  std::set<int32_t> ids;
  for (const auto& c : s.call_sites) {
    EXPECT_TRUE(c.key.instance == kInst || c.key.instance == kInst2);
    EXPECT_EQ(c.key.cpu, c.key.instance == kInst ? 0u : 1u);
    bytes += c.val.bytes;
    objects += c.val.objects;
    samples += c.val.samples;
    ids.insert(c.key.stack_id);
  }
  EXPECT_EQ(samples, s.stats[RW_STAT_CALL_SITE_SAMPLES]);
  EXPECT_GE(samples, 2u * (200 * 100 / 1500));  // each CPU's bytes / the longest period
  EXPECT_LE(bytes, enqueued);
  EXPECT_GT(bytes + 2 * 1500, enqueued);
  EXPECT_LE(objects, 400u);
  EXPECT_EQ(s.stats[RW_STAT_CALL_SITE_NO_STACK], 0u);
  EXPECT_EQ(s.stats[RW_STAT_CALL_SITE_MAP_FULL], 0u);
  // The stacks are there, and kallsyms names their frames.
  const Kallsyms syms;
  for (int32_t id : ids) {
    ASSERT_GE(id, 0);
    auto ips = read_stack(loader_->skel(), id);
    ASSERT_TRUE(ips && !ips->empty());
    if (syms.size()) {
      EXPECT_TRUE(syms.symbolize(ips->back())) << std::hex << ips->back();
    }
  }
}

class BpfCallSitesOffTest : public BpfProgTest {
 protected:
  void SetUp() override {
    call_site_sample_bytes_ = 0;  // --sample-bytes 0
    BpfProgTest::SetUp();
  }
};

TEST_F(BpfCallSitesOffTest, NoSamples) {
  for (int i = 0; i < 10; i++) enqueue(kInst, 0, 100, 100000);
  Sample s = sample();
  EXPECT_TRUE(s.call_sites.empty());
  EXPECT_EQ(s.stats[RW_STAT_CALL_SITE_SAMPLES], 0u);
  EXPECT_EQ(s.queues.size(), 1u);  // per-queue counts do not depend on sampling
}

class RunReport : public ::testing::Environment {
 public:
  void TearDown() override {
    uint64_t total = 0;
    for (const auto& [p, n] : runs()) total += n;
    std::printf(
        "BPF_PROG_TEST_RUN: %zu distinct programs executed %llu times in the running kernel:",
        runs().size(), (unsigned long long)total);
    for (const auto& [p, n] : runs()) std::printf(" %s=%llu", p.c_str(), (unsigned long long)n);
    std::printf("\n");
  }
};

const auto* const kReport = ::testing::AddGlobalTestEnvironment(new RunReport);

}  // namespace
}  // namespace rcuwatch
