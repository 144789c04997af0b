#include "layout.hpp"

#include <gtest/gtest.h>

#include "detectors.hpp"
#include "snapshots.hpp"

namespace rcuwatch::tui {
namespace {

using rcuwatch::test::demo_snapshot;
using rcuwatch::test::kSecond;

struct Fixture {
  Snapshot snapshot = demo_snapshot();
  PendingHistory history;
  ViewState view = initial_view_state(TableKind::Seqs, std::nullopt, false, 1.0);
  Thresholds thresholds;

  ScreenInput input() {
    return ScreenInput{&snapshot, &history, &view, &thresholds, "t+5.0s", false, "", false};
  }
};

std::vector<std::string> plain(const Frame& frame) {
  std::vector<std::string> lines;
  for (const Line& line : frame) lines.push_back(line.plain());
  return lines;
}

TEST(Header, SummarisesTheSnapshot) {
  Fixture f;
  const auto lines = plain(compose_batch(f.input()));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0],
            "rcuwatch top - t+5.0s  replay demo.rwrec 50%  4 CPUs  interval 1.00s recorded");
  EXPECT_EQ(lines[1],
            "Pending: 20.0 MiB in 3000 objects, +1.00 MiB/s, oldest 12.0s, list fallbacks 2 "
            "(40 objects)");
  EXPECT_EQ(lines[2],
            "Objects/s: enqueued 0 (0 B/s), processed 1.5k (3.00 MiB/s), dequeued 0 (0 B/s)");
  EXPECT_EQ(lines[3], "GP rcu: 12.5/s, last took 25.1ms, last ended 100ms ago");
  EXPECT_EQ(lines[4],
            "Dropped: 0 events, 0 objects not per seq (map full), 0 process mismatches, 0 "
            "untracked objects");
}

TEST(Header, OneHighlightedLinePerFiringDetector) {
  Fixture f;
  f.snapshot.instances[1].srcu = 0x9000;  // btree_key_cache
  f.snapshot.grace_periods = {test::grace_period("rcu", 0, 2 * kSecond),
                              test::grace_period("my_srcu", 0x9000, 5 * kSecond)};
  DetectorLimits limits;
  limits.stranded_for_ns = 0;
  DetectorSet detectors(limits);
  f.snapshot.detections = detectors.evaluate(f.snapshot);
  const Frame frame = compose_batch(f.input());
  const auto lines = plain(frame);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[1],
            "FIRING stranded_bytes: 1.00 MiB pending >= 1.00s (limit 1.00 MiB) for 0s: "
            "btree_key_cache 1.00 MiB (srcu my_srcu, gp-elapsed)");
  // Both flavors run too long: the longer is described, the other counted.
  EXPECT_EQ(lines[2],
            "FIRING gp_too_long: grace period my_srcu running for 5.00s (limit 1.00s); waiting on "
            "it: btree_key_cache 4.00 KiB  (+1 more)");
  for (const Span& span : frame[1].spans) EXPECT_EQ(span.style, Style::Crit);
  for (const Span& span : frame[2].spans) EXPECT_EQ(span.style, Style::Crit);
  EXPECT_EQ(lines[3].rfind("Pending: ", 0), 0u);
}

TEST(Header, NoDetectorLineWhileNoneFires) {
  Fixture f;
  f.snapshot.detections = DetectorSet{}.evaluate(f.snapshot);  // 1.00 MiB: not held 2 s yet
  const auto lines = plain(compose_batch(f.input()));
  EXPECT_EQ(lines[1].rfind("Pending: ", 0), 0u);
  for (const auto& line : lines) EXPECT_EQ(line.find("FIRING"), std::string::npos) << line;
}

TEST(Header, HighlightsDroppedEvents) {
  Fixture f;
  f.snapshot.losses.ringbuf_drops = 3;
  const Frame frame = compose_batch(f.input());
  const Line& losses = frame[4];
  EXPECT_EQ(losses.spans[1].text, "3 events");
  EXPECT_EQ(losses.spans[1].style, Style::Crit);
  EXPECT_EQ(losses.spans[3].style, Style::Normal);
}

// --connect: intervals the exporter let go before the viewer fetched them
// are named on the Dropped line only when there are some.
TEST(Header, NamesIntervalsNotFetched) {
  Fixture f;
  const std::string quiet = plain(compose_batch(f.input()))[4];
  EXPECT_EQ(quiet.find("not fetched"), std::string::npos) << quiet;
  f.snapshot.losses.ticks_missed = 79;
  const Frame frame = compose_batch(f.input());
  const Line& losses = frame[4];
  EXPECT_EQ(losses.spans.back().text, "79 intervals not fetched");
  EXPECT_EQ(losses.spans.back().style, Style::Crit);
}

TEST(Header, LiveShowsTheRefreshInterval) {
  Fixture f;
  f.snapshot.source = "live 6.12.117";
  f.snapshot.source_progress = -1;
  f.view.delay_seconds = 2.5;
  EXPECT_EQ(plain(compose_batch(f.input()))[0],
            "rcuwatch top - t+5.0s  live 6.12.117  4 CPUs  interval 2.5s");
}

// A remote exporter paces the snapshots: their interval, not -d's; and a
// target gone is said in the title.
TEST(Header, RemoteShowsTheExportersIntervalAndWhenDisconnected) {
  Fixture f;
  f.snapshot.source = "http://host:9640 (host: live 6.12.117)";
  f.snapshot.source_progress = -1;
  f.snapshot.interval_ns = 500'000'000;
  f.view.delay_seconds = 2.5;
  ScreenInput input = f.input();
  input.paced_by_source = true;
  EXPECT_EQ(plain(compose_batch(input))[0],
            "rcuwatch top - t+5.0s  http://host:9640 (host: live 6.12.117)  4 CPUs  interval "
            "500ms remote");
  input.source_problem = "Connection refused";
  EXPECT_EQ(plain(compose_batch(input))[0],
            "rcuwatch top - t+5.0s  DISCONNECTED (Connection refused), retrying  "
            "http://host:9640 (host: live 6.12.117)  4 CPUs  interval 500ms remote");
}

TEST(Header, ShowsPauseAndTheEndOfARecording) {
  Fixture f;
  f.view.paused = true;
  ScreenInput input = f.input();
  input.finished = true;
  const auto lines = plain(compose_screen(input, {120, 40}).frame);
  EXPECT_NE(lines[0].find("PAUSED"), std::string::npos);
  EXPECT_NE(lines[0].find("END OF RECORDING"), std::string::npos);
}

TEST(Header, ClockIsTheRecordingPositionOnReplayAndWallClockLive) {
  Snapshot s = demo_snapshot();
  EXPECT_EQ(clock_label(s, 40 * kSecond, 0), "t+10.0s");
  s.source_progress = -1;
  const std::string wall = clock_label(s, 0, 0);
  EXPECT_EQ(wall.size(), 8u);  // HH:MM:SS in local time
  EXPECT_EQ(wall[2], ':');
}

TEST(Screen, FillsTheTerminalExactlyWithTheKeyLineLast) {
  Fixture f;
  for (uint64_t i = 0; i < 5; ++i) f.history.add({i * kSecond, static_cast<int64_t>(i) << 20});
  const ScreenFrame screen = compose_screen(f.input(), {100, 30});
  ASSERT_EQ(screen.frame.size(), 30u);
  for (const Line& line : screen.frame) EXPECT_LE(line.width(), 100u);
  EXPECT_EQ(screen.frame.back().width(), 100u);  // the bar spans the line
  EXPECT_EQ(screen.frame.back().plain().rfind("q quit", 0), 0u);
  const auto lines = plain(screen.frame);
  EXPECT_EQ(lines[5].rfind("History (4.00s): .-+#@  now 4.00 MiB, max 4.00 MiB", 0), 0u);
  EXPECT_EQ(lines[7], "Seqs: rows 1-3 of 3, sorted by AGE desc");
  // 30 lines - 5 header - history - blank - title - column header - key line.
  EXPECT_EQ(screen.page_rows, 20u);
}

TEST(Screen, ShowsOnlyAPageOfRows) {
  Fixture f;
  f.snapshot.cpus.clear();
  for (uint32_t cpu = 0; cpu < 256; ++cpu) f.snapshot.cpus.push_back(CpuRow{cpu, 1, 64, 0, 1});
  f.view.table = TableKind::Cpus;
  f.view.first_row = 250;
  const ScreenFrame screen = compose_screen(f.input(), {80, 24});
  EXPECT_EQ(screen.frame.size(), 24u);
  EXPECT_EQ(screen.page_rows, 14u);
  EXPECT_EQ(screen.first_row, 242u);  // clamped to the last page
}

TEST(Screen, SaysWhenTheTerminalIsTooSmall) {
  Fixture f;
  const auto lines = plain(compose_screen(f.input(), {40, 10}).frame);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "Terminal too small");
  EXPECT_EQ(lines[1], "40x10, need 60x14");
}

TEST(Screen, PromptReplacesTheKeyLine) {
  Fixture f;
  f.view.prompt = Prompt::Filter;
  f.view.prompt_text = "btr";
  const ScreenFrame screen = compose_screen(f.input(), {120, 40});
  EXPECT_EQ(screen.frame.back().plain().rfind(
                "Filter (instance, cpu, seq; Enter keeps, Esc clears): btr_", 0),
            0u);
}

TEST(Screen, HelpListsTheKeys) {
  Fixture f;
  f.view.help = true;
  const auto lines = plain(compose_screen(f.input(), {100, 30}).frame);
  EXPECT_EQ(lines[0], "rcuwatch top - help");
  bool found_quit = false;
  for (const std::string& line : lines) found_quit |= line.rfind("q ", 0) == 0;
  EXPECT_TRUE(found_quit);
}

TEST(Screen, WaitsForTheFirstSample) {
  Fixture f;
  ScreenInput input = f.input();
  input.snapshot = nullptr;
  const auto lines = plain(compose_screen(input, {80, 24}).frame);
  EXPECT_EQ(lines[1], "Waiting for the first sample...");
}

TEST(Batch, PrintsEveryRowOfTheCurrentTable) {
  Fixture f;
  f.view.table = TableKind::Instances;
  const auto lines = plain(compose_batch(f.input()));
  ASSERT_EQ(lines.size(), 5u + 1 + 2 + 2);
  EXPECT_EQ(lines[5], "");
  EXPECT_EQ(lines[6], "Instances: rows 1-2 of 2, sorted by PENDING desc");
  EXPECT_EQ(lines[8].rfind("kvfree ", 0), 0u);
  EXPECT_EQ(lines[9].rfind("btree_key_cache ", 0), 0u);
}

TEST(FitToWidth, NeverSplitsAUtf8Glyph) {
  Frame frame{Line{}.add("ab▁▂▃", Style::Normal)};
  fit_to_width(frame, 3);
  EXPECT_EQ(frame[0].plain(), "ab▁");
}

}  // namespace
}  // namespace rcuwatch::tui
