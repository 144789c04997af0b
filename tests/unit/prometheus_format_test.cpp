#include "prometheus_format.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "detectors.hpp"
#include "exporter_command.hpp"
#include "snapshots.hpp"

namespace rcuwatch {
namespace {

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

Snapshot one_instance() {
  Snapshot s;
  s.index = 4;
  s.source = "replay run.rwrec";
  s.source_progress = 0.5;
  s.losses = {1, 2, 3, 4, 0, 0, 0, 5};  // drops, map full, mismatch, untracked, ..., events
  s.totals.list_fallbacks = 6;
  InstanceRow i = test::instance_row(0x10, "bch2_btree_node_free", Flavor::Srcu, Mode::Process, 3,
                                     4096, 1'500'000'000);
  i.enqueued.objects.total = 10;
  i.enqueued.bytes.total = 10240;
  i.processed.objects.total = 6;
  i.processed.bytes.total = 6000;
  i.dequeued.objects.total = 1;
  i.dequeued.bytes.total = 144;
  i.immediate_objects = 7;
  i.list_objects = 8;
  i.untracked_objects = 9;
  s.instances.push_back(i);
  s.cpus = {CpuRow{0, 3, 4096, 1'500'000'000, 1}, CpuRow{1, 0, 0, 0, 0}};
  s.seqs.push_back(test::seq_summary(0x10, "bch2_btree_node_free", 12, 3, 4096, 1'500'000'000, 1,
                                     SeqState::GracePeriodElapsed));
  return s;
}

// The whole text for a hand-built snapshot: the contract with dashboards.
TEST(PrometheusFormat, ExactTextOfASnapshot) {
  const Snapshot s = one_instance();
  const ExporterStatus status{"1.2.3", 7, 1700000000.25, true};
  EXPECT_EQ(
      prometheus_text(&s, status, PrometheusOptions{}),
      R"txt(# HELP rcuwatch_pending_bytes Bytes queued in rcu_pending, waiting for a grace period or to be processed.
# TYPE rcuwatch_pending_bytes gauge
rcuwatch_pending_bytes{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 4096
# HELP rcuwatch_pending_objects Objects queued in rcu_pending.
# TYPE rcuwatch_pending_objects gauge
rcuwatch_pending_objects{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 3
# HELP rcuwatch_oldest_pending_age_seconds Age of the oldest object still pending (0 when none is).
# TYPE rcuwatch_oldest_pending_age_seconds gauge
rcuwatch_oldest_pending_age_seconds{rcu_pending="bch2_btree_node_free"} 1.5
# HELP rcuwatch_enqueued_objects_total Objects enqueued.
# TYPE rcuwatch_enqueued_objects_total counter
rcuwatch_enqueued_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 10
# HELP rcuwatch_enqueued_bytes_total Bytes enqueued.
# TYPE rcuwatch_enqueued_bytes_total counter
rcuwatch_enqueued_bytes_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 10240
# HELP rcuwatch_processed_objects_total Objects processed (freed or handed to the process function) after their grace period.
# TYPE rcuwatch_processed_objects_total counter
rcuwatch_processed_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 6
# HELP rcuwatch_processed_bytes_total Bytes processed.
# TYPE rcuwatch_processed_bytes_total counter
rcuwatch_processed_bytes_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 6000
# HELP rcuwatch_dequeued_objects_total Objects taken back out of rcu_pending before being processed (rcu_pending_dequeue).
# TYPE rcuwatch_dequeued_objects_total counter
rcuwatch_dequeued_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 1
# HELP rcuwatch_dequeued_bytes_total Bytes dequeued.
# TYPE rcuwatch_dequeued_bytes_total counter
rcuwatch_dequeued_bytes_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 144
# HELP rcuwatch_immediate_objects_total Objects enqueued after their grace period had already elapsed: never pending.
# TYPE rcuwatch_immediate_objects_total counter
rcuwatch_immediate_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 7
# HELP rcuwatch_list_fallback_objects_total Objects enqueued on the list fallback (radix tree allocation failed).
# TYPE rcuwatch_list_fallback_objects_total counter
rcuwatch_list_fallback_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 8
# HELP rcuwatch_untracked_objects_total Objects seen leaving but never seen enqueued (attached late, or the pending map was full).
# TYPE rcuwatch_untracked_objects_total counter
rcuwatch_untracked_objects_total{rcu_pending="bch2_btree_node_free",flavor="srcu",mode="process"} 9
# HELP rcuwatch_cpu_pending_bytes Bytes pending in the rcu_pending per-CPU queues of this CPU.
# TYPE rcuwatch_cpu_pending_bytes gauge
rcuwatch_cpu_pending_bytes{cpu="0"} 4096
rcuwatch_cpu_pending_bytes{cpu="1"} 0
# HELP rcuwatch_cpu_pending_objects Objects pending on this CPU.
# TYPE rcuwatch_cpu_pending_objects gauge
rcuwatch_cpu_pending_objects{cpu="0"} 3
rcuwatch_cpu_pending_objects{cpu="1"} 0
# HELP rcuwatch_cpu_oldest_pending_age_seconds Age of the oldest object pending on this CPU (0 when none is).
# TYPE rcuwatch_cpu_oldest_pending_age_seconds gauge
rcuwatch_cpu_oldest_pending_age_seconds{cpu="0"} 1.5
rcuwatch_cpu_oldest_pending_age_seconds{cpu="1"} 0
# HELP rcuwatch_seq_pending_bytes Bytes pending per grace-period cookie (seq), for the oldest seqs only (--max-seq-series).
# TYPE rcuwatch_seq_pending_bytes gauge
rcuwatch_seq_pending_bytes{rcu_pending="bch2_btree_node_free",seq="12",state="gp-elapsed"} 4096
# HELP rcuwatch_seq_pending_objects Objects pending per seq, oldest seqs only.
# TYPE rcuwatch_seq_pending_objects gauge
rcuwatch_seq_pending_objects{rcu_pending="bch2_btree_node_free",seq="12",state="gp-elapsed"} 3
# HELP rcuwatch_seq_age_seconds Age of the seq's first enqueued object, oldest seqs only.
# TYPE rcuwatch_seq_age_seconds gauge
rcuwatch_seq_age_seconds{rcu_pending="bch2_btree_node_free",seq="12",state="gp-elapsed"} 1.5
# HELP rcuwatch_seq_series Seqs pending, and how many of them have series here (limit --max-seq-series).
# TYPE rcuwatch_seq_series gauge
rcuwatch_seq_series{what="pending"} 1
rcuwatch_seq_series{what="exported"} 1
# HELP rcuwatch_build_info rcuwatch version, value 1.
# TYPE rcuwatch_build_info gauge
rcuwatch_build_info{version="1.2.3"} 1
# HELP rcuwatch_scrapes_total Requests of /metrics served, this one included.
# TYPE rcuwatch_scrapes_total counter
rcuwatch_scrapes_total 7
# HELP rcuwatch_snapshots_total Intervals aggregated since start.
# TYPE rcuwatch_snapshots_total counter
rcuwatch_snapshots_total 5
# HELP rcuwatch_source_info Where the data comes from (live kernel or a recording), value 1.
# TYPE rcuwatch_source_info gauge
rcuwatch_source_info{source="replay run.rwrec"} 1
# HELP rcuwatch_source_ended 1 when the recording has ended: the last snapshot is served from then on.
# TYPE rcuwatch_source_ended gauge
rcuwatch_source_ended 1
# HELP rcuwatch_replay_progress_ratio Fraction of the recording read.
# TYPE rcuwatch_replay_progress_ratio gauge
rcuwatch_replay_progress_ratio 0.5
# HELP rcuwatch_snapshot_timestamp_seconds Wall-clock time (Unix) when the served snapshot was taken.
# TYPE rcuwatch_snapshot_timestamp_seconds gauge
rcuwatch_snapshot_timestamp_seconds 1700000000.25
# HELP rcuwatch_ringbuf_dropped_events_total Lifecycle events lost because the ring buffer was full (object and byte counts stay exact).
# TYPE rcuwatch_ringbuf_dropped_events_total counter
rcuwatch_ringbuf_dropped_events_total 1
# HELP rcuwatch_pending_map_full_objects_total Objects counted per instance but not per seq: the BPF pending map was full.
# TYPE rcuwatch_pending_map_full_objects_total counter
rcuwatch_pending_map_full_objects_total 2
# HELP rcuwatch_process_mismatch_total Processed batches whose object count differed from what rcuwatch tracked.
# TYPE rcuwatch_process_mismatch_total counter
rcuwatch_process_mismatch_total 3
# HELP rcuwatch_list_fallback_seqs_total Seqs opened on the list fallback (from ring-buffer events: see dropped events).
# TYPE rcuwatch_list_fallback_seqs_total counter
rcuwatch_list_fallback_seqs_total 6
# HELP rcuwatch_unsized_objects_total Objects whose size rcuwatch could not read (stock kernels: vmalloc), counted as 0 bytes.
# TYPE rcuwatch_unsized_objects_total counter
rcuwatch_unsized_objects_total 0
# HELP rcuwatch_nested_enqueues_total Stock kernels: enqueues nested too deep to follow (their objects show as untracked).
# TYPE rcuwatch_nested_enqueues_total counter
rcuwatch_nested_enqueues_total 0
# HELP rcuwatch_late_placements_total Stock kernels: objects whose queue was known only when rcu_pending_enqueue() returned (their CPU is the one it returned on).
# TYPE rcuwatch_late_placements_total counter
rcuwatch_late_placements_total 0
# HELP rcuwatch_bpf_events_total Hook hits handled by the BPF programs.
# TYPE rcuwatch_bpf_events_total counter
rcuwatch_bpf_events_total 5
)txt");
}

TEST(PrometheusFormat, DetectorsPerSubjectWithTheirEpisodesAndLimits) {
  DetectorSet detectors;
  Snapshot s = one_instance();  // its losses are new: the losses detector fires
  s.time_ns = 1'000'000'000;
  s.grace_periods = {test::grace_period("rcu", 0, 0),
                     test::grace_period("my_srcu", 0x9000, 3'000'000'000)};
  s.detections = detectors.evaluate(s);
  const ExporterStatus status{"1.2.3", 1, 0, false};
  std::string text = prometheus_text(&s, status, PrometheusOptions{});
  EXPECT_EQ(
      lines_starting(text, "rcuwatch_detector_firing{"),
      (std::vector<std::string>{
          R"(rcuwatch_detector_firing{detector="stranded_bytes"} 0)",
          R"(rcuwatch_detector_firing{detector="gp_too_long",grace_period="rcu"} 0)",
          R"(rcuwatch_detector_firing{detector="gp_too_long",grace_period="my_srcu"} 1)",
          R"(rcuwatch_detector_firing{detector="callback_flood",cpu="0"} 0)",
          R"(rcuwatch_detector_firing{detector="callback_flood",cpu="1"} 0)",
          R"(rcuwatch_detector_firing{detector="processing_lag",rcu_pending="bch2_btree_node_free"} 0)",
          R"(rcuwatch_detector_firing{detector="list_fallback",rcu_pending="bch2_btree_node_free"} 1)",
          R"(rcuwatch_detector_firing{detector="losses"} 1)"}));
  EXPECT_NE(text.find("# TYPE rcuwatch_detector_episodes_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("rcuwatch_detector_episodes_total{detector=\"gp_too_long\",grace_period=\"my_"
                      "srcu\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("rcuwatch_detector_limit{detector=\"gp_too_long\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("rcuwatch_detector_limit{detector=\"stranded_bytes\"} 1048576\n"),
            std::string::npos);

  // The grace period ends: 0 again, and the episode stays counted.
  s.time_ns = 2'000'000'000;
  s.grace_periods[1] = test::grace_period("my_srcu", 0x9000, 0);
  s.detections = detectors.evaluate(s);
  text = prometheus_text(&s, status, PrometheusOptions{});
  EXPECT_NE(text.find("rcuwatch_detector_firing{detector=\"gp_too_long\",grace_period=\"my_srcu\"} "
                      "0\n"),
            std::string::npos);
  EXPECT_NE(text.find("rcuwatch_detector_episodes_total{detector=\"gp_too_long\",grace_period=\"my_"
                      "srcu\"} 1\n"),
            std::string::npos);
}

TEST(PrometheusFormat, BeforeTheFirstSnapshotOnlySelfMetrics) {
  const ExporterStatus status{"1.2.3", 1, 0, false};
  EXPECT_EQ(prometheus_text(nullptr, status, PrometheusOptions{}),
            "# HELP rcuwatch_build_info rcuwatch version, value 1.\n"
            "# TYPE rcuwatch_build_info gauge\n"
            "rcuwatch_build_info{version=\"1.2.3\"} 1\n"
            "# HELP rcuwatch_scrapes_total Requests of /metrics served, this one included.\n"
            "# TYPE rcuwatch_scrapes_total counter\n"
            "rcuwatch_scrapes_total 1\n"
            "# HELP rcuwatch_snapshots_total Intervals aggregated since start.\n"
            "# TYPE rcuwatch_snapshots_total counter\n"
            "rcuwatch_snapshots_total 0\n");
}

TEST(PrometheusFormat, HistogramBucketsAreCumulativeWithSumAndCount) {
  Snapshot s;
  GracePeriodStats g;
  g.name = "rcu";
  g.completed.total = 9;  // one end whose start was not seen: not in the histogram
  g.last_duration_ns = 3'000;
  g.since_last_end_ns = 2'000'000'000;
  g.durations.sum_ns =
      1'000 + 3'000 + 3'500 + 100'000'000 + 100'000'000 + 100'000'000 + 5'000'000'000'000ull;
  g.durations.counts[0] = 1;   // [0, 2) us: 1 us
  g.durations.counts[1] = 2;   // [2, 4) us: 3 us, 3.5 us
  g.durations.counts[16] = 3;  // [65536, 131072) us: 100 ms x3
  g.durations.counts[31] = 1;  // >= 2^31 us (open-ended): 5000 s
  s.grace_periods.push_back(g);
  const std::string text = prometheus_text(&s, ExporterStatus{}, PrometheusOptions{});
  const auto buckets = lines_starting(text, "rcuwatch_grace_period_duration_seconds_bucket");
  ASSERT_EQ(buckets.size(), 32u);  // 31 finite `le` + "+Inf"
  EXPECT_EQ(
      buckets[0],
      "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"2e-06\"} 1");
  EXPECT_EQ(
      buckets[1],
      "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"4e-06\"} 3");
  EXPECT_EQ(buckets[15],
            "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"0."
            "065536\"} 3");
  EXPECT_EQ(buckets[16],
            "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"0."
            "131072\"} 6");
  EXPECT_EQ(buckets[30],
            "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"2147."
            "483648\"} 6");
  EXPECT_EQ(
      buckets[31],
      "rcuwatch_grace_period_duration_seconds_bucket{flavor=\"rcu\",name=\"rcu\",le=\"+Inf\"} 7");
  EXPECT_EQ(
      lines_starting(text, "rcuwatch_grace_period_duration_seconds_sum"),
      std::vector<std::string>{
          "rcuwatch_grace_period_duration_seconds_sum{flavor=\"rcu\",name=\"rcu\"} 5000.3000075"});
  EXPECT_EQ(lines_starting(text, "rcuwatch_grace_period_duration_seconds_count"),
            std::vector<std::string>{
                "rcuwatch_grace_period_duration_seconds_count{flavor=\"rcu\",name=\"rcu\"} 7"});
  EXPECT_EQ(lines_starting(text, "# TYPE rcuwatch_grace_period_duration_seconds "),
            std::vector<std::string>{"# TYPE rcuwatch_grace_period_duration_seconds histogram"});
  EXPECT_EQ(lines_starting(text, "rcuwatch_grace_periods_completed_total"),
            std::vector<std::string>{
                "rcuwatch_grace_periods_completed_total{flavor=\"rcu\",name=\"rcu\"} 9"});
  EXPECT_EQ(lines_starting(text, "rcuwatch_grace_period_last_duration_seconds{"),
            std::vector<std::string>{
                "rcuwatch_grace_period_last_duration_seconds{flavor=\"rcu\",name=\"rcu\"} 3e-06"});
  EXPECT_EQ(lines_starting(text, "rcuwatch_seconds_since_last_grace_period{"),
            std::vector<std::string>{
                "rcuwatch_seconds_since_last_grace_period{flavor=\"rcu\",name=\"rcu\"} 2"});
  // Cumulative: never decreasing.
  uint64_t prev = 0;
  for (const auto& b : buckets) {
    const uint64_t v = std::stoull(b.substr(b.rfind(' ') + 1));
    EXPECT_GE(v, prev) << b;
    prev = v;
  }
}

TEST(PrometheusFormat, NoTimeSinceAGracePeriodThatNeverEnded) {
  Snapshot s;
  GracePeriodStats g;
  g.name = "rcu";
  g.in_progress = true;
  s.grace_periods.push_back(g);
  const std::string text = prometheus_text(&s, ExporterStatus{}, PrometheusOptions{});
  EXPECT_EQ(text.find("rcuwatch_seconds_since_last_grace_period"), std::string::npos);
  EXPECT_NE(text.find("rcuwatch_grace_period_in_progress{flavor=\"rcu\",name=\"rcu\"} 1\n"),
            std::string::npos);
}

TEST(PrometheusFormat, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_label_value("plain_name"), "plain_name");
  EXPECT_EQ(prometheus_label_value("a\"b"), "a\\\"b");
  EXPECT_EQ(prometheus_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(prometheus_label_value("a\nb"), "a\\nb");
  EXPECT_EQ(prometheus_label_value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");  // valid UTF-8 kept
  EXPECT_EQ(prometheus_label_value("a\xff"
                                   "b"),
            "a\xef\xbf\xbd"
            "b");                                                             // invalid byte
  EXPECT_EQ(prometheus_label_value("a\xc3"), "a\xef\xbf\xbd");                // truncated sequence
  EXPECT_EQ(prometheus_label_value("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(prometheus_label_value("\xed\xa0\x80"),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate

  Snapshot s;
  InstanceRow i;
  i.instance = 1;
  i.name = "we\"ird\\na\nme";
  s.instances.push_back(i);
  s.source = "replay /tmp/a \"b\".rwrec";
  const std::string text = prometheus_text(&s, ExporterStatus{}, PrometheusOptions{});
  EXPECT_NE(text.find("rcuwatch_pending_bytes{rcu_pending=\"we\\\"ird\\\\na\\nme\",flavor=\"rcu\","
                      "mode=\"process\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rcuwatch_source_info{source=\"replay /tmp/a \\\"b\\\".rwrec\"} 1\n"),
            std::string::npos);
}

TEST(PrometheusFormat, DuplicateNamesStayDistinctSeries) {
  Snapshot s;
  for (uint64_t addr : {0xa0, 0xb0}) {
    InstanceRow i;
    i.instance = addr;
    i.name = "shared_process_fn";
    s.instances.push_back(i);
  }
  InstanceRow other;
  other.instance = 0xc0;
  other.name = "unique";
  s.instances.push_back(other);
  const std::string text = prometheus_text(&s, ExporterStatus{}, PrometheusOptions{});
  EXPECT_EQ(
      lines_starting(text, "rcuwatch_pending_objects{"),
      (std::vector<std::string>{
          "rcuwatch_pending_objects{rcu_pending=\"shared_process_fn@0xa0\",flavor=\"rcu\",mode="
          "\"process\"} 0",
          "rcuwatch_pending_objects{rcu_pending=\"shared_process_fn@0xb0\",flavor=\"rcu\",mode="
          "\"process\"} 0",
          "rcuwatch_pending_objects{rcu_pending=\"unique\",flavor=\"rcu\",mode=\"process\"} 0"}));
}

TEST(PrometheusFormat, SeqSeriesAreBoundedToTheOldest) {
  Snapshot s;
  for (uint64_t seq = 1; seq <= 50; seq++)  // oldest first, as the aggregator sorts them
    s.seqs.push_back(SeqSummary{1, "inst", seq, 1, 8, (100 - seq) * 1'000'000, 1,
                                SeqState::WaitingForGracePeriod});
  PrometheusOptions o;
  o.max_seq_series = 3;
  const std::string text = prometheus_text(&s, ExporterStatus{}, o);
  EXPECT_EQ(
      lines_starting(text, "rcuwatch_seq_pending_bytes{"),
      (std::vector<std::string>{
          "rcuwatch_seq_pending_bytes{rcu_pending=\"inst\",seq=\"1\",state=\"waiting-gp\"} 8",
          "rcuwatch_seq_pending_bytes{rcu_pending=\"inst\",seq=\"2\",state=\"waiting-gp\"} 8",
          "rcuwatch_seq_pending_bytes{rcu_pending=\"inst\",seq=\"3\",state=\"waiting-gp\"} 8"}));
  EXPECT_NE(
      text.find(
          "rcuwatch_seq_series{what=\"pending\"} 50\nrcuwatch_seq_series{what=\"exported\"} 3\n"),
      std::string::npos);
  o.max_seq_series = 0;
  EXPECT_TRUE(
      lines_starting(prometheus_text(&s, ExporterStatus{}, o), "rcuwatch_seq_pending").empty());
}

TEST(PrometheusFormat, Values) {
  EXPECT_EQ(prometheus_value(0), "0");
  EXPECT_EQ(prometheus_value(4096), "4096");
  EXPECT_EQ(prometheus_value(0.1), "0.1");
  EXPECT_EQ(prometheus_value(2e-6), "2e-06");
  EXPECT_EQ(prometheus_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(prometheus_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(prometheus_value(0.0 / 0.0), "NaN");
}

TEST(ExporterCommand, ListenAddress) {
  auto a = parse_listen_address("127.0.0.1:9640");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9640);
  a = parse_listen_address("[::1]:80");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 80);
  a = parse_listen_address(":9640");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "0.0.0.0");
  for (const char* bad : {"", "garbage", "9640", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
                          "127.0.0.1:65536", "127.0.0.1:96x0", "127.0.0.1:-1", "1.2.3.4.5:80",
                          "localhost:9640", "::1:80", "[::1]", "[nope]:80", "[]:80"})
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
}

}  // namespace
}  // namespace rcuwatch
