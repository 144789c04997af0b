// A real BPF hash map in the running kernel, changed by another thread
// (inserts and deletes, as the BPF programs do when seqs open and close)
// while samples are read with the daemon's own reader (MapReader). Every
// sample must hold each entry at most once, and every entry that lived
// through the whole read exactly once, with its value.
//
// A get_next_key walk fails this: when the key it stands on is deleted,
// the kernel sends it back to the first key and the sample counts entries
// twice (hash_map_read.hpp).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>
#include <tuple>
#include <vector>

#include "map_reader.hpp"
#include "test_run.hpp"
#include "unique_fd.hpp"

namespace rcuwatch {
namespace {

constexpr uint64_t kStable = 0xffff888012340000ull;  // entries never deleted
constexpr uint64_t kChurn = 0xffff888056780000ull;   // entries inserted and deleted all along
constexpr uint32_t kStableEntries = 20000;
constexpr uint32_t kChurnKeys = 20000;  // about half of them present at any time
constexpr auto kMinReadTime = std::chrono::milliseconds(1000);
constexpr int kMinSamples = 5;

// Runs `step(i)` for i = 0, 1, 2... on its own thread until destroyed.
class Churn {
 public:
  template <typename Step>
  explicit Churn(Step step)
      : thread_([this, step] {
          for (uint64_t i = 0; !stop_.load(std::memory_order_relaxed); i++) {
            step(i);
            ops_.store(i + 1, std::memory_order_relaxed);
          }
        }) {}
  ~Churn() {
    stop_ = true;
    thread_.join();
  }
  uint64_t ops() const { return ops_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ops_{0};
  std::thread thread_;
};

// Reads samples for kMinReadTime (and at least kMinSamples); returns how many.
template <typename Check>
int read_samples_while(MapReader& reader, Check check) {
  const auto start = std::chrono::steady_clock::now();
  int samples = 0;
  while (samples < kMinSamples || std::chrono::steady_clock::now() - start < kMinReadTime) {
    Sample s = reader.read();
    samples++;
    if (!check(s, samples)) break;
  }
  return samples;
}

const char* method_name(HashMapRead how) {
  return how == HashMapRead::KeyWalk ? "key walk" : "batch";
}

class MapChurnTest : public ::testing::TestWithParam<HashMapRead> {
 protected:
  void SetUp() override {
    std::string why;
    if (!test::can_load_bpf(&why)) {
      GTEST_SKIP() << "SKIPPED: " << why;
    }
  }

  // A map like bpf/rcuwatch.bpf.c's; skips the test if the kernel refuses.
  int create_map(bpf_map_type type, const char* name, uint32_t key_size, uint32_t value_size,
                 uint32_t max_entries) {
    const int fd = bpf_map_create(type, name, key_size, value_size, max_entries, nullptr);
    if (fd < 0) return -errno;
    return fd;
  }
};

rw_pending_key pending_key(uint64_t instance, uint32_t i) {
  rw_pending_key k{};
  k.instance = instance;
  k.seq = 1000 + 4 * uint64_t(i);
  k.cpu = i % 1024;
  k.where = i % 10 == 9 ? RW_WHERE_LIST : RW_WHERE_RADIX;
  return k;
}

TEST_P(MapChurnTest, PendingSamplesHoldEachEntryOnceAndEverySurvivor) {
  const int created = create_map(BPF_MAP_TYPE_HASH, "rw_churn", sizeof(rw_pending_key),
                                 sizeof(rw_pending_val), 65536);
  if (created < 0) {
    GTEST_SKIP() << "SKIPPED: bpf_map_create: " << std::strerror(-created);
  }
  UniqueFd map(created);
  for (uint32_t i = 0; i < kStableEntries; i++) {
    const rw_pending_key k = pending_key(kStable, i);
    const rw_pending_val v{1, int64_t(i), 7};
    ASSERT_EQ(bpf_map_update_elem(map.get(), &k, &v, BPF_NOEXIST), 0);
  }

  SampleMaps maps;
  maps.pending = map.get();
  MapReader reader(maps, GetParam());
  uint64_t duplicates = 0, missing = 0, wrong_values = 0, repeated = 0;
  int bad_sample = 0;
  int samples = 0;
  uint64_t churn_ops = 0;
  {
    // Insert key i, delete the key inserted half a round earlier: about
    // kChurnKeys / 2 churn entries live at any time, each for a short while.
    Churn churn([fd = map.get()](uint64_t n) {
      const uint32_t i = uint32_t(n % kChurnKeys);
      const rw_pending_key in = pending_key(kChurn, i);
      const rw_pending_val v{2, 2, 2};
      bpf_map_update_elem(fd, &in, &v, BPF_ANY);
      const rw_pending_key out = pending_key(kChurn, (i + kChurnKeys / 2) % kChurnKeys);
      bpf_map_delete_elem(fd, &out);
    });
    samples = read_samples_while(reader, [&](const Sample& s, int n) {
      std::map<std::tuple<uint64_t, uint64_t, uint32_t, uint32_t>, int> seen;
      uint64_t dup = 0, wrong = 0;
      for (const auto& p : s.pending) {
        if (++seen[{p.key.instance, p.key.seq, p.key.cpu, p.key.where}] > 1) dup++;
        const bool stable = p.key.instance == kStable;
        const rw_pending_val want = stable ? rw_pending_val{1, int64_t((p.key.seq - 1000) / 4), 7}
                                           : rw_pending_val{2, 2, 2};
        if ((!stable && p.key.instance != kChurn) || p.val.objects != want.objects ||
            p.val.bytes != want.bytes || p.val.first_enqueue_ns != want.first_enqueue_ns)
          wrong++;
      }
      uint32_t distinct_stable = 0;
      for (uint32_t i = 0; i < kStableEntries; i++) {
        const rw_pending_key k = pending_key(kStable, i);
        distinct_stable += seen.count({k.instance, k.seq, k.cpu, k.where});
      }
      duplicates += dup;
      wrong_values += wrong;
      missing += kStableEntries - distinct_stable;
      repeated += reader.pending_stats().repeated;
      if ((dup || wrong || distinct_stable != kStableEntries) && !bad_sample) bad_sample = n;
      EXPECT_TRUE(reader.pending_stats().complete);
      EXPECT_EQ(reader.pending_stats().batch, GetParam() != HashMapRead::KeyWalk)
          << "this kernel has batch ops (Linux >= 5.6): Auto must use them";
      return true;
    });
    churn_ops = churn.ops();
  }

  std::printf(
      "%s: %d samples of %u stable + ~%u churning entries while %llu inserts+deletes ran; "
      "%llu keys met again and dropped by the reader\n",
      method_name(GetParam()), samples, kStableEntries, kChurnKeys / 2,
      (unsigned long long)churn_ops, (unsigned long long)repeated);
  // The other thread really changed the map while samples were read.
  EXPECT_GT(churn_ops, uint64_t(samples));
  EXPECT_EQ(duplicates, 0u) << "entries counted twice (first in sample " << bad_sample << ")";
  EXPECT_EQ(missing, 0u) << "entries that lived through the read missed (first in sample "
                         << bad_sample << ")";
  EXPECT_EQ(wrong_values, 0u) << "entries with values they never had";
}

TEST_P(MapChurnTest, PerCpuTotalsHoldEachInstanceOnceSummedOverCpus) {
  // The BPF side gives each instance a slot of the per-CPU totals array
  // (instance_slots); the churn adds and removes instances' slots while the
  // slots' values stay (the reader must still name each instance once).
  constexpr uint32_t kStableInstances = 1000, kChurnInstances = 1000;
  const int created = create_map(BPF_MAP_TYPE_PERCPU_ARRAY, "rw_churn_pc", sizeof(uint32_t),
                                 sizeof(rw_instance_totals), kStableInstances + kChurnInstances);
  if (created < 0) {
    GTEST_SKIP() << "SKIPPED: bpf_map_create: " << std::strerror(-created);
  }
  UniqueFd map(created);
  const int slots_created = create_map(BPF_MAP_TYPE_HASH, "rw_churn_slots", sizeof(uint64_t),
                                       sizeof(uint32_t), 4096);
  ASSERT_GE(slots_created, 0) << std::strerror(-slots_created);
  UniqueFd slots(slots_created);
  const int cpus = libbpf_num_possible_cpus();
  ASSERT_GT(cpus, 0);
  // One rw_instance_totals per possible CPU (96 bytes: already 8-aligned).
  std::vector<rw_instance_totals> per_cpu(static_cast<size_t>(cpus));
  for (int c = 0; c < cpus; c++) per_cpu[size_t(c)].enqueued_objects = 1;
  for (uint32_t i = 0; i < kStableInstances; i++) {
    const uint64_t k = kStable + i;
    ASSERT_EQ(bpf_map_update_elem(map.get(), &i, per_cpu.data(), BPF_ANY), 0);
    ASSERT_EQ(bpf_map_update_elem(slots.get(), &k, &i, BPF_NOEXIST), 0);
  }
  for (auto& t : per_cpu) t.enqueued_objects = 1000;
  for (uint32_t i = kStableInstances; i < kStableInstances + kChurnInstances; i++)
    ASSERT_EQ(bpf_map_update_elem(map.get(), &i, per_cpu.data(), BPF_ANY), 0);

  SampleMaps maps;
  maps.instance_slots = slots.get();
  maps.totals = map.get();
  MapReader reader(maps, GetParam());
  uint64_t duplicates = 0, missing = 0, wrong_values = 0;
  int samples = 0;
  {
    Churn churn([fd = slots.get()](uint64_t n) {
      const uint64_t i = n % kChurnInstances;
      const uint64_t in = kChurn + i;
      const uint32_t slot = kStableInstances + uint32_t(i);
      bpf_map_update_elem(fd, &in, &slot, BPF_ANY);
      const uint64_t out = kChurn + (i + kChurnInstances / 2) % kChurnInstances;
      bpf_map_delete_elem(fd, &out);
    });
    samples = read_samples_while(reader, [&](const Sample& s, int) {
      std::map<uint64_t, int> seen;
      for (const auto& e : s.instances) {
        if (++seen[e.instance] > 1) duplicates++;
        const bool stable = e.instance >= kStable && e.instance < kStable + kStableInstances;
        const uint64_t want = stable ? uint64_t(cpus) : 1000 * uint64_t(cpus);
        if (e.totals.enqueued_objects != want || e.totals.dequeued_objects != 0) wrong_values++;
      }
      for (uint32_t i = 0; i < kStableInstances; i++) missing += seen.count(kStable + i) ? 0 : 1;
      return true;
    });
  }
  std::printf("%s, per-CPU totals array (%d CPUs): %d samples\n", method_name(GetParam()), cpus, samples);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(wrong_values, 0u);
}

INSTANTIATE_TEST_SUITE_P(Reads, MapChurnTest,
                         ::testing::Values(HashMapRead::Auto, HashMapRead::KeyWalk),
                         [](const auto& info) {
                           return info.param == HashMapRead::KeyWalk ? "KeyWalkFallback"
                                                                     : "BatchOps";
                         });

}  // namespace
}  // namespace rcuwatch
