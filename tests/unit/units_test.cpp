#include "units.hpp"

#include <gtest/gtest.h>

namespace rcuwatch {
namespace {

TEST(FormatBytes, UsesBinaryUnitsWithThreeSignificantDigits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(12 * 1024 * 1024 + 300 * 1024), "12.3 MiB");
  EXPECT_EQ(format_bytes(int64_t{123} << 20), "123 MiB");
  EXPECT_EQ(format_bytes(int64_t{3} << 30), "3.00 GiB");
}

TEST(FormatBytes, RoundsUpIntoTheNextUnitInsteadOf1024) {
  EXPECT_EQ(format_bytes(1024 * 1024 - 1), "1.00 MiB");
}

TEST(FormatBytes, KeepsTheSignOfNegativeValues) { EXPECT_EQ(format_bytes(-2048), "-2.00 KiB"); }

TEST(FormatBytesRate, ShowsTheDirectionOfChange) {
  EXPECT_EQ(format_bytes_rate(0), "0 B/s");
  EXPECT_EQ(format_bytes_rate(0.3), "0 B/s");
  EXPECT_EQ(format_bytes_rate(512), "+512 B/s");
  EXPECT_EQ(format_bytes_rate(-1.5 * 1024 * 1024), "-1.50 MiB/s");
}

TEST(FormatBytesPerSec, IsAnUnsignedFlow) {
  EXPECT_EQ(format_bytes_per_sec(0), "0 B/s");
  EXPECT_EQ(format_bytes_per_sec(43008), "42.0 KiB/s");
}

TEST(FormatCount, StaysNarrow) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1234), "1.2k");
  EXPECT_EQ(format_count(12'345'678), "12.3M");
  EXPECT_EQ(format_count(2.4), "2");
}

TEST(FormatDuration, PicksTheUnitAPersonReads) {
  EXPECT_EQ(format_duration_ns(0), "-");
  EXPECT_EQ(format_duration_ns(850'000), "850us");
  EXPECT_EQ(format_duration_ns(12'340'000), "12.3ms");
  EXPECT_EQ(format_duration_ns(250'000'000), "250ms");
  EXPECT_EQ(format_duration_ns(1'234'000'000), "1.23s");
  EXPECT_EQ(format_duration_ns(42'000'000'000), "42.0s");
  EXPECT_EQ(format_duration_ns(125'000'000'000), "2m05s");
  EXPECT_EQ(format_duration_ns(3'720'000'000'000), "1h02m");
}

TEST(FormatSeconds, PrintsTheIntervalAsTyped) {
  EXPECT_EQ(format_seconds(1), "1s");
  EXPECT_EQ(format_seconds(0.5), "0.5s");
}

TEST(FormatPercent, IsEmptyForALiveSource) {
  EXPECT_EQ(format_percent(-1), "");
  EXPECT_EQ(format_percent(0.456), "46%");
  EXPECT_EQ(format_percent(1), "100%");
}

}  // namespace
}  // namespace rcuwatch
