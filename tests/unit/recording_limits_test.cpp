// Crafted recordings (valid checksums, hostile contents) and extreme values:
// every one ends in one Error naming the byte offset, or in saturated sums,
// never in a crash, an out-of-bounds write or an unbounded allocation. The
// ASan/UBSan build of these tests (scripts/test.sh) is what proves "never".
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "aggregator.hpp"
#include "crafted_recording.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "recording.hpp"
#include "replay_source.hpp"
#include "samples.hpp"
#include "snapshot_stream.hpp"

namespace rcuwatch {
namespace {

namespace fs = std::filesystem;
using test::CraftedRecording;

constexpr uint64_t A = 0x1000;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

class RecordingLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("rcuwatch-limits-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove(path_); }

  // The error reading every record of `rec` ends in, "" if none.
  std::string read_error(const CraftedRecording& rec) {
    rec.write(path_);
    try {
      RecordingReader r(path_);
      while (r.next()) {
      }
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  // Expects `error` to name `offset` and contain `what`.
  static void expect_error(const std::string& error, uint64_t offset, const std::string& what) {
    EXPECT_NE(error.find("byte offset " + std::to_string(offset) + ":"), std::string::npos)
        << error;
    EXPECT_NE(error.find(what), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }

  static Tick tick_with(std::vector<PendingEntry> pending) {
    Tick t;
    t.sample.time_ns = 1'000'000;
    t.sample.pending = std::move(pending);
    t.sample.instances = {test::instance(A, 0, 0xffffffff81000000, 1, 64, 0, 0)};
    return t;
  }

  std::string path_;
};

// Issue 12, defect 1: cpu = 0xFFFFFFFF made `r.cpu + 1` wrap to 0 and
// Aggregator::update write past snap.cpus.
TEST_F(RecordingLimits, PendingEntryOnACpuBeyondTheHeaderIsCorruptAtItsOffset) {
  CraftedRecording rec(CraftedRecording::header_json(2));
  rec.tick(tick_with({test::pending(A, 8, 1, RW_WHERE_RADIX, 1, 64, 1),
                      test::pending(A, 8, 0xFFFFFFFF, RW_WHERE_RADIX, 1, 64, 1)}));
  // payload: time, stats, event count, pending count, one entry, then the second's cpu
  const uint64_t cpu_at = rec.payload_offset(0) + 8 + 8 * RW_STAT_NR + 4 + 4 +
                          sizeof(PendingEntry) + offsetof(rw_pending_key, cpu);
  expect_error(read_error(rec), cpu_at,
               "pending entry on CPU 4294967295, beyond the recording's 2 CPUs");

  CraftedRecording just_beyond(CraftedRecording::header_json(2));
  just_beyond.tick(tick_with({test::pending(A, 8, 2, RW_WHERE_RADIX, 1, 64, 1)}));
  EXPECT_NE(read_error(just_beyond).find("on CPU 2, beyond"), std::string::npos);
}

// A replay of it: the interval before the bad record is shown, then the
// error is kept for the command; no crash (ASan).
TEST_F(RecordingLimits, ReplayStopsAtTheBadRecordWithoutCrashing) {
  CraftedRecording rec(CraftedRecording::header_json(2));
  rec.tick(tick_with({test::pending(A, 8, 1, RW_WHERE_RADIX, 1, 64, 1)}));
  rec.tick(tick_with({test::pending(A, 8, 0xFFFFFFFF, RW_WHERE_RADIX, 1, 64, 1)}));
  rec.write(path_);
  StopFlag stop;
  SnapshotStream stream(std::make_unique<ReplaySource>(path_, 0), Interval(1000), stop);
  ASSERT_TRUE(stream.next());
  EXPECT_FALSE(stream.next());
  EXPECT_TRUE(stream.failed());
  EXPECT_NE(stream.error_message().find("beyond the recording's 2 CPUs"), std::string::npos);
}

// Live data reaches the aggregator without a reader's checks: it must be
// safe on its own, whatever the CPU number.
TEST_F(RecordingLimits, AggregatorNeverIndexesOrAllocatesPastItsCpuRows) {
  for (uint32_t cpu : {0xFFFFFFFFu, 100'000'000u, limits::kMaxCpus, 5u}) {
    Aggregator agg;
    const SourceInfo info{"live test", "6.12", 2, {}};
    Snapshot s = agg.update(tick_with({test::pending(A, 8, cpu, RW_WHERE_RADIX, 3, 300, 1),
                                       test::pending(A, 8, 1, RW_WHERE_RADIX, 1, 64, 1)}),
                            info, {});
    EXPECT_LE(s.cpus.size(), limits::kMaxCpus) << cpu;
    EXPECT_EQ(s.cpus.size(), s.nr_cpus) << cpu;
    EXPECT_EQ(s.totals.pending_bytes, 364) << cpu;  // counted, even without a CPU row
    EXPECT_EQ(s.cpus[1].bytes, 64) << cpu;
    if (cpu < limits::kMaxCpus) {
      EXPECT_EQ(s.cpus[cpu].bytes, 300) << cpu;
    }
  }
}

// Issue 12, defect 2: "names" nested 100000 arrays deep overflowed the stack.
TEST_F(RecordingLimits, DeeplyNestedHeaderJsonIsRefusedAtTheByteThatNestsTooDeep) {
  const size_t n = 100000;
  const std::string prefix = R"({"kernel_release":"x","nr_cpus":2,"names":)";
  CraftedRecording rec(prefix + std::string(n, '[') + std::string(n, ']') + "}");
  // depth 1 is the object itself: the array that reaches depth 9 is the 8th '['
  expect_error(read_error(rec),
               CraftedRecording::kJsonOffset + prefix.size() + limits::kMaxHeaderJsonDepth - 1,
               "nested deeper than 8 levels");
  // Brackets inside strings are text, not nesting.
  CraftedRecording in_string(
      CraftedRecording::header_json(2, R"(,"hostname":"[[[[[[[[[[[[[[[[[[[[[[\"[[[[")"));
  EXPECT_EQ(read_error(in_string), "");
}

// Issue 12, defect 3: nr_cpus, counts and lengths are checked before
// anything is allocated for them.
TEST_F(RecordingLimits, HeaderNumbersOutsideTheLimitsAreRefused) {
  for (const std::string cpus : {"4000000000", "0", "-1", "8193", "1e9", "\"2\"", "2.5"}) {
    CraftedRecording rec(R"({"kernel_release":"x","nr_cpus":)" + cpus + "}");
    expect_error(read_error(rec), CraftedRecording::kJsonOffset, "\"nr_cpus\"");
  }
  CraftedRecording ok(CraftedRecording::header_json(limits::kMaxCpus));
  EXPECT_EQ(read_error(ok), "");

  const std::string long_text(limits::kMaxHeaderStringBytes + 1, 'x');
  expect_error(
      read_error(CraftedRecording(R"({"kernel_release":")" + long_text + R"(","nr_cpus":2})")),
      CraftedRecording::kJsonOffset, "\"kernel_release\" is 257 bytes");
  expect_error(
      read_error(CraftedRecording(CraftedRecording::header_json(
          2, R"(,"names":{"0x10":")" + std::string(limits::kMaxNameBytes + 1, 'n') + R"("})"))),
      CraftedRecording::kJsonOffset, "not a string of at most 1024 bytes");
  expect_error(
      read_error(CraftedRecording(CraftedRecording::header_json(2, R"(,"names":{"zz":"n"})"))),
      CraftedRecording::kJsonOffset, "\"zz\" is not a hex address");
  expect_error(
      read_error(CraftedRecording(CraftedRecording::header_json(2, R"(,"attach":{"attached":7})"))),
      CraftedRecording::kJsonOffset, "\"attached\" is not a list");
  std::string items = R"("a")";
  for (int i = 1; i < 300; i++) items += R"(,"a")";
  expect_error(read_error(CraftedRecording(
                   CraftedRecording::header_json(2, R"(,"attach":{"missing":[)" + items + "]}"))),
               CraftedRecording::kJsonOffset, "\"missing\" has 300 items");
}

TEST_F(RecordingLimits, HeaderLengthBeyondTheLimitIsRefusedBeforeReadingIt) {
  // A 30-byte file announcing 64 MiB + 1 of JSON.
  std::string bytes = CraftedRecording("{}").bytes();
  const uint32_t huge = limits::kMaxHeaderJsonBytes + 1;
  std::memcpy(bytes.data() + 16, &huge, 4);
  std::ofstream(path_, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  try {
    RecordingReader r(path_);
    FAIL() << "accepted";
  } catch (const Error& e) {
    expect_error(e.what(), 16, "header length 67108865 beyond the limit");
  }
}

TEST_F(RecordingLimits, CountsBeyondTheLimitsAreRefusedAtTheCount) {
  const uint64_t events_at = 8 + 8 * RW_STAT_NR;  // in the TICK payload
  auto tick_with_count = [&](uint64_t count_at, uint32_t count) {
    std::string p = CraftedRecording::tick_payload(tick_with({}));
    std::memcpy(p.data() + count_at, &count, 4);
    CraftedRecording rec(CraftedRecording::header_json(2));
    rec.record(test::kRecordTick, p);
    return std::make_pair(rec, rec.payload_offset(0) + count_at);
  };
  {
    auto [rec, at] = tick_with_count(events_at, 0xFFFFFFFF);
    expect_error(read_error(rec), at, "4294967295 lifecycle events, more than the limit of");
  }
  {
    auto [rec, at] = tick_with_count(events_at + 4, limits::kMaxPendingEntries + 1);
    expect_error(read_error(rec), at, "pending entries, more than the limit of 4194304");
  }
  {
    auto [rec, at] = tick_with_count(events_at + 4, 1000);  // within the limit, not in the record
    expect_error(read_error(rec), at, "1000 pending entries do not fit in the record");
  }
  {
    const uint64_t instances_at = events_at + 8;
    auto [rec, at] = tick_with_count(instances_at, limits::kMaxInstances + 1);
    expect_error(read_error(rec), at, "instances, more than the limit of 65536");
  }
  // NAMES: a count beyond the limit, and a name longer than the limit.
  std::string names;
  const uint32_t too_many = limits::kMaxNames + 1;
  names.append(reinterpret_cast<const char*>(&too_many), 4);
  CraftedRecording rec(CraftedRecording::header_json(2));
  rec.record(test::kRecordNames, names);
  expect_error(read_error(rec), rec.payload_offset(0), "names, more than the limit of 262144");

  std::string long_name;
  const uint32_t one = 1;
  const uint64_t addr = 0x10;
  const uint16_t len = 2000;
  long_name.append(reinterpret_cast<const char*>(&one), 4);
  long_name.append(reinterpret_cast<const char*>(&addr), 8);
  long_name.append(reinterpret_cast<const char*>(&len), 2);
  long_name.append(len, 'n');
  CraftedRecording rec2(CraftedRecording::header_json(2));
  rec2.record(test::kRecordNames, long_name);
  expect_error(read_error(rec2), rec2.payload_offset(0) + 12,
               "name of 2000 bytes, more than the limit of 1024");
}

TEST_F(RecordingLimits, RecordLengthBeyondTheLimitIsRefusedBeforeReadingIt) {
  CraftedRecording rec(CraftedRecording::header_json(2));
  rec.record(test::kRecordTick, "");
  std::string bytes = rec.bytes();
  const uint32_t huge = limits::kMaxRecordPayload + 1;
  std::memcpy(bytes.data() + rec.record_offset(0) + 4, &huge, 4);
  std::ofstream(path_, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  RecordingReader r(path_);
  try {
    r.next();
    FAIL() << "accepted";
  } catch (const Error& e) {
    expect_error(e.what(), rec.record_offset(0), "beyond the limit of");
  }
}

// What the writer would be asked to record beyond the limits is an error,
// so that every recording rcuwatch writes is one it reads back.
TEST_F(RecordingLimits, WriterRefusesWhatNoReaderAccepts) {
  RecordingHeader h;
  h.kernel_release = "x";
  h.nr_cpus = 1;
  RecordingWriter w(path_, h);
  Tick t;
  t.events.resize(limits::kMaxEvents + 1);
  try {
    w.write_tick(t);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than the limit"), std::string::npos) << e.what();
  }
}

// Issue 12, defect 9: extreme int64 values made signed sums overflow (UBSan).
// They saturate instead; the ASan/UBSan build fails on any overflow left.
TEST_F(RecordingLimits, ExtremeValuesSaturateInsteadOfOverflowing) {
  Aggregator agg;
  const SourceInfo info{"test", "6.12", 4, {}};
  Tick t = tick_with({test::pending(A, 8, 0, RW_WHERE_RADIX, kMax, kMax, 1),
                      test::pending(A, 8, 1, RW_WHERE_LIST, kMax, kMax, 1),
                      test::pending(A, 9, 1, RW_WHERE_RADIX, kMax, kMax, 1),
                      test::pending(A + 1, 9, 2, RW_WHERE_RADIX, kMin, kMin, 1),
                      test::pending(A + 1, 9, 2, RW_WHERE_LIST, kMin, kMin, 1)});
  t.sample.time_ns = std::numeric_limits<uint64_t>::max();
  t.sample.instances[0].totals.enqueued_bytes = std::numeric_limits<uint64_t>::max();
  Snapshot s = agg.update(t, info, {});
  EXPECT_EQ(s.cpus[1].bytes, kMax);
  EXPECT_EQ(s.cpus[2].bytes, kMin);
  EXPECT_EQ(s.instances.front().pending_bytes, kMax);
  // Found by tests/fuzz: a histogram summing to ~2^64 made the percentile's
  // rank a double no uint64_t holds.
  DurationHistogram h;
  h.counts.fill(std::numeric_limits<uint64_t>::max() / 32);
  EXPECT_EQ(h.percentile(1.0).low_ns, DurationHistogram::bucket(31).low_ns);
  EXPECT_EQ(h.percentile(0.0).low_ns, 0u);
  Tick back = tick_with({test::pending(A + 1, 9, 3, RW_WHERE_RADIX, kMin, kMin, 1)});
  back.sample.time_ns = 1;  // time going backwards, counters too
  EXPECT_EQ(agg.update(back, info, {}).totals.pending_bytes, kMin);
  Tick later = back;
  later.sample.time_ns = 2;  // kMin to kMax in 1 ns: a finite rate
  later.sample.pending[0].val.bytes = kMax;
  EXPECT_GT(agg.update(later, info, {}).totals.pending_bytes_per_sec, 1e27);
}

}  // namespace
}  // namespace rcuwatch
