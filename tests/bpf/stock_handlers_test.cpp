// The stock-kernel accounting (bpf/stock.bpf.h) in the running kernel: the
// real bytecode, driven through its raw_tp test wrappers with
// BPF_PROG_TEST_RUN in the order rcu_pending's code calls the hooks
// (fs/bcachefs/rcu_pending.c, 6.12), checked against what the patch's
// tracepoints would have accounted. Every run is on this CPU in this
// thread's context: the handlers keep per-task state.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <spdlog/cfg/env.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "map_reader.hpp"
#include "rcuwatch.skel.h"
#include "test_run.hpp"

namespace rcuwatch {
namespace {

// Test runs probe no kernel function: no kallsyms to read.
const Kallsyms& no_symbols() {
  static const Kallsyms none("/dev/null");
  return none;
}

constexpr uint64_t kInst = 0xffff888012340000ull;
constexpr uint64_t kSrcu = 0xffffffff82001000ull;
constexpr uint64_t kFn = 0xffffffff81234560ull;
constexpr uint64_t kObj = 0xffff8880aaaa0000ull;

class StockHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=trace shows libbpf's log
    std::string why;
    if (!test::can_load_bpf(&why)) GTEST_SKIP() << "SKIPPED: " << why;
    LoaderOptions o;
    o.for_tests = true;
    loader_ = std::make_unique<BpfLoader>(o, no_symbols());
  }

  void run(const char* prog, std::vector<uint64_t> args) {
    test::run_raw_tp(loader_->program(prog), args, -1);
  }
  // rcu_pending_enqueue(pending, head) entered: obj == head.
  void enter(uint64_t obj, uint64_t bytes) {
    run("test_enqueue_enter", {kInst, kSrcu, kFn, obj, obj, bytes});
  }
  void cookie(uint64_t seq, uint32_t cpu) { run("test_cookie", {kSrcu, seq, cpu}); }
  void poll(uint64_t seq, bool elapsed, uint32_t cpu) {
    run("test_poll", {kSrcu, seq, uint64_t(elapsed), cpu});
  }
  void under_lock(uint32_t cpu) { run("test_under_lock", {kSrcu, cpu}); }
  void exit_(uint32_t cpu) { run("test_enqueue_exit", {cpu}); }
  // __process_finished_items entered on @cpu: objs.data[0] = (seq0, nr0) if nseq.
  // lists[0] and lists[1] hold list0_nr and list1_nr objects (fake lists of
  // at most 8, walked when their polls take them).
  void processing(uint32_t cpu, uint64_t nseq, uint64_t seq0, uint64_t nr0, uint64_t list0_seq = 0,
                  uint64_t list0_nr = 0, uint64_t expired_nr = 0, uint64_t list1_seq = 0,
                  uint64_t list1_nr = 0) {
    run("test_processing_enter",
        {kInst, kSrcu, cpu, nseq, seq0, nr0, list0_seq, list0_nr, list1_seq, list1_nr, expired_nr});
  }
  void processing_exit() { run("test_processing_exit", {}); }
  void dequeued(uint64_t obj, bool from_all = false) {
    run("test_dequeue_exit", {kInst, obj, uint64_t(from_all)});
  }

  // A whole ordinary enqueue: cookie under the lock, nothing to process first.
  void enqueue(uint64_t obj, uint64_t bytes, uint64_t seq, uint32_t cpu) {
    enter(obj, bytes);
    cookie(seq, cpu);
    exit_(cpu);
  }
  // The same, its radix allocation failed: rcu_pending_enqueue_list().
  void enqueue_on_list(uint64_t obj, uint64_t bytes, uint64_t seq, uint32_t cpu) {
    enter(obj, bytes);
    cookie(seq, cpu);
    run("test_list", {cpu});
    exit_(cpu);
  }

  Sample sample() { return read_sample(loader_->skel(), QueueCounts::InMap); }
  // Whether the objects map remembers where @obj sits.
  bool tracked(uint64_t obj) {
    const bpf_map* objects = loader_->skel().maps.objects;
    std::vector<uint8_t> where(bpf_map__value_size(objects));
    return bpf_map_lookup_elem(bpf_map__fd(objects), &obj, where.data()) == 0;
  }
  // Flavor @key's counter read as each of @readings in turn; its stats after.
  std::optional<rw_gp_stats> gp_after(uint64_t key, std::vector<uint64_t> readings) {
    for (uint64_t r : readings) run("test_gp_observe", {key, r});
    for (const auto& e : sample().grace_periods)
      if (e.key == key) return e.stats;
    return std::nullopt;
  }
  static uint64_t timed(const rw_gp_stats& g) {
    uint64_t n = 0;
    for (uint64_t c : g.duration_hist) n += c;
    return n;
  }
  static const PendingEntry* find(const Sample& s, uint64_t seq, uint32_t cpu, uint32_t where) {
    for (const auto& p : s.pending)
      if (p.key.instance == kInst && p.key.seq == seq && p.key.cpu == cpu && p.key.where == where)
        return &p;
    return nullptr;
  }
  static rw_instance_totals totals(const Sample& s) {
    for (const auto& i : s.instances)
      if (i.instance == kInst) return i.totals;
    return {};
  }
  static int64_t pending_objects(const Sample& s) {
    int64_t n = 0;
    for (const auto& p : s.pending) n += p.val.objects;
    return n;
  }

  std::unique_ptr<BpfLoader> loader_;
};

TEST_F(StockHandlersTest, TheCookieUnderTheLockPlacesTheObject) {
  enqueue(kObj, 96, 8, 1);
  enqueue(kObj + 128, 96, 8, 1);
  enqueue(kObj + 256, 192, 12, 0);
  Sample s = sample();
  const auto* a = find(s, 8, 1, RW_WHERE_RADIX);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->val.objects, 2);
  EXPECT_EQ(a->val.bytes, 192);
  const auto* b = find(s, 12, 0, RW_WHERE_RADIX);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->val.bytes, 192);
  EXPECT_EQ(totals(s).enqueued_objects, 3u);
  EXPECT_EQ(totals(s).enqueued_bytes, 384u);
  EXPECT_EQ(s.stats[RW_STAT_LATE_PLACEMENTS], 0u);
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].info.srcu, kSrcu);
  EXPECT_EQ(s.instances[0].info.process, kFn);
}

// Enqueues per queue CPU: the CPU of the placement (the cookie's, under the
// lock), not the one the enqueue returned on; processed at once: the poll's.
TEST_F(StockHandlersTest, EnqueuesAreCountedOnThePlacementCpu) {
  enqueue(kObj, 96, 8, 1);
  enter(kObj + 128, 64);
  cookie(8, 1);
  exit_(0);
  // The lock dropped to process finished items, then its grace period was over.
  enter(kObj + 256, 32);
  cookie(12, 0);
  processing(0, 0, 0, 0);
  processing_exit();
  poll(12, true, 2);
  exit_(0);
  Sample s = sample();
  std::map<uint32_t, rw_queue_totals> q;
  for (const auto& e : s.queues) q[e.key.cpu] = e.val;
  EXPECT_EQ(q[1].enqueued_objects, 2u);
  EXPECT_EQ(q[1].enqueued_bytes, 160u);
  EXPECT_EQ(q[2].enqueued_objects, 1u);
  EXPECT_EQ(q.count(0), 0u);
  // The stock hook samples call sites too (the first enqueue on a CPU always).
  EXPECT_GE(s.stats[RW_STAT_CALL_SITE_SAMPLES], 1u);
}

TEST_F(StockHandlersTest, ProcessingTakesWhatThePollsSayElapsed) {
  enqueue(kObj, 100, 8, 1);
  enqueue(kObj + 128, 50, 8, 1);
  enqueue(kObj + 256, 70, 12, 1);
  // The work item: data[0] is seq 8 (2 objects), elapsed.
  processing(1, 2, 8, 2);
  poll(8, true, 1);
  processing_exit();
  // Again: data[0] is seq 12, not elapsed yet: nothing taken.
  processing(1, 1, 12, 1);
  poll(12, false, 1);
  processing_exit();
  Sample s = sample();
  EXPECT_EQ(find(s, 8, 1, RW_WHERE_RADIX), nullptr);
  ASSERT_NE(find(s, 12, 1, RW_WHERE_RADIX), nullptr);
  const auto t = totals(s);
  EXPECT_EQ(t.processed_objects, 2u);
  EXPECT_EQ(t.processed_bytes, 150u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
}

TEST_F(StockHandlersTest, ProcessingFirstTakesTheObjectOutUntilTheNextLock) {
  enqueue(kObj, 100, 8, 0);
  // An enqueue that finds seq 8 elapsed processes it first, dropping the lock.
  enter(kObj + 128, 40);
  cookie(12, 0);           // placed tentatively on CPU 0
  processing(0, 1, 8, 1);  // the lock drops before it is placed: taken out again
  poll(8, true, 0);
  processing_exit();
  poll(12, false, 0);  // check_expired: its own grace period is not over
  poll(20, false, 1);  // process_finished_items() under the new lock, on CPU 1
  exit_(1);
  Sample s = sample();
  EXPECT_EQ(find(s, 12, 0, RW_WHERE_RADIX), nullptr);
  const auto* p = find(s, 12, 1, RW_WHERE_RADIX);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->val.objects, 1);
  EXPECT_EQ(p->val.bytes, 40);
  EXPECT_EQ(totals(s).processed_objects, 1u);
  EXPECT_EQ(s.stats[RW_STAT_LATE_PLACEMENTS], 0u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
}

TEST_F(StockHandlersTest, AGracePeriodStartCallUnderTheNewLockPlacesIt) {
  enter(kObj, 40);
  cookie(12, 0);
  processing(0, 1, 8, 0);  // an emptied seq (every object dequeued)
  poll(8, true, 0);
  processing_exit();
  poll(12, false, 0);
  under_lock(1);  // call_srcu()/start_poll_synchronize_srcu() after placing it
  exit_(1);
  Sample s = sample();
  ASSERT_NE(find(s, 12, 1, RW_WHERE_RADIX), nullptr);
  EXPECT_EQ(s.stats[RW_STAT_LATE_PLACEMENTS], 0u);
}

TEST_F(StockHandlersTest, ElapsedAtCheckExpiredIsProcessedAtOnce) {
  enter(kObj, 64);
  cookie(8, 0);
  processing(0, 1, 4, 0);
  poll(4, true, 0);
  processing_exit();
  poll(8, true, 0);  // its own grace period ended meanwhile: processed now
  exit_(0);
  Sample s = sample();
  EXPECT_EQ(pending_objects(s), 0);
  const auto t = totals(s);
  EXPECT_EQ(t.enqueued_objects, 1u);
  EXPECT_EQ(t.immediate_objects, 1u);
  EXPECT_EQ(t.processed_objects, 1u);
  EXPECT_EQ(t.processed_bytes, 64u);
}

TEST_F(StockHandlersTest, WithoutAHookUnderTheNewLockItIsPlacedAtReturnAndCounted) {
  enter(kObj, 64);
  cookie(8, 0);
  processing(0, 1, 4, 0);
  poll(4, true, 0);
  processing_exit();
  poll(8, false, 0);
  exit_(1);
  Sample s = sample();
  ASSERT_NE(find(s, 8, 1, RW_WHERE_RADIX), nullptr);
  EXPECT_EQ(s.stats[RW_STAT_LATE_PLACEMENTS], 1u);
}

TEST_F(StockHandlersTest, DequeueFindsWhereTheObjectSat) {
  enqueue(kObj, 100, 8, 0);
  enqueue(kObj + 128, 60, 8, 0);
  enqueue(kObj + 256, 30, 12, 1);
  dequeued(kObj + 256);
  // rcu_pending_dequeue_from_all() calls rcu_pending_dequeue() first: one object.
  run("test_dequeue_all_enter", {});
  dequeued(kObj + 128);
  dequeued(kObj + 128, /*from_all=*/true);
  Sample s = sample();
  EXPECT_EQ(find(s, 12, 1, RW_WHERE_RADIX), nullptr);
  const auto* p = find(s, 8, 0, RW_WHERE_RADIX);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->val.objects, 1);
  EXPECT_EQ(p->val.bytes, 100);
  const auto t = totals(s);
  EXPECT_EQ(t.dequeued_objects, 2u);
  EXPECT_EQ(t.dequeued_bytes, 90u);
  EXPECT_EQ(t.untracked_objects, 0u);
}

TEST_F(StockHandlersTest, AnObjectNeverSeenEnqueuedIsUntracked) {
  enqueue(kObj, 100, 8, 0);
  // From before rcuwatch attached, at an address below the direct map: its
  // size cannot be read and counts as 0 bytes, counted as unsized.
  dequeued(0xffff800000001000ull);
  Sample s = sample();
  const auto t = totals(s);
  EXPECT_EQ(t.dequeued_objects, 1u);
  EXPECT_EQ(t.untracked_objects, 1u);
  EXPECT_EQ(s.stats[RW_STAT_UNSIZED_OBJECTS], 1u);
  EXPECT_EQ(pending_objects(s), 1);
}

TEST_F(StockHandlersTest, ListFallbackExpiresAndIsProcessed) {
  enqueue_on_list(kObj, 80, 8, 2);
  Sample s = sample();
  ASSERT_NE(find(s, 8, 2, RW_WHERE_LIST), nullptr);
  EXPECT_EQ(find(s, 8, 2, RW_WHERE_RADIX), nullptr);
  EXPECT_EQ(totals(s).list_objects, 1u);
  // No seq in the radix darray; lists[0] holds seq 8 with 1 object, elapsed.
  processing(2, 0, 0, 0, /*list0_seq=*/8, /*list0_nr=*/1);
  poll(8, true, 2);
  processing_exit();
  s = sample();
  EXPECT_EQ(pending_objects(s), 0);
  EXPECT_EQ(totals(s).processed_objects, 1u);
  EXPECT_EQ(totals(s).processed_bytes, 80u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
}

// A list is counted by walking it when its poll says the kernel takes it,
// before the merge links it to the next: the kernel's count, whatever
// rcuwatch saw. A list whose grace period has not ended stays pending.
TEST_F(StockHandlersTest, AListIsCountedWhenItsPollTakesIt) {
  for (uint64_t seq : {8, 12}) enqueue_on_list(kObj + seq, 80, seq, 2);  // one on each list
  // lists[0] (seq 8) holds 2 objects by now, lists[1] (seq 12) 3: the
  // kernel's lists hold objects rcuwatch did not see join them.
  processing(2, 0, 0, 0, /*list0_seq=*/8, /*list0_nr=*/2, /*expired_nr=*/0, /*list1_seq=*/12,
             /*list1_nr=*/3);
  poll(8, false, 2);  // lists[0] stays
  poll(12, true, 2);  // lists[1] is taken
  processing_exit();
  Sample s = sample();
  EXPECT_EQ(totals(s).processed_objects, 3u);  // the kernel's count of lists[1]
  EXPECT_EQ(totals(s).untracked_objects, 2u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 1u);
  EXPECT_NE(find(s, 8, 2, RW_WHERE_LIST), nullptr);  // seq 8 still waits
  EXPECT_EQ(find(s, 12, 2, RW_WHERE_LIST), nullptr);
  EXPECT_EQ(pending_objects(s), 1);
}

// An enqueue that finds both lists taken by other seqs merges the expired
// ones into the expired list itself (rcu_pending_enqueue_list() ->
// merge_expired_lists(), lock held, no processing): their objects move
// there, and the expired list's processing then finds them tracked.
TEST_F(StockHandlersTest, ListsMergedByAnEnqueueMoveToTheExpiredList) {
  for (uint64_t seq : {8, 12}) enqueue_on_list(kObj + seq, 80, seq, 2);  // lists[0], lists[1]
  enter(kObj + 16, 40);  // seq 16: no list free, merge_expired_lists() polls both
  cookie(16, 2);
  run("test_list", {2});
  poll(8, true, 2);    // merged
  poll(12, false, 2);  // stays
  exit_(2);
  Sample s = sample();
  EXPECT_EQ(find(s, 8, 2, RW_WHERE_LIST), nullptr);
  const PendingEntry* expired = find(s, 0, 2, RW_WHERE_EXPIRED);
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->val.objects, 1);
  EXPECT_EQ(expired->val.bytes, 80);
  ASSERT_NE(find(s, 12, 2, RW_WHERE_LIST), nullptr);
  ASSERT_NE(find(s, 16, 2, RW_WHERE_LIST), nullptr);
  EXPECT_EQ(pending_objects(s), 3);

  // The work processes the expired list (1 object); lists[0] (seq 16) and
  // lists[1] (seq 12) are polled and stay.
  processing(2, 0, 0, 0, /*list0_seq=*/16, /*list0_nr=*/1, /*expired_nr=*/1, /*list1_seq=*/12,
             /*list1_nr=*/1);
  poll(16, false, 2);
  poll(12, false, 2);
  processing_exit();
  s = sample();
  EXPECT_EQ(totals(s).processed_objects, 1u);
  EXPECT_EQ(totals(s).processed_bytes, 80u);
  EXPECT_EQ(totals(s).untracked_objects, 0u);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
  EXPECT_EQ(find(s, 0, 2, RW_WHERE_EXPIRED), nullptr);
  EXPECT_EQ(pending_objects(s), 2);
}

// Processed objects leave the objects map with their batch, under the
// lock, walked through the (fake) radix tree and lists the kernel takes;
// what was not taken stays for its dequeue.
TEST_F(StockHandlersTest, ProcessedObjectsAreForgotten) {
  run("test_fake_memory", {});
  const auto* bss = loader_->skel().bss;
  const uint64_t l0 = bss->rw_test_node_addr[0], l1 = bss->rw_test_node_addr[1];
  enqueue(kObj, 100, 8, 1);
  enqueue(kObj + 128, 50, 8, 1);
  enqueue(kObj + 256, 70, 12, 1);
  for (const uint64_t head : {l0, l1}) enqueue_on_list(head, 30, 16, 2);  // lists[0] of CPU 2
  EXPECT_TRUE(tracked(kObj) && tracked(kObj + 128) && tracked(kObj + 256));
  EXPECT_TRUE(tracked(l0) && tracked(l1));
  loader_->skel().bss->rw_test_radix[0] = kObj;  // objs.data[0] of CPU 1: seq 8
  loader_->skel().bss->rw_test_radix[1] = kObj + 128;
  processing(1, 2, 8, 2);
  poll(8, true, 1);
  processing_exit();
  EXPECT_FALSE(tracked(kObj));
  EXPECT_FALSE(tracked(kObj + 128));
  EXPECT_TRUE(tracked(kObj + 256));  // seq 12: not taken
  processing(2, 0, 0, 0, /*list0_seq=*/16, /*list0_nr=*/2);
  poll(16, false, 2);  // not elapsed: the list stays
  processing_exit();
  EXPECT_TRUE(tracked(l0) && tracked(l1));
  processing(2, 0, 0, 0, /*list0_seq=*/16, /*list0_nr=*/2);
  poll(16, true, 2);
  processing_exit();
  EXPECT_FALSE(tracked(l0));
  EXPECT_FALSE(tracked(l1));
  Sample s = sample();
  EXPECT_EQ(totals(s).processed_objects, 4u);
  EXPECT_EQ(pending_objects(s), 1);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
  dequeued(kObj + 256);  // still known where it sat
  EXPECT_EQ(totals(sample()).untracked_objects, 0u);
}

// A batch larger than the walk's bound under the lock (RW_FORGET_MAX,
// 1024): its first 1024 objects are forgotten, read through a depth-1
// radix tree; the others are left to the LRU. The counts are exact.
TEST_F(StockHandlersTest, ForgettingABatchIsBounded) {
  run("test_fake_memory", {});
  constexpr uint64_t kObjects = 1100, kBound = 1024;
  auto& bss = *loader_->skel().bss;
  for (uint64_t i = 0; i < kObjects; i++) {
    enqueue(kObj + 64 * i, 10, 8, 1);
    bss.rw_test_leaves[i / 64][i % 64] = kObj + 64 * i;
  }
  processing(1, 1, 8, kObjects);
  poll(8, true, 1);
  processing_exit();
  uint64_t remembered = 0, first_remembered = kObjects;
  for (uint64_t i = 0; i < kObjects; i++)
    if (tracked(kObj + 64 * i)) {
      remembered++;
      first_remembered = std::min(first_remembered, i);
    }
  EXPECT_EQ(remembered, kObjects - kBound);
  EXPECT_EQ(first_remembered, kBound);
  Sample s = sample();
  EXPECT_EQ(totals(s).processed_objects, kObjects);
  EXPECT_EQ(pending_objects(s), 0);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 0u);
}

TEST_F(StockHandlersTest, ATakenSeqGoesEvenWhenEmpty) {
  enqueue(kObj, 100, 8, 0);
  dequeued(kObj);  // the kernel's seq 8 on CPU 0 is now empty, still in its darray
  // A phantom object rcuwatch counted twice (a census racing a hook).
  enqueue(kObj + 128, 60, 8, 0);
  const int fd = bpf_map__fd(loader_->skel().maps.pending);
  rw_pending_key key{kInst, 8, 0, RW_WHERE_RADIX};
  rw_pending_val val{};
  ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &val), 0);
  val.objects = 2;
  val.bytes = 120;
  ASSERT_EQ(bpf_map_update_elem(fd, &key, &val, BPF_EXIST), 0);
  dequeued(kObj + 128);
  // The kernel takes seq 8 with no object left: the entry goes with it.
  processing(0, 1, 8, 0);
  poll(8, true, 0);
  processing_exit();
  Sample s = sample();
  EXPECT_EQ(find(s, 8, 0, RW_WHERE_RADIX), nullptr);
  EXPECT_EQ(s.stats[RW_STAT_PROCESS_MISMATCH], 1u);
}

TEST_F(StockHandlersTest, GracePeriodsFromTheCounter) {
  auto g = gp_after(kSrcu, {
                               100,  // first sight: idle at 100
                               101,  // started
                               104,  // ended: timed
                               109,  // one more started and ended unseen, another started
                           });
  ASSERT_TRUE(g);
  EXPECT_EQ(g->completed, 2u);
  EXPECT_EQ(g->started, 3u);            // in progress: started = completed + 1
  EXPECT_EQ(g->last_end_gp_seq, 108u);  // cookies <= 108 have elapsed
  EXPECT_EQ(g->last_start_gp_seq, 109u);
  EXPECT_EQ(timed(*g), 1u);  // only the grace period whose start was seen
  // The one started in the same reading as the last end is in progress.
  EXPECT_GT(g->last_start_ns, g->last_end_ns);
}

// A start seen, then two ends in one reading: the second grace period's
// start was not seen, so neither is timed (the span covers both).
TEST_F(StockHandlersTest, GracePeriodsTwoEndsInOneReadingAreNotTimed) {
  auto g = gp_after(kSrcu + 256, {100, 101, 108});  // idle, started, two ended
  ASSERT_TRUE(g);
  EXPECT_EQ(g->completed, 2u);
  EXPECT_EQ(g->started, 2u);
  EXPECT_EQ(timed(*g), 0u);
  EXPECT_EQ(g->duration_sum_ns, 0u);
}

// SRCU's counter starts 100 grace periods below zero (SRCU_GP_SEQ_INITIAL_VAL,
// include/linux/srcutree.h): a filesystem mounted just now is first seen
// idle there, and the grace periods after it still count.
TEST_F(StockHandlersTest, GracePeriodsFromACounterBelowZero) {
  const uint64_t initial = (0ull - 100ull) << 2;
  auto g = gp_after(kSrcu + 64, {
                                    initial,      // first sight: idle
                                    initial + 1,  // started
                                    initial + 4,  // ended: timed
                                    initial + 9,  // one unseen, another started
                                });
  ASSERT_TRUE(g);
  EXPECT_EQ(g->completed, 2u);
  EXPECT_EQ(g->started, 3u);
  EXPECT_EQ(g->last_end_gp_seq, initial + 8);
  EXPECT_EQ(g->last_start_gp_seq, initial + 9);
  EXPECT_EQ(timed(*g), 1u);
}

// Its counter crosses zero after those 100: still counted one by one.
TEST_F(StockHandlersTest, GracePeriodsAcrossZero) {
  const uint64_t initial = (0ull - 100ull) << 2;
  auto g = gp_after(kSrcu + 128, {
                                     initial + 4 * 98,      // first sight: idle, 2 below zero
                                     initial + 4 * 99 + 1,  // one ended unseen, one started
                                     4 * 3,                 // 4 ended: the 3rd above zero
                                 });
  ASSERT_TRUE(g);
  EXPECT_EQ(g->completed, 5u);
  EXPECT_EQ(g->started, 5u);
  EXPECT_EQ(g->last_end_gp_seq, 12u);
}

// A flavor first seen idle at 0 (RCU's polled counter at boot) is not seen
// for the first time again at its next reading: that start is timed.
TEST_F(StockHandlersTest, GracePeriodsFirstSeenIdleAtZero) {
  auto g = gp_after(kSrcu + 192, {0, 1, 4});  // idle at 0, started, ended
  ASSERT_TRUE(g);
  EXPECT_EQ(g->completed, 1u);
  EXPECT_EQ(g->started, 1u);
  EXPECT_EQ(timed(*g), 1u);  // its start was seen
}

}  // namespace
}  // namespace rcuwatch
