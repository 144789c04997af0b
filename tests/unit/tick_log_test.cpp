// The exporter's last ticks as a recording (TickLog), read back by the
// ordinary RecordingReader as a remote viewer does.
#include "tick_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "remote_source.hpp"
#include "samples.hpp"

namespace rcuwatch {
namespace {

namespace fs = std::filesystem;

RecordingHeader header() {
  RecordingHeader h;
  h.kernel_release = "6.12.117";
  h.nr_cpus = 4;
  h.names = {{0x1000, "first"}};
  return h;
}

Tick tick(uint64_t t_ns, size_t entries = 1) {
  Tick t;
  t.sample.time_ns = t_ns;
  for (size_t i = 0; i < entries; i++)
    t.sample.pending.push_back(test::pending(0x1000, 8 + i, 1, RW_WHERE_RADIX, 2, 128, t_ns - 5));
  t.sample.instances = {test::instance(0x1000, 0, 0xffffffff81000000, 3, 192, 1, 64)};
  return t;
}

// What a viewer reads from a slice.
struct Read {
  RecordingHeader header;
  std::vector<Record> records;
};

Read read(const std::string& bytes) {
  const fs::path path =
      fs::temp_directory_path() / ("rcuwatch-ticklog-" + std::to_string(getpid()));
  std::ofstream(path, std::ios::binary) << bytes;
  RecordingReader reader(path.string());
  Read r{reader.header(), {}};
  while (auto rec = reader.next()) r.records.push_back(std::move(*rec));
  fs::remove(path);
  return r;
}

TEST(TickLog, TicksAfterANumberAsARecording) {
  TickLog log(header(), {});
  log.append({}, {}, tick(1000));
  log.append({{0x2000, "second"}}, {}, tick(2000));
  log.append({}, {}, tick(3000));

  TickLog::Slice all = log.after(0);
  EXPECT_EQ(all.first, 1u);
  EXPECT_EQ(all.last, 3u);
  EXPECT_EQ(all.newest, 3u);
  EXPECT_FALSE(all.ended);
  Read r = read(all.recording);
  EXPECT_EQ(r.header.kernel_release, "6.12.117");
  EXPECT_EQ(r.header.nr_cpus, 4u);
  EXPECT_EQ(r.header.names, (SymbolNames{{0x1000, "first"}}));
  ASSERT_EQ(r.records.size(), 4u);  // tick, names, tick, tick
  EXPECT_EQ(std::get<Tick>(r.records[0]).sample.time_ns, 1000u);
  EXPECT_EQ(std::get<SymbolNames>(r.records[1]), (SymbolNames{{0x2000, "second"}}));
  EXPECT_EQ(std::get<Tick>(r.records[2]).sample.time_ns, 2000u);
  EXPECT_EQ(std::get<Tick>(r.records[2]).sample.pending.size(), 1u);

  // After tick 2: its names are in the header, which says what was known.
  TickLog::Slice later = log.after(2);
  EXPECT_EQ(later.first, 3u);
  EXPECT_EQ(later.last, 3u);
  r = read(later.recording);
  EXPECT_EQ(r.header.names, (SymbolNames{{0x1000, "first"}, {0x2000, "second"}}));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(std::get<Tick>(r.records[0]).sample.time_ns, 3000u);

  // Nothing new: a recording without records.
  TickLog::Slice none = log.after(3);
  EXPECT_EQ(none.first, 0u);
  EXPECT_EQ(none.newest, 3u);
  EXPECT_TRUE(read(none.recording).records.empty());

  log.mark_ended();
  EXPECT_TRUE(log.after(3).ended);
}

TEST(TickLog, BoundedInTicksAndBytesKeepingWhatTheyNamed) {
  TickLog log(header(), {3, size_t{1} << 20});
  for (uint64_t i = 1; i <= 10; i++)
    log.append(i == 2 ? SymbolNames{{0x2000, "named at 2"}} : SymbolNames{}, {}, tick(i * 1000));
  TickLog::Slice s = log.after(0);
  EXPECT_EQ(s.first, 8u);
  EXPECT_EQ(s.last, 10u);
  EXPECT_EQ(read(s.recording).header.names.at(0x2000), "named at 2");

  // One tick larger than the byte limit is still kept while a viewer
  // follows: the newest always is.
  TickLog big(header(), {100, 4096});
  big.after(0);
  big.append({}, {}, tick(1000, 10));
  big.append({}, {}, tick(2000, 1000));
  s = big.after(0);
  EXPECT_EQ(s.first, 2u);
  EXPECT_EQ(s.last, 2u);
  EXPECT_EQ(std::get<Tick>(read(s.recording).records.at(0)).sample.pending.size(), 1000u);
}

// Call-site stacks travel with every slice, also once the tick that
// brought them is gone: a viewer that connects late still names them.
TEST(TickLog, EverySliceCarriesTheStacks) {
  TickLog log(header(), {2, size_t{16} << 20});
  log.append({}, {{7, {0xffffffff81000010, 0xffffffff81000020}}}, tick(1000));
  log.append({}, {}, tick(2000));
  log.append({}, {{9, {0xffffffffc0000030}}}, tick(3000));
  for (uint64_t after : {0u, 2u}) {
    Read r = read(log.after(after).recording);
    ASSERT_FALSE(r.records.empty());
    const auto* stacks = std::get_if<CallStacks>(&r.records.front());
    ASSERT_TRUE(stacks) << "after " << after;
    EXPECT_EQ(stacks->at(7), (std::vector<uint64_t>{0xffffffff81000010, 0xffffffff81000020}));
    EXPECT_EQ(stacks->at(9), (std::vector<uint64_t>{0xffffffffc0000030}));
  }
  Read none = read(TickLog(header(), {}).after(0).recording);
  EXPECT_TRUE(none.records.empty());  // no stacks, no STACKS record
}

// Nobody asked yet: only what fits idle_bytes is kept, the newest tick not
// excepted, and a tick too big for it is not kept at all (nor are the older
// ones: no gap). A request makes the log keep every tick again, until
// idle_ticks ticks pass without one.
TEST(TickLog, KeepsBigTicksOnlyWhileAViewerFollows) {
  TickLog::Limits limits;
  limits.idle_bytes = 8192;
  limits.idle_ticks = 2;
  limits.idle_time = {};
  TickLog small(header(), limits);
  for (uint64_t i = 1; i <= 50; i++) small.append({}, {}, tick(i * 1000, 1));
  TickLog::Slice s = small.after(0);
  EXPECT_EQ(s.last, 50u);
  EXPECT_GT(s.first, 1u);  // not all 50
  EXPECT_LE(s.recording.size(), 8192u + 1024u);
  const Read r = read(s.recording);
  EXPECT_EQ(r.records.size(), s.last - s.first + 1);

  TickLog big(header(), limits);
  big.append({}, {}, tick(1000, 1));                                 // small: kept
  big.append({{0x3000, "named while idle"}}, {}, tick(2000, 1000));  // too big: neither is kept
  s = big.after(0);
  EXPECT_EQ(s.first, 0u);
  EXPECT_EQ(s.newest, 2u);
  EXPECT_EQ(read(s.recording).header.names.at(0x3000), "named while idle");

  // Asked: the next ticks are kept, big or not...
  big.append({}, {}, tick(3000, 1000));
  big.append({}, {}, tick(4000, 1000));
  s = big.after(2);
  EXPECT_EQ(s.first, 3u);
  EXPECT_EQ(s.last, 4u);
  EXPECT_EQ(std::get<Tick>(read(s.recording).records.at(1)).sample.pending.size(), 1000u);
  // ...while the last request is at most idle_ticks ticks old.
  for (uint64_t i = 5; i <= 6; i++) big.append({}, {}, tick(i * 1000, 1000));
  EXPECT_EQ(big.after(4).last, 6u);
  for (uint64_t i = 7; i <= 9; i++) big.append({}, {}, tick(i * 1000, 1000));
  s = big.after(6);
  EXPECT_EQ(s.first, 0u);  // tick 9 came 3 ticks after the request: idle, none kept
  EXPECT_EQ(s.newest, 9u);
}

// The last tick of a source that ends is kept for viewers that come later,
// however big, though nobody asked.
TEST(TickLog, KeepsTheLastTickOfAnEndedSource) {
  TickLog::Limits limits;
  limits.idle_bytes = 8192;
  TickLog log(header(), limits);
  log.append({}, {}, tick(1000, 1000));
  log.append({}, {}, tick(2000, 1000), true);
  log.mark_ended();
  TickLog::Slice s = log.after(0);
  EXPECT_EQ(s.first, 2u);
  EXPECT_EQ(s.last, 2u);
  EXPECT_TRUE(s.ended);
  EXPECT_EQ(std::get<Tick>(read(s.recording).records.at(0)).sample.pending.size(), 1000u);
}

// A viewer that asked within idle_time follows, however many ticks passed.
TEST(TickLog, FollowedWithinIdleTime) {
  TickLog::Limits limits;
  limits.idle_bytes = 8192;
  limits.idle_ticks = 0;
  limits.idle_time = std::chrono::hours(1);
  TickLog log(header(), limits);
  log.after(0);
  for (uint64_t i = 1; i <= 10; i++) log.append({}, {}, tick(i * 1000, 1000));
  TickLog::Slice s = log.after(0);
  EXPECT_EQ(s.first, 1u);
  EXPECT_EQ(s.last, 10u);

  limits.idle_time = std::chrono::milliseconds(20);
  TickLog brief(header(), limits);
  brief.after(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  brief.append({}, {}, tick(1000, 1000));
  EXPECT_EQ(brief.after(0).first, 0u);
}

TEST(TickLog, StreamIdsDiffer) {
  EXPECT_NE(TickLog(header(), {}).stream_id(), TickLog(header(), {}).stream_id());
  EXPECT_EQ(TickLog(header(), {}).stream_id().size(), 16u);
}

TEST(RemoteSource, Urls) {
  std::string base, prefix;
  EXPECT_TRUE(parse_remote_url("http://127.0.0.1:9640", &base, &prefix));
  EXPECT_EQ(base, "http://127.0.0.1:9640");
  EXPECT_EQ(prefix, "");
  EXPECT_TRUE(parse_remote_url("https://host.example:443/rcuwatch/", &base, &prefix));
  EXPECT_EQ(base, "https://host.example:443");
  EXPECT_EQ(prefix, "/rcuwatch");
  EXPECT_TRUE(parse_remote_url("https://[::1]:9640", &base, &prefix));
  for (const char* bad : {"", "127.0.0.1:9640", "ftp://host", "http://", "http://u:p@host:1",
                          "http://host/path?query", "http://host with space"})
    EXPECT_FALSE(parse_remote_url(bad, &base, &prefix)) << bad;
}

}  // namespace
}  // namespace rcuwatch
