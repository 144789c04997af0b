#include "stat_format.hpp"

#include <gtest/gtest.h>

#include "snapshot_json.hpp"
#include "snapshots.hpp"

namespace rcuwatch {
namespace {

TEST(StatFormat, LineAndJsonCarryTheSnapshot) {
  Snapshot s;
  s.time_ns = 12'500'000'000;
  s.totals.pending_bytes = 4096;
  s.totals.pending_objects = 3;
  s.losses.ringbuf_drops = 2;
  s.instances.push_back(
      test::instance_row(0x10, "rpl_srcu_kvfree", Flavor::Srcu, Mode::Kvfree, 0, 4096, 0));
  std::string line = stat_line(s);
  EXPECT_NE(line.find(" 4096 "), std::string::npos) << line;
  EXPECT_NE(line.find("12.5"), std::string::npos) << line;
  EXPECT_EQ(line.size(), stat_header().size());
  auto j = to_json(s);
  EXPECT_EQ(j["totals"]["pending_bytes"], 4096);
  EXPECT_EQ(j["losses"]["ringbuf_drops"], 2);
  EXPECT_EQ(j["instances"][0]["name"], "rpl_srcu_kvfree");
  EXPECT_EQ(j["instances"][0]["flavor"], "srcu");
  EXPECT_EQ(j["instances"][0]["mode"], "kvfree");
  EXPECT_EQ(j["instances"][0]["instance"], "0x10");
}

}  // namespace
}  // namespace rcuwatch
