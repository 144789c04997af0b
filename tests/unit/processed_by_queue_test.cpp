// ProcessedByQueue against a std::map of the same events: interval after
// interval, queues first seen in any order (before, between and after the
// known ones), each queue's count now and at the end of the last interval,
// in key order. Queues on CPUs no kernel has, and a high CPU on each of
// many instances (kept apart from the arrays by CPU), are counted the same,
// also once their instance's array has grown to reach them.
#include "processed_by_queue.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "limits.hpp"

namespace rcuwatch {
namespace {

using Key = ProcessedByQueue::Key;

// Each interval's events from `next_key(interval, rng)`; interval 5 has none.
void check_against_a_map(const std::function<Key(int, std::mt19937_64&)>& next_key, int intervals,
                         int events_per_interval) {
  std::mt19937_64 rng(5);
  ProcessedByQueue q;
  std::map<Key, uint64_t> want, before;
  for (int interval = 0; interval < intervals; interval++) {
    SCOPED_TRACE(interval);
    const int events = interval == 5 ? 0 : events_per_interval;
    for (int e = 0; e < events; e++) {
      const Key key = next_key(interval, rng);
      const uint64_t objects = 1 + rng() % 50;
      q.add(key, objects);
      want[key] += objects;
    }
    q.sort();
    ASSERT_EQ(q.size(), want.size());
    size_t i = 0;
    for (const auto& [key, objects] : want) {
      ASSERT_EQ(q.key(i), key);
      EXPECT_EQ(q.objects(i), objects);
      const auto b = before.find(key);
      if (b == before.end()) {
        EXPECT_EQ(q.objects_before(i), nullptr);
      } else {
        ASSERT_NE(q.objects_before(i), nullptr);
        EXPECT_EQ(*q.objects_before(i), b->second);
      }
      i++;
    }
    q.next_interval();
    before = want;
  }
}

uint64_t instance(uint64_t i) { return 0xffff888000000000ull + i * 0x1000; }

TEST(ProcessedByQueue, MatchesAMapOfTheSameEventsIntervalAfterInterval) {
  check_against_a_map(
      [](int interval, std::mt19937_64& rng) {
        // Few queues at first, then more of them: new ones land anywhere in key order.
        const uint32_t cpus = interval < 4 ? 6 : 300;
        return Key{instance(rng() % 7), uint32_t(rng() % cpus)};
      },
      8, 500);
}

TEST(ProcessedByQueue, CpusBeyondAnyKernelAndSparseHighCpusAreCountedTheSame) {
  check_against_a_map(
      [](int interval, std::mt19937_64& rng) {
        switch (rng() % 4) {
          case 0:  // a CPU no kernel has
            return Key{instance(rng() % 5), limits::kMaxCpus + uint32_t(rng() % 3) * 1000};
          case 1:  // the highest CPU a kernel may have, on each of many instances
            return Key{instance(100 + rng() % 400), limits::kMaxCpus - 1};
          default:  // dense CPUs, more of them later: the arrays grow to reach
                    // queues first counted beyond them
            return Key{instance(rng() % 400 + (interval < 3 ? 100 : 0)),
                       uint32_t(rng() % (interval < 3 ? 64 : limits::kMaxCpus))};
        }
      },
      10, 3000);
}

}  // namespace
}  // namespace rcuwatch
