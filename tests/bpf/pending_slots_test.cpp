// The pending slots (map pending_slots, bpf/accounting.bpf.h): tracepoint
// mode's seqs in an mmap-able array, read by MapReader from its mmap. The
// real programs run in the running kernel (BPF_PROG_TEST_RUN): a seq that
// opens claims a slot, one that finds its queue's slots taken goes to the
// pending hash, and a seq keeps its place until processed. The churn test
// claims and frees slots from another thread while samples are read: every
// sample must hold each seq once, every seq that lived through the read
// with its exact count, and no key torn between two seqs.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "map_reader.hpp"
#include "rcuwatch.skel.h"
#include "test_run.hpp"

namespace rcuwatch {
namespace {

constexpr uint64_t kStable = 0xffff888012340000ull;  // seqs that stay
constexpr uint64_t kChurn = 0xffff888056780000ull;   // seqs opened and processed all along
constexpr uint64_t kFull = 0xffff88809abc0000ull;    // more seqs than its queue has slots
constexpr uint64_t kBytes = 64;

const Kallsyms& no_symbols() {
  static const Kallsyms none("/dev/null");
  return none;
}

using Key = std::tuple<uint64_t, uint64_t, uint32_t, uint32_t>;  // instance, seq, cpu, where

class PendingSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!test::can_load_bpf(&why)) GTEST_SKIP() << "SKIPPED: " << why;
    LoaderOptions o;
    o.for_tests = true;
    loader_ = std::make_unique<BpfLoader>(o, no_symbols());
    cpus_ = loader_->skel().rodata->slot_cpus;
    ASSERT_GT(cpus_, 0u) << "pending slots are off";
    // Each test instance must own its home row.
    const uint32_t stable = rw_slot_home_row(kStable), churn = rw_slot_home_row(kChurn),
                   full = rw_slot_home_row(kFull);
    ASSERT_TRUE(stable != churn && stable != full && churn != full)
        << "two test instances share a home row";
  }

  bpf_program* prog(const char* name) { return loader_->program(name); }
  void enqueue(uint64_t inst, uint32_t cpu, uint64_t seq, int on_cpu = 0) {
    test::run_raw_tp(
        prog("rcu_pending_enqueue"),
        {inst, 0, RW_PROCESS_KVFREE, cpu, seq, 0xffff8880aaaa0000ull, kBytes, RW_WHERE_RADIX},
        on_cpu);
  }
  void enqueue_on_list(uint64_t inst, uint32_t cpu, uint64_t seq) {
    test::run_raw_tp(
        prog("rcu_pending_enqueue"),
        {inst, 0, RW_PROCESS_KVFREE, cpu, seq, 0xffff8880aaaa0000ull, kBytes, RW_WHERE_LIST}, 0);
  }
  void dequeue(uint64_t inst, uint32_t cpu, uint64_t seq, uint32_t where = RW_WHERE_RADIX) {
    test::run_raw_tp(prog("rcu_pending_dequeue"),
                     {inst, cpu, seq, 0xffff8880aaaa0000ull, kBytes, where}, 0);
  }
  void list_expired(uint64_t inst, uint32_t cpu, uint64_t seq, uint64_t nr) {
    test::run_raw_tp(prog("rcu_pending_list_expired"), {inst, cpu, seq, nr}, 0);
  }
  void process(uint64_t inst, uint32_t cpu, uint64_t seq, uint64_t nr, int on_cpu = 0,
               uint64_t nr_list = 0) {
    test::run_raw_tp(prog("rcu_pending_process"), {inst, cpu, seq, nr, nr_list}, on_cpu);
  }
  // Whether map pending (the hash) holds an entry of instance @inst.
  bool in_hash(uint64_t inst) {
    const int fd = bpf_map__fd(loader_->skel().maps.pending);
    rw_pending_key k{}, next{};
    for (const rw_pending_key* prev = nullptr; bpf_map_get_next_key(fd, prev, &next) == 0;
         prev = &k) {
      if (next.instance == inst) return true;
      k = next;
    }
    return false;
  }
  Sample sample() { return read_sample(loader_->skel(), QueueCounts::TotalsPlusCorrections); }
  // Objects per seq; a seq whose bytes are not kBytes per object counts -1.
  static std::map<Key, int64_t> objects_by_key(const Sample& s, int* duplicates) {
    std::map<Key, int64_t> out;
    for (const auto& p : s.pending) {
      const Key k{p.key.instance, p.key.seq, p.key.cpu, p.key.where};
      if (out.count(k)) (*duplicates)++;
      out[k] = p.val.bytes == p.val.objects * int64_t(kBytes) ? p.val.objects : -1;
    }
    return out;
  }
  uint64_t stat(const Sample& s, rw_stat i) { return s.stats[i]; }

  std::unique_ptr<BpfLoader> loader_;
  uint32_t cpus_ = 0;
};

TEST_F(PendingSlotsTest, SeqsBeyondTheQueuesSlotsGoToTheHashAndEachIsCountedOnce) {
  // Six seqs on one queue: the first RW_SEQ_SLOTS in slots, the rest in the hash.
  for (uint64_t seq = 100; seq < 124; seq += 4)
    for (int i = 0; i < 3; i++) enqueue(kFull, 0, seq);
  int duplicates = 0;
  auto seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ(duplicates, 0);
  ASSERT_EQ(seen.size(), 6u);
  for (uint64_t seq = 100; seq < 124; seq += 4)
    EXPECT_EQ((seen[{kFull, seq, 0, RW_WHERE_RADIX}]), 3) << "seq " << seq;
  // The map pending holds exactly the two that found no slot.
  rw_pending_key k{kFull, 116, 0, RW_WHERE_RADIX};
  rw_pending_val v{};
  EXPECT_EQ(bpf_map_lookup_elem(bpf_map__fd(loader_->skel().maps.pending), &k, &v), 0);
  k.seq = 100;
  EXPECT_NE(bpf_map_lookup_elem(bpf_map__fd(loader_->skel().maps.pending), &k, &v), 0);

  // Processing a slot's seq frees it; a hash seq stays in the hash (no seq moves).
  process(kFull, 0, 100, 3);
  enqueue(kFull, 0, 116);
  seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(seen.count({kFull, 100, 0, RW_WHERE_RADIX}), 0u);
  EXPECT_EQ((seen[{kFull, 116, 0, RW_WHERE_RADIX}]), 4);
  k.seq = 116;
  ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(loader_->skel().maps.pending), &k, &v), 0);
  EXPECT_EQ(v.objects, 4);
  // The freed slot takes the next new seq.
  enqueue(kFull, 0, 124);
  k.seq = 124;
  EXPECT_NE(bpf_map_lookup_elem(bpf_map__fd(loader_->skel().maps.pending), &k, &v), 0);
  seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ((seen[{kFull, 124, 0, RW_WHERE_RADIX}]), 1);
  EXPECT_EQ(stat(sample(), RW_STAT_PROCESS_MISMATCH), 0u);
}

// List and expired seqs take slots too (tagged in the instance's low bits,
// so that a radix-tree seq of the same cookie is another slot), through
// their whole life: enqueued on a list, dequeued, moved to the expired
// list, processed. A list that empties leaves its slot (the kernel has no
// list left to process). The hash is never used.
TEST_F(PendingSlotsTest, ListAndExpiredSeqsLiveInSlots) {
  for (int i = 0; i < 3; i++) enqueue_on_list(kStable, 1, 200);
  enqueue(kStable, 1, 200);  // the same cookie's radix tree
  enqueue_on_list(kStable, 1, 204);
  int duplicates = 0;
  auto seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ((seen[{kStable, 200, 1, RW_WHERE_LIST}]), 3);
  EXPECT_EQ((seen[{kStable, 200, 1, RW_WHERE_RADIX}]), 1);
  EXPECT_EQ((seen[{kStable, 204, 1, RW_WHERE_LIST}]), 1);

  dequeue(kStable, 1, 200, RW_WHERE_LIST);
  dequeue(kStable, 1, 204, RW_WHERE_LIST);  // its list empties: the slot is free again
  list_expired(kStable, 1, 200, 2);
  seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(seen.count({kStable, 200, 1, RW_WHERE_LIST}), 0u);
  EXPECT_EQ(seen.count({kStable, 204, 1, RW_WHERE_LIST}), 0u);
  EXPECT_EQ((seen[{kStable, 0, 1, RW_WHERE_EXPIRED}]), 2);
  EXPECT_EQ((seen[{kStable, 200, 1, RW_WHERE_RADIX}]), 1);
  EXPECT_FALSE(in_hash(kStable));

  // The expired list is processed with the radix tree of seq 200.
  process(kStable, 1, 200, 1, 0, /*nr_list=*/2);
  const Sample s = sample();
  seen = objects_by_key(s, &duplicates);
  EXPECT_TRUE(seen.empty()) << seen.size() << " seqs left";
  EXPECT_EQ(stat(s, RW_STAT_PROCESS_MISMATCH), 0u);
  EXPECT_FALSE(in_hash(kStable));
  // Four slots free again: four new seqs take them, none goes to the hash.
  for (uint64_t seq = 300; seq < 316; seq += 4) enqueue(kStable, 1, seq);
  EXPECT_FALSE(in_hash(kStable));
}

TEST_F(PendingSlotsTest, ASeqEmptiedByDequeuesKeepsItsSlotUntilProcessed) {
  enqueue(kStable, 1, 200);
  enqueue(kStable, 1, 200);
  dequeue(kStable, 1, 200);
  dequeue(kStable, 1, 200);
  int duplicates = 0;
  Sample s = sample();
  EXPECT_EQ(objects_by_key(s, &duplicates).count({kStable, 200, 1, RW_WHERE_RADIX}), 0u);
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].totals.dequeued_objects, 2u);
  EXPECT_EQ(s.instances[0].totals.untracked_objects, 0u);
  // A third dequeue finds the slot empty: untracked, and nothing goes below zero.
  dequeue(kStable, 1, 200);
  s = sample();
  EXPECT_EQ(s.instances[0].totals.untracked_objects, 1u);
  // Enqueued again: the same slot (not a second place for the seq).
  enqueue(kStable, 1, 200);
  rw_pending_key k{kStable, 200, 1, RW_WHERE_RADIX};
  rw_pending_val v{};
  EXPECT_NE(bpf_map_lookup_elem(bpf_map__fd(loader_->skel().maps.pending), &k, &v), 0);
  auto seen = objects_by_key(sample(), &duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ((seen[{kStable, 200, 1, RW_WHERE_RADIX}]), 1);
  process(kStable, 1, 200, 1);
  EXPECT_EQ(objects_by_key(sample(), &duplicates).size(), 0u);
  EXPECT_EQ(stat(sample(), RW_STAT_PROCESS_MISMATCH), 0u);
}

// An instance claims a row of pending_slots when first seen: its home row
// (a hash of its address, rw_slot_home_row() in bpf/events.h), else
// the next free one; once every row is taken, its seqs go to the pending
// hash. The hot path computes the home row and reads the slots there
// without checking the owner: an instance whose home row another owns
// must find none of the owner's slots and never move a count of the
// owner's, even for the same seq on the same queue, while the general
// path counts its own in the row it got.
TEST_F(PendingSlotsTest, InstancesThatShareAHomeRowEachKeepTheirOwnCounts) {
  const int owners_fd = bpf_map__fd(loader_->skel().maps.row_owners);
  auto owner_of = [owners_fd](uint32_t row) {
    uint64_t owner = 0;
    EXPECT_EQ(bpf_map_lookup_elem(owners_fd, &row, &owner), 0);
    return owner;
  };
  constexpr uint64_t kOwner = 0xffff8880cafe0000ull;
  uint64_t other = kOwner;
  do other += 0x1000;
  while (rw_slot_home_row(other) != rw_slot_home_row(kOwner));
  ASSERT_GE(cpus_, 2u);
  // Seq 500 on both CPUs' queues of the owner, then on the other's queue
  // of CPU 0; each enqueue run on its queue's CPU, as the kernel's are.
  enqueue(kOwner, 0, 500, 0);
  enqueue(kOwner, 1, 500, 1);
  enqueue(other, 0, 500, 0);
  const uint32_t home = rw_slot_home_row(kOwner);
  EXPECT_EQ(owner_of(home), kOwner);
  EXPECT_EQ(owner_of((home + 1) % RW_SLOT_ROWS), other) << "the next free row";
  int64_t owner0 = 1, other0 = 1;
  auto check = [&](const char* when) {
    int duplicates = 0;
    auto seen = objects_by_key(sample(), &duplicates);
    EXPECT_EQ(duplicates, 0) << when;
    EXPECT_EQ((seen[{kOwner, 500, 0, RW_WHERE_RADIX}]), owner0) << when;
    EXPECT_EQ((seen[{kOwner, 500, 1, RW_WHERE_RADIX}]), 1) << when;
    EXPECT_EQ((seen[{other, 500, 0, RW_WHERE_RADIX}]), other0) << when;
  };
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 3; i++) enqueue(other, 0, 500, 0);
    dequeue(other, 0, 500);
    other0 += 3 - 1;
    for (int i = 0; i < 2; i++) enqueue(kOwner, 0, 500, 0);
    dequeue(kOwner, 0, 500);
    owner0 += 2 - 1;
    check("while both are pending");
  }
  EXPECT_FALSE(in_hash(kOwner));
  EXPECT_FALSE(in_hash(other));

  // Every other row taken (the test's other instances may hold some):
  // one instance more has no row, and its seqs go to the hash.
  uint64_t more = 0xffff888100000000ull;
  for (uint32_t taken = 0; taken < RW_SLOT_ROWS; taken++, more += 0x1000) {
    bool all = true;
    for (uint32_t r = 0; r < RW_SLOT_ROWS; r++) all = all && owner_of(r) != 0;
    if (all) break;
    enqueue(more, 0, 700, 0);
  }
  const uint64_t rowless = more + 0x1000;
  for (int i = 0; i < 4; i++) enqueue(rowless, 0, 500, 0);
  dequeue(rowless, 0, 500);
  EXPECT_TRUE(in_hash(rowless));
  int duplicates = 0;
  EXPECT_EQ((objects_by_key(sample(), &duplicates)[{rowless, 500, 0, RW_WHERE_RADIX}]), 3);
  check("once every row is taken");
}

TEST_F(PendingSlotsTest, SamplesHoldEachSeqOnceWhileSlotsAreClaimedAndFreed) {
  // Stable: two seqs on every queue CPU of one instance, kStableObjects each.
  constexpr int kStableObjects = 5;
  for (uint32_t cpu = 0; cpu < cpus_; cpu++)
    for (uint64_t seq : {1000, 1004})
      for (int i = 0; i < kStableObjects; i++) enqueue(kStable, cpu, seq);
  // Churn, on its own thread and CPU: on every queue of another instance,
  // a seq opens (claims a slot) with one object and is processed (frees
  // it); three seqs in flight per queue, so slots are reused all along.
  const int churn_cpu = libbpf_num_possible_cpus() > 1 ? 1 : 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rounds{0};
  std::thread churn([&] {
    uint64_t seq = 4;
    while (!stop.load(std::memory_order_relaxed)) {
      for (uint32_t cpu = 0; cpu < cpus_; cpu++) {
        enqueue(kChurn, cpu, seq + 8, churn_cpu);
        process(kChurn, cpu, seq, 1, churn_cpu);
      }
      seq += 4;
      rounds.fetch_add(1, std::memory_order_relaxed);
    }
  });
  int samples = 0, duplicates = 0, missing = 0, wrong = 0, torn = 0;
  const auto start = std::chrono::steady_clock::now();
  while (samples < 20 || std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
    const Sample s = sample();
    samples++;
    const auto seen = objects_by_key(s, &duplicates);
    for (uint32_t cpu = 0; cpu < cpus_; cpu++)
      for (uint64_t seq : {1000, 1004}) {
        auto it = seen.find({kStable, seq, cpu, RW_WHERE_RADIX});
        if (it == seen.end())
          missing++;
        else if (it->second != kStableObjects)
          wrong++;
      }
    for (const auto& [k, objects] : seen) {
      const auto& [inst, seq, cpu, where] = k;
      if (inst == kStable) continue;
      // A churn seq (12 on, a multiple of 4) holds its one object; anything
      // else is a key or value torn between two seqs, or a stray one.
      if (inst != kChurn || seq < 12 || seq % 4 || cpu >= cpus_ || where != RW_WHERE_RADIX ||
          objects != 1)
        torn++;
    }
  }
  stop = true;
  churn.join();
  std::printf(
      "pending slots: %d samples while %llu churn rounds (%u queues) claimed and freed slots\n",
      samples, static_cast<unsigned long long>(rounds.load()), cpus_);
  EXPECT_GT(rounds.load(), 10u) << "the churn did not run";
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(torn, 0);
}

}  // namespace
}  // namespace rcuwatch
