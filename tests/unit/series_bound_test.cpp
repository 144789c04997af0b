// The number of series the exporter can expose, stated in docs/exporter.md
// for a 1024-CPU machine with 64 instances: the formula there is checked
// here against the text for synthetic snapshots that reach it (every
// instance in a mode the list_fallback detector judges, every flavor with a
// completed grace period, more seqs than --max-seq-series, detectors
// evaluated on every subject), with and without --per-cpu=false.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "detectors.hpp"
#include "prometheus_format.hpp"
#include "snapshots.hpp"

namespace rcuwatch {
namespace {

struct Shape {
  uint32_t cpus;
  uint32_t instances;
  uint32_t flavors;  // RCU and srcu_structs: at most 256 (the BPF map grace_periods)
  uint32_t hooks;    // attached + missing
};

// docs/exporter.md, "How many series": per instance 12 gauges and counters
// and 4 detector series (processing_lag, list_fallback: firing, episodes);
// per CPU 3 gauges and 2 detector series (callback_flood), or 3 + 2 in all
// when folded; per seq 3, for --max-seq-series seqs, and 2 counts; per
// grace-period flavor 7 + 32 histogram buckets and 2 detector series
// (gp_too_long); 26 more (machine detectors 4, limits 6, the exporter 16)
// and one per hook.
size_t series_bound(const Shape& s, size_t max_seq_series, bool per_cpu) {
  const size_t buckets = DurationHistogram::kBuckets;
  const size_t per_flavor = 7 + buckets + 2;
  const size_t cpu = per_cpu ? 5 * size_t(s.cpus) : 5;
  return 16 * size_t(s.instances) + cpu + 3 * max_seq_series + 2 + per_flavor * s.flavors + 26 +
         s.hooks;
}

// The largest snapshot of a shape: everything that adds a series is there.
Snapshot largest(const Shape& shape, size_t seqs) {
  Snapshot s;
  s.time_ns = 100 * test::kSecond;
  s.interval_ns = test::kSecond;
  s.index = 99;
  s.source = "replay big.rwrec";
  s.source_progress = 0.5;
  s.nr_cpus = shape.cpus;
  s.attachment.mode = "tracepoint";
  for (uint32_t h = 0; h < shape.hooks; h++)
    (h % 4 ? s.attachment.attached : s.attachment.missing).push_back(fmt::format("rcu:hook{}", h));
  for (uint32_t c = 0; c < shape.cpus; c++) s.cpus.push_back(CpuRow{c, 1, 4096, test::kSecond, 1});
  for (uint32_t f = 0; f < shape.flavors; f++) {
    GracePeriodStats g = test::grace_period(f ? fmt::format("srcu{}", f) : "rcu", f, test::kSecond);
    g.completed.total = 10;
    g.since_last_end_ns = test::kSecond;
    s.grace_periods.push_back(g);
  }
  for (uint32_t i = 0; i < shape.instances; i++) {
    const uint64_t addr = 0x1000 + i;
    InstanceRow row = test::instance_row(addr, fmt::format("instance{}", i), Flavor::Srcu,
                                         Mode::Process, 64, 1 << 20, 2 * test::kSecond);
    row.srcu = 1 + i % std::max(1u, shape.flavors - 1);
    s.instances.push_back(row);
  }
  for (size_t q = 0; q < seqs; q++)
    s.seqs.push_back(test::seq_summary(0x1000 + q % shape.instances, "instance", 100 + q, 4, 4096,
                                       test::kSecond, 1, SeqState::WaitingForGracePeriod));
  return s;
}

size_t samples_in(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] != '#';
  return n;
}

size_t series_of(const Shape& shape, bool per_cpu) {
  Snapshot s = largest(shape, 200);
  DetectorSet detectors;
  s.detections = detectors.evaluate(s);
  const ExporterStatus status{"1.0", 1, 1700000000, false};
  return samples_in(prometheus_text(&s, status, PrometheusOptions{20, per_cpu}));
}

TEST(SeriesBound, ReachedExactlyByTheLargestSnapshots) {
  for (const Shape shape :
       {Shape{1024, 64, 65, 12}, Shape{1024, 64, 256, 12}, Shape{4, 2, 3, 5}, Shape{1, 1, 1, 0}})
    for (bool per_cpu : {true, false}) {
      SCOPED_TRACE(fmt::format("{} CPUs, {} instances, {} flavors, {} hooks, per_cpu {}",
                               shape.cpus, shape.instances, shape.flavors, shape.hooks, per_cpu));
      EXPECT_EQ(series_of(shape, per_cpu), series_bound(shape, 20, per_cpu));
    }
}

// The numbers docs/exporter.md states, for 1024 CPUs and 64 instances with
// an srcu_struct each (65 flavors) and for the BPF map full (256 flavors):
// its table row must carry what the exporter really reaches.
TEST(SeriesBound, StatedForA1024CpuMachineWith64Instances) {
  std::ifstream in(RCUWATCH_SOURCE_DIR "/docs/exporter.md");
  ASSERT_TRUE(in) << "cannot read docs/exporter.md";
  std::stringstream doc;
  doc << in.rdbuf();
  for (const uint32_t flavors : {65u, 256u}) {
    const Shape shape{1024, 64, flavors, 0};
    const std::string row = fmt::format("| 1024 CPUs, 64 instances, {} flavors", flavors);
    const size_t at = doc.str().find(row);
    ASSERT_NE(at, std::string::npos) << "docs/exporter.md lacks the row: " << row;
    const std::string line = doc.str().substr(at, doc.str().find('\n', at) - at);
    EXPECT_NE(
        line.find(fmt::format(" | {} | {} |", series_of(shape, true), series_of(shape, false))),
        std::string::npos)
        << line;
  }
  EXPECT_EQ(series_bound({1024, 64, 65, 0}, 20, true), 8897u);
  EXPECT_EQ(series_bound({1024, 64, 65, 0}, 20, false), 3782u);
  EXPECT_EQ(series_bound({1024, 64, 256, 0}, 20, true), 16728u);
  EXPECT_EQ(series_bound({1024, 64, 256, 0}, 20, false), 11613u);
  // Folding removes 5 series per CPU but 5.
  EXPECT_EQ(series_bound({1024, 64, 65, 0}, 20, true) - series_bound({1024, 64, 65, 0}, 20, false),
            5u * 1024 - 5);
}

// A smaller snapshot never has more series than its shape's bound.
TEST(SeriesBound, FewerSeqsAndNoDetectorsStayBelow) {
  const Shape shape{64, 8, 5, 3};
  Snapshot s = largest(shape, 3);
  const ExporterStatus status{"1.0", 1, 1700000000, false};
  for (bool per_cpu : {true, false})
    EXPECT_LT(samples_in(prometheus_text(&s, status, PrometheusOptions{20, per_cpu})),
              series_bound(shape, 20, per_cpu));
}

// Folded per-CPU series: the most any CPU holds, how many hold any, and
// callback_flood firing when any CPU floods.
TEST(SeriesBound, FoldedPerCpuSeries) {
  Snapshot s = largest({4, 1, 1, 0}, 1);
  s.cpus[2].bytes = 1 << 20;
  s.cpus[2].objects = 300;
  s.cpus[3].objects = 0;
  s.cpus[1].queued_per_sec = 1e6;  // floods
  DetectorSet detectors;
  s.detections = detectors.evaluate(s);
  const std::string text =
      prometheus_text(&s, ExporterStatus{"1.0", 1, 0, false}, PrometheusOptions{20, false});
  EXPECT_NE(text.find("\nrcuwatch_cpu_pending_bytes_max 1048576\n"), std::string::npos);
  EXPECT_NE(text.find("\nrcuwatch_cpu_pending_objects_max 300\n"), std::string::npos);
  EXPECT_NE(text.find("\nrcuwatch_cpus_with_pending_objects 3\n"), std::string::npos);
  EXPECT_NE(text.find("\nrcuwatch_detector_firing{detector=\"callback_flood\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nrcuwatch_detector_episodes_total{detector=\"callback_flood\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(text.find("cpu=\""), std::string::npos);
}

}  // namespace
}  // namespace rcuwatch
