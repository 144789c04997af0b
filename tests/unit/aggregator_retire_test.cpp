// Instances that disappear (a module unloaded: the kernel has no event for
// rcu_pending_exit()) retire from the snapshot after Aggregator's retire
// time instead of staying forever; their lifetime counters stay in the
// totals, and they come back when they move again.
#include <gtest/gtest.h>

#include "aggregator.hpp"
#include "samples.hpp"

namespace rcuwatch {
namespace {

constexpr uint64_t A = 0x1000, B = 0x2000, S = 0x9000;
constexpr uint64_t kSec = 1'000'000'000;

const SourceInfo kInfo{"test", "6.12", 2, {}};

Tick at(uint64_t seconds, uint64_t b_enqueued, bool a_pending) {
  Tick t;
  t.sample.time_ns = seconds * kSec;
  t.sample.instances = {test::instance(A, S, 3, 10, 1000, a_pending ? 8 : 10, 800),
                        test::instance(B, 0, 3, b_enqueued, b_enqueued * 10, b_enqueued, 0)};
  if (a_pending) t.sample.pending = {test::pending(A, 4, 1, RW_WHERE_RADIX, 2, 200, 1)};
  GpEntry srcu;
  srcu.key = S;
  srcu.stats.completed = a_pending ? 1 : 2;
  srcu.stats.started = 2;
  GpEntry rcu;
  rcu.stats.completed = seconds;  // RCU keeps completing
  t.sample.grace_periods = {rcu, srcu};
  return t;
}

bool has_instance(const Snapshot& s, uint64_t addr) {
  for (const auto& i : s.instances)
    if (i.instance == addr) return true;
  return false;
}
bool has_flavor(const Snapshot& s, uint64_t key) {
  for (const auto& g : s.grace_periods)
    if (g.key == key) return true;
  return false;
}

TEST(AggregatorRetire, GoneInstancesRetireAndTheirCountersStayInTheTotals) {
  Aggregator agg(60 * kSec);
  // t=0..10: A holds 2 objects, B is busy.
  for (uint64_t t = 0; t <= 10; t++) agg.update(at(t, 100 + t, true), kInfo, {});
  // A's module unloaded at t=11: its objects processed, nothing moves again.
  Snapshot s;
  for (uint64_t t = 11; t <= 70; t++) {
    s = agg.update(at(t, 100 + t, false), kInfo, {});
    ASSERT_TRUE(has_instance(s, A)) << "retired early, at t=" << t;
    EXPECT_GE(s.totals.pending_objects, 0);
  }
  s = agg.update(at(71, 171, false), kInfo, {});
  EXPECT_FALSE(has_instance(s, A)) << "60 s after it last moved";
  EXPECT_FALSE(has_flavor(s, S)) << "its SRCU flavor, used by nothing left";
  EXPECT_TRUE(has_flavor(s, 0)) << "RCU never retires";
  EXPECT_TRUE(has_instance(s, B));
  EXPECT_EQ(s.totals.enqueued.objects.total, 10u + 171u) << "A's lifetime counters stay";
  EXPECT_EQ(s.totals.pending_objects, 0);
  // A moves again (an address reused, or it was only idle): it is back.
  Tick back = at(72, 172, true);
  back.sample.instances[0].totals.enqueued_objects = 11;
  s = agg.update(back, kInfo, {});
  EXPECT_TRUE(has_instance(s, A));
  EXPECT_TRUE(has_flavor(s, S));
}

TEST(AggregatorRetire, AnIdleInstanceWithPendingObjectsNeverRetires) {
  Aggregator agg(60 * kSec);
  Snapshot s;
  for (uint64_t t = 0; t <= 200; t += 10) s = agg.update(at(t, 100, true), kInfo, {});
  EXPECT_TRUE(has_instance(s, A)) << "stranded memory is what rcuwatch is for";
  EXPECT_FALSE(has_instance(s, B)) << "B stopped moving at t=0 and holds nothing";
}

}  // namespace
}  // namespace rcuwatch
