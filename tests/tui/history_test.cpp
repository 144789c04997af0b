#include "history.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rcuwatch::tui {
namespace {

TEST(PendingHistory, KeepsOnlyTheNewestPointsWithinCapacity) {
  PendingHistory history(3);
  for (int64_t i = 1; i <= 5; ++i) history.add({static_cast<uint64_t>(i) * 1'000'000'000, i * 100});
  EXPECT_EQ(history.points().size(), 3u);
  EXPECT_EQ(history.latest_bytes(10), (std::vector<int64_t>{300, 400, 500}));
  EXPECT_EQ(history.latest_bytes(2), (std::vector<int64_t>{400, 500}));
  EXPECT_EQ(history.span_ns(3), 2'000'000'000u);
  EXPECT_EQ(history.span_ns(1), 0u);
}

// A remote exporter restarted (or any source that starts over) sends times
// from its start again: the points before are another stream's.
TEST(PendingHistory, StartsAfreshWhenTimeGoesBack) {
  PendingHistory history;
  for (uint64_t t : {1, 2, 3, 3}) history.add({t * 1'000'000'000, int64_t(t)});
  EXPECT_EQ(history.points().size(), 4u);  // equal times are kept
  history.add({1'000'000'000, 7});
  EXPECT_EQ(history.latest_bytes(10), (std::vector<int64_t>{7}));
  history.add({2'000'000'000, 8});
  EXPECT_EQ(history.latest_bytes(10), (std::vector<int64_t>{7, 8}));
}

TEST(Sparkline, ScalesFromZeroToTheMaximum) {
  const std::vector<int64_t> values{0, 1, 50, 100};
  EXPECT_EQ(sparkline(values, false), "._+@");
  EXPECT_EQ(sparkline(values, true), "▁▂▅█");
}

TEST(Sparkline, AllZeroIsAFlatBaseline) {
  const std::vector<int64_t> values{0, 0, 0};
  EXPECT_EQ(sparkline(values, false), "...");
}

TEST(Sparkline, EmptyHistoryIsEmpty) { EXPECT_EQ(sparkline({}, true), ""); }

}  // namespace
}  // namespace rcuwatch::tui
