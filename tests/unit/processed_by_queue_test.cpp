// ProcessedByQueue against a std::map of the same events: interval after
// interval, queues first seen in any order (before, between and after the
// known ones), each queue's count now and at the end of the last interval,
// in key order.
#include "processed_by_queue.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace rcuwatch {
namespace {

TEST(ProcessedByQueue, MatchesAMapOfTheSameEventsIntervalAfterInterval) {
  std::mt19937_64 rng(5);
  ProcessedByQueue q;
  std::map<ProcessedByQueue::Key, uint64_t> want, before;
  for (int interval = 0; interval < 8; interval++) {
    SCOPED_TRACE(interval);
    // Few queues at first, then more of them: new ones land anywhere in key order.
    const uint32_t queues = interval < 4 ? 6 : 300;
    const int events = interval == 5 ? 0 : 500;
    for (int e = 0; e < events; e++) {
      const ProcessedByQueue::Key key{0xffff888000000000ull + (rng() % 7) * 0x1000,
                                      uint32_t(rng() % queues)};
      const uint64_t objects = 1 + rng() % 50;
      q.add(key, objects);
      want[key] += objects;
    }
    q.sort();
    ASSERT_EQ(q.size(), want.size());
    size_t i = 0;
    for (const auto& [key, objects] : want) {
      EXPECT_EQ(q.key(i), key);
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

}  // namespace
}  // namespace rcuwatch
