#include "stat_format.hpp"

#include <gtest/gtest.h>

#include "detectors.hpp"
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

TEST(StatFormat, FiringDetectorsCountedThenNamed) {
  Snapshot s;
  s.time_ns = 3'000'000'000;
  s.grace_periods = {test::grace_period("my_srcu", 0x9000, 4'000'000'000)};
  s.losses.ringbuf_drops = 1;
  s.detections = DetectorSet{}.evaluate(s);
  const std::string line = stat_line(s);
  const std::string header = stat_header();
  EXPECT_EQ(header.substr(header.size() - 7), " firing");
  EXPECT_EQ(line.substr(header.size() - 7), "      2  gp_too_long:my_srcu losses") << line;
  Snapshot quiet;
  quiet.detections = DetectorSet{}.evaluate(quiet);
  EXPECT_EQ(stat_line(quiet).size(), header.size());
  EXPECT_EQ(stat_line(quiet).back(), '0');

  auto j = to_json(s)["detectors"];
  ASSERT_EQ(j["firing"].size(), 2u);
  EXPECT_EQ(j["firing"][0]["detector"], "gp_too_long");
  EXPECT_EQ(j["firing"][0]["subject"]["name"], "my_srcu");
  EXPECT_EQ(j["firing"][0]["subject"]["kind"], "grace_period");
  EXPECT_EQ(j["firing"][0]["value"], 4e9);
  EXPECT_EQ(j["firing"][0]["episode"]["onset_ns"], 3'000'000'000u);
  EXPECT_EQ(j["episodes"].size(), 2u);
  EXPECT_EQ(j["ended"].size(), 0u);
}

}  // namespace
}  // namespace rcuwatch
