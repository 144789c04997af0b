#include "log_capture.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace rcuwatch::tui {
namespace {

TEST(LogCapture, HoldsLinesWhileTheScreenIsUpAndReplaysThemAfter) {
  std::ostringstream stderr_stand_in;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stderr_stand_in);
  sink->set_pattern("rcuwatch: %l: %v");
  auto previous = std::make_shared<spdlog::logger>("test", sink);
  spdlog::set_default_logger(previous);
  {
    LogCapture capture;
    EXPECT_EQ(capture.take_new_line(), "");
    spdlog::warn("ring buffer {} full", "events");
    EXPECT_EQ(capture.take_new_line(), "warning: ring buffer events full");
    EXPECT_EQ(capture.take_new_line(), "");  // shown once
    EXPECT_EQ(stderr_stand_in.str(), "");    // nothing drawn over the screen
  }
  EXPECT_EQ(stderr_stand_in.str(), "rcuwatch: warning: ring buffer events full\n");
  EXPECT_EQ(spdlog::default_logger(), previous);
}

}  // namespace
}  // namespace rcuwatch::tui
