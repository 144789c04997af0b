#include "report.hpp"
#include "report_json.hpp"
#include "report_text.hpp"

#include <gtest/gtest.h>

#include "detectors.hpp"

namespace rcuwatch {
namespace {

constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t A = 0x1000, B = 0x2000, S = 0x9000;  // two instances; S: B's srcu_struct

// One hand-built sample: instance A (RCU) and B (SRCU S), each with one seq.
struct Step {
  uint64_t t_ns;
  int64_t a_bytes = 0, b_bytes = 0;
  uint64_t a_age_ns = 0, b_age_ns = 0;
  SeqState b_state = SeqState::WaitingForGracePeriod;
  uint64_t rcu_completed = 0, srcu_completed = 0;
  uint64_t srcu_since_end_ns = 0;
};

Snapshot snap(const Step& st, uint64_t index) {
  Snapshot s;
  s.time_ns = st.t_ns;
  s.index = index;
  s.source = "replay test";
  s.nr_cpus = 4;
  InstanceRow a, b;
  a.instance = A;
  a.name = "inst_rcu";
  a.mode = Mode::Kvfree;
  a.pending_bytes = st.a_bytes;
  a.pending_objects = st.a_bytes ? 1 : 0;
  a.enqueued.objects.total = 10 + index;
  a.enqueued.bytes.total = 1000 + 100 * index;
  a.processed.objects.total = index;
  a.processed.bytes.total = 100 * index;
  b.instance = B;
  b.name = "inst_srcu";
  b.flavor = Flavor::Srcu;
  b.srcu = S;
  b.mode = Mode::Process;
  b.pending_bytes = st.b_bytes;
  b.pending_objects = st.b_bytes ? 2 : 0;
  b.dequeued.objects.total = 3;
  b.dequeued.bytes.total = 30;
  s.instances = {a, b};
  std::stable_sort(
      s.instances.begin(), s.instances.end(),
      [](const InstanceRow& x, const InstanceRow& y) { return x.pending_bytes > y.pending_bytes; });
  if (st.a_bytes) {
    s.seqs.push_back({A, "inst_rcu", 100 + index, 1, st.a_bytes, st.a_age_ns, 1,
                      SeqState::WaitingForGracePeriod});
    s.seq_cpus.push_back(
        {A, 0, SeqState::WaitingForGracePeriod, 100 + index, 1, st.a_bytes, 0, st.a_age_ns});
  }
  if (st.b_bytes) {
    s.seqs.push_back({B, "inst_srcu", 8, 2, st.b_bytes, st.b_age_ns, 2, st.b_state});
    s.seq_cpus.push_back({B, 1, st.b_state, 8, 1, st.b_bytes / 2, 0, st.b_age_ns});
    s.seq_cpus.push_back({B, 3, st.b_state, 8, 1, st.b_bytes / 2, 0, st.b_age_ns / 2});
  }
  std::stable_sort(s.seqs.begin(), s.seqs.end(),
                   [](const SeqSummary& x, const SeqSummary& y) { return x.age_ns > y.age_ns; });
  s.totals.pending_bytes = st.a_bytes + st.b_bytes;
  s.totals.pending_objects = (st.a_bytes ? 1 : 0) + (st.b_bytes ? 2 : 0);
  s.totals.oldest_age_ns = std::max(st.a_bytes ? st.a_age_ns : 0, st.b_bytes ? st.b_age_ns : 0);
  GracePeriodStats rcu, srcu;
  rcu.name = "rcu";
  rcu.completed.total = st.rcu_completed;
  rcu.since_last_end_ns = 5 * kMs;
  srcu.name = "my_srcu";
  srcu.flavor = Flavor::Srcu;
  srcu.key = S;
  srcu.completed.total = st.srcu_completed;
  srcu.since_last_end_ns = st.srcu_since_end_ns;
  s.grace_periods = {rcu, srcu};
  return s;
}

Report run(const std::vector<Step>& steps, ReportOptions o = {}) {
  ReportBuilder b(o);
  b.set_source("replay test", "6.12.0");
  for (size_t i = 0; i < steps.size(); i++) b.add(snap(steps[i], i));
  return b.finish();
}

// An SRCU reader held from t=10.5s to ~13.5s: B's seq 8 waits, no SRCU GP
// ends; RCU keeps completing. Then a second, ongoing episode at the end.
std::vector<Step> scenario() {
  return {
      {10 * kSec, 300, 0, 1 * kMs, 0, {}, 10, 5, 1 * kMs},
      {11 * kSec, 300, 4000, 2 * kMs, 500 * kMs, {}, 20, 5, 500 * kMs},
      {12 * kSec, 0, 9000, 0, 1500 * kMs, {}, 30, 5, 1500 * kMs},
      {13 * kSec, 100, 12000, 1 * kMs, 2500 * kMs, {}, 40, 5, 2500 * kMs},
      {14 * kSec, 0, 0, 0, 0, {}, 50, 6, 200 * kMs},
      {15 * kSec, 0, 500, 0, 1200 * kMs, SeqState::GracePeriodElapsed, 60, 8, 1 * kMs},
  };
}

TEST(Report, SourcePeakAndFinal) {
  Report r = run(scenario());
  EXPECT_EQ(r.source.description, "replay test");
  EXPECT_EQ(r.source.kernel_release, "6.12.0");
  EXPECT_EQ(r.source.nr_cpus, 4u);
  EXPECT_EQ(r.source.samples, 6u);
  EXPECT_EQ(r.source.span_ns, 5 * kSec);
  EXPECT_EQ(r.source.min_interval_ns, 1 * kSec);
  EXPECT_EQ(r.source.max_interval_ns, 1 * kSec);
  EXPECT_EQ(r.peak.bytes, 12100);
  EXPECT_EQ(r.peak.objects, 3);
  EXPECT_EQ(r.peak.at_ns, 3 * kSec);
  EXPECT_EQ(r.peak.top_instance, "inst_srcu");
  EXPECT_EQ(r.peak.top_instance_bytes, 12000);
  EXPECT_EQ(r.peak_objects, 3);
  EXPECT_EQ(r.peak_objects_at_ns, 1 * kSec);  // the first sample with 3
  EXPECT_EQ(r.final_bytes, 500);
  EXPECT_EQ(r.final_objects, 2);
}

TEST(Report, StrandedEpisodesAreMaximalRuns) {
  Report r = run(scenario());
  ASSERT_EQ(r.episodes_total, 2u);
  ASSERT_EQ(r.episodes.size(), 2u);
  const Episode& e = r.episodes[0];
  EXPECT_EQ(e.start_ns, 2 * kSec);  // 12s: first sample with the oldest >= 1s
  EXPECT_EQ(e.end_ns, 4 * kSec);    // 14s: first sample below it
  EXPECT_EQ(e.duration_ns, 2 * kSec);
  EXPECT_FALSE(e.ongoing);
  EXPECT_EQ(e.max_age_ns, 2500 * kMs);
  EXPECT_EQ(e.oldest_enqueued_ns, int64_t(2 * kSec) - int64_t(1500 * kMs));
  EXPECT_EQ(e.peak_bytes, 12100);
  EXPECT_EQ(e.peak_at_ns, 3 * kSec);
  EXPECT_EQ(e.state, SeqState::WaitingForGracePeriod);
  ASSERT_EQ(e.instances.size(), 1u);  // inst_rcu's seqs are young: not stranded
  EXPECT_EQ(e.instances[0].name, "inst_srcu");
  EXPECT_EQ(e.instances[0].flavor, Flavor::Srcu);
  EXPECT_EQ(e.instances[0].grace_period, "my_srcu");
  EXPECT_EQ(e.instances[0].peak_stranded_bytes, 12000);
  ASSERT_EQ(e.grace_periods.size(), 1u);
  EXPECT_EQ(e.grace_periods[0].name, "my_srcu");
  EXPECT_EQ(e.grace_periods[0].completed, 0u);  // the SRCU GP did not complete

  const Episode& f = r.episodes[1];  // still stranded at the end; processing is slow
  EXPECT_EQ(f.start_ns, 5 * kSec);
  EXPECT_EQ(f.end_ns, 5 * kSec);
  EXPECT_TRUE(f.ongoing);
  EXPECT_EQ(f.state, SeqState::GracePeriodElapsed);
}

TEST(Report, EpisodesCompletingGracePeriodsAndThreshold) {
  // With a 2s threshold only the sample at 13s is stranded.
  ReportOptions o;
  o.stranded_age_ns = 2 * kSec;
  Report r = run(scenario(), o);
  ASSERT_EQ(r.episodes.size(), 1u);
  EXPECT_EQ(r.episodes[0].start_ns, 3 * kSec);
  EXPECT_EQ(r.episodes[0].duration_ns, 1 * kSec);

  // SRCU GPs that keep ending during the episode are counted.
  auto steps = scenario();
  steps[3].srcu_completed = 7;
  steps[3].b_state = SeqState::GracePeriodElapsed;
  r = run(steps);
  EXPECT_EQ(r.episodes[0].grace_periods[0].completed, 2u);
  // 9000 waiting-gp bytes at 12s, 12000 gp-elapsed at 13s: gp-elapsed held most.
  EXPECT_EQ(r.episodes[0].state, SeqState::GracePeriodElapsed);
}

TEST(Report, KeepsTheLongestEpisodes) {
  ReportOptions o;
  o.max_episodes = 1;
  Report r = run(scenario(), o);
  EXPECT_EQ(r.episodes_total, 2u);
  ASSERT_EQ(r.episodes.size(), 1u);
  EXPECT_EQ(r.episodes[0].start_ns, 2 * kSec);
}

TEST(Report, PerInstanceTotals) {
  Report r = run(scenario());
  ASSERT_EQ(r.instances.size(), 2u);
  const ReportInstance& b = r.instances[0];  // by peak pending bytes
  EXPECT_EQ(b.name, "inst_srcu");
  EXPECT_EQ(b.flavor, Flavor::Srcu);
  EXPECT_EQ(b.mode, Mode::Process);
  EXPECT_EQ(b.grace_period, "my_srcu");
  EXPECT_EQ(b.dequeued.objects, 3u);
  EXPECT_EQ(b.dequeued.bytes, 30u);
  EXPECT_EQ(b.peak_pending_bytes, 12000);
  EXPECT_EQ(b.peak_at_ns, 3 * kSec);
  EXPECT_EQ(b.final_pending_bytes, 500);
  EXPECT_EQ(b.max_seq_age_ns, 2500 * kMs);
  EXPECT_EQ(b.max_age_seq, 8u);
  EXPECT_EQ(b.max_age_at_ns, 3 * kSec);
  EXPECT_EQ(b.max_age_cpus, (std::vector<uint32_t>{1, 3}));
  const ReportInstance& a = r.instances[1];
  EXPECT_EQ(a.name, "inst_rcu");
  EXPECT_EQ(a.grace_period, "rcu");
  EXPECT_EQ(a.mode, Mode::Kvfree);
  EXPECT_EQ(a.enqueued.objects, 15u);  // the counters at the last sample
  EXPECT_EQ(a.enqueued.bytes, 1500u);
  EXPECT_EQ(a.processed.objects, 5u);
  EXPECT_EQ(a.processed.bytes, 500u);
  EXPECT_EQ(a.peak_pending_bytes, 300);
  EXPECT_EQ(a.peak_at_ns, 0u);
  EXPECT_EQ(a.final_pending_bytes, 0);
  EXPECT_EQ(a.max_seq_age_ns, 2 * kMs);
  EXPECT_EQ(a.max_age_seq, 101u);
  EXPECT_EQ(a.max_age_cpus, (std::vector<uint32_t>{0}));
}

TEST(Report, GracePeriods) {
  Report r = run(scenario());
  ASSERT_EQ(r.grace_periods.size(), 2u);
  const ReportGracePeriod& rcu = r.grace_periods[0];
  EXPECT_EQ(rcu.name, "rcu");
  EXPECT_EQ(rcu.completed, 60u);
  EXPECT_EQ(rcu.completed_in_span, 50u);
  EXPECT_DOUBLE_EQ(rcu.per_sec, 10.0);
  const ReportGracePeriod& srcu = r.grace_periods[1];
  EXPECT_EQ(srcu.name, "my_srcu");
  EXPECT_EQ(srcu.completed, 8u);
  EXPECT_EQ(srcu.completed_in_span, 3u);
  EXPECT_EQ(srcu.longest_gap_ns, 2500 * kMs);
  EXPECT_EQ(srcu.since_last_end_ns, 1 * kMs);
}

TEST(Report, PercentilesFromTheLog2Histogram) {
  DurationHistogram hist;
  auto& h = hist.counts;
  EXPECT_EQ(hist.percentile(0.5).high_ns, 0u);  // empty
  h[0] = 1;                                     // < 2us
  h[2] = 9;                                     // [4, 8) us
  h[5] = 89;                                    // [32, 64) us
  h[20] = 1;                                    // [2^20, 2^21) us, about 1-2 s
  const uint64_t us = 1000;
  auto p = hist.percentile(0.01);
  EXPECT_EQ(p.low_ns, 0u);
  EXPECT_EQ(p.high_ns, 2 * us);
  p = hist.percentile(0.10);
  EXPECT_EQ(p.low_ns, 4 * us);
  EXPECT_EQ(p.high_ns, 8 * us);
  p = hist.percentile(0.50);
  EXPECT_EQ(p.low_ns, 32 * us);
  EXPECT_EQ(p.high_ns, 64 * us);
  p = hist.percentile(0.99);  // rank 99 of 100: still bucket 5
  EXPECT_EQ(p.low_ns, 32 * us);
  p = hist.percentile(1.0);
  EXPECT_EQ(p.low_ns, (uint64_t(1) << 20) * us);
  EXPECT_EQ(p.high_ns, (uint64_t(1) << 21) * us);

  // Through the builder, with the exact mean.
  Snapshot s = snap({10 * kSec}, 0);
  s.grace_periods[0].durations.counts = h;
  s.grace_periods[0].durations.sum_ns = 100 * kMs;
  ReportBuilder b;
  b.add(s);
  Report r = b.finish();
  EXPECT_EQ(r.grace_periods[0].histogram_count, 100u);
  EXPECT_EQ(r.grace_periods[0].mean_duration_ns, 1 * kMs);
  EXPECT_EQ(r.grace_periods[0].p50.low_ns, 32 * us);
  EXPECT_EQ(r.grace_periods[0].max.high_ns, (uint64_t(1) << 21) * us);
  auto j = to_json(r);
  EXPECT_EQ(j["grace_periods"][0]["p99_ns"]["high_ns"], 64 * us);
  EXPECT_EQ(j["grace_periods"][0]["duration_bucketed"], true);
}

TEST(Report, LossesWarnOnlyWhenNonZero) {
  Report r = run(scenario());
  EXPECT_FALSE(any_loss(r.losses));
  std::string text = format_report(r);
  EXPECT_EQ(text.find("WARNING"), std::string::npos) << text;
  EXPECT_EQ(to_json(r)["losses"]["any"], false);

  for (int which = 0; which < 4; which++) {
    Snapshot s = snap({10 * kSec}, 0);
    if (which == 0) s.losses.ringbuf_drops = 3;
    if (which == 1) s.losses.untracked_objects = 3;
    if (which == 2) s.losses.process_mismatch = 3;
    if (which == 3) s.losses.pending_map_full = 3;
    s.losses.events = 1000;  // not a loss
    ReportBuilder b;
    b.add(s);
    r = b.finish();
    EXPECT_TRUE(any_loss(r.losses)) << which;
    text = format_report(r);
    EXPECT_NE(text.find("WARNING: rcuwatch lost data"), std::string::npos) << text;
    EXPECT_EQ(to_json(r)["losses"]["any"], true);
  }
}

TEST(Report, TextAndJsonCarryTheReport) {
  Report r = run(scenario());
  const std::string text = format_report(r);
  for (const char* want : {"kernel 6.12.0", "4 CPUs", "6 samples over 5.00s", "Peak:     11.8 KiB",
                           "Stranded episodes (oldest pending >= 1.00s): 2",
                           "+2.00s to +4.00s (2.00s)", "(0s, still stranded at the end)",
                           "grace period my_srcu (srcu): none completed during the episode",
                           "still stranded at the end", "inst_srcu", "bucketed"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  auto j = to_json(r);
  EXPECT_EQ(j["peak"]["bytes"], 12100);
  EXPECT_EQ(j["episodes"][0]["duration_ns"], 2 * kSec);
  EXPECT_EQ(j["episodes"][0]["state"], "waiting-gp");
  EXPECT_EQ(j["episodes"][0]["instances"][0]["flavor"], "srcu");
  EXPECT_EQ(j["episodes"][1]["state"], "gp-elapsed");
  EXPECT_EQ(j["instances"][0]["max_age_cpus"], nlohmann::json({1, 3}));
  EXPECT_EQ(j["source"]["samples"], 6);
}

// The scenario through a DetectorSet, as SnapshotStream runs it, with a
// grace period of my_srcu running 2 s at the last sample.
Report run_detected(DetectorLimits limits) {
  ReportBuilder b;
  b.set_source("replay test", "6.12.0");
  DetectorSet detectors(limits);
  const std::vector<Step> steps = scenario();
  for (size_t i = 0; i < steps.size(); i++) {
    Snapshot s = snap(steps[i], i);
    if (i + 1 == steps.size()) {
      s.grace_periods[1].in_progress = true;
      s.grace_periods[1].in_progress_ns = 2 * kSec;
    }
    s.detections = detectors.evaluate(s);
    b.add(s);
  }
  return b.finish();
}

TEST(Report, DetectorEpisodesWithTheirEvidence) {
  DetectorLimits limits;
  limits.stranded_bytes = 4000;
  limits.stranded_for_ns = 0;
  const Report r = run_detected(limits);
  EXPECT_TRUE(r.any_detector_fired());
  ASSERT_EQ(r.detectors.size(), kDetectors.size());
  const ReportDetector& stranded = r.detectors[size_t(Detector::StrandedBytes)];
  EXPECT_EQ(stranded.limit, 4000);
  EXPECT_EQ(stranded.limit_text, ">= 3.91 KiB pending >= 1.00s, for 0s");
  ASSERT_EQ(stranded.episodes_total, 1u);  // 9000 and 12000 stranded; 500 at the end is below
  const ReportDetectorEpisode& e = stranded.episodes[0];
  EXPECT_EQ(e.episode.onset_ns, 2 * kSec);  // times from the first sample
  EXPECT_EQ(e.episode.end_ns, 4 * kSec);
  EXPECT_EQ(e.duration_ns, 2 * kSec);
  EXPECT_FALSE(e.ongoing);
  EXPECT_EQ(e.episode.peak, 12000);
  EXPECT_EQ(e.episode.peak_at_ns, 3 * kSec);
  EXPECT_EQ(e.summary,
            "11.7 KiB pending >= 1.00s (limit 3.91 KiB) for 1.00s: inst_srcu 11.7 KiB (srcu "
            "my_srcu, waiting-gp)");
  EXPECT_EQ(e.episode.cpus, (std::vector<uint32_t>{1, 3}));

  const ReportDetector& gp = r.detectors[size_t(Detector::GracePeriodTooLong)];
  ASSERT_EQ(gp.episodes.size(), 1u);
  EXPECT_TRUE(gp.episodes[0].ongoing);
  EXPECT_TRUE(gp.firing_at_end);
  EXPECT_EQ(gp.episodes[0].episode.subject.name, "my_srcu");
  EXPECT_EQ(gp.episodes[0].episode.onset_ns, 5 * kSec);
  EXPECT_EQ(gp.episodes[0].episode.end_ns, 0u);
  for (Detector d :
       {Detector::CallbackFlood, Detector::ProcessingLag, Detector::ListFallback, Detector::Losses})
    EXPECT_EQ(r.detectors[size_t(d)].episodes_total, 0u) << to_string(d);

  const std::string text = format_report(r);
  for (const char* want :
       {"Verdict:  2 detectors fired: stranded_bytes (1 episode), gp_too_long (1 episode on "
        "my_srcu)",
        "  stranded_bytes  >= 3.91 KiB pending >= 1.00s, for 0s: 1 episode\n"
        "    #1 +2.00s to +4.00s (2.00s): peak at +3.00s\n"
        "       11.7 KiB pending >= 1.00s (limit 3.91 KiB) for 1.00s: inst_srcu 11.7 KiB (srcu "
        "my_srcu, waiting-gp)\n"
        "       involved: instances inst_srcu; grace periods my_srcu; CPUs 1,3\n",
        "    #1 my_srcu +5.00s to the end, still firing (0s): peak at +5.00s",
        "  callback_flood  >= 10.0k objects/s queued on a CPU: none"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  const auto j = to_json(r);
  EXPECT_EQ(j["verdict"]["detector_fired"], true);
  EXPECT_EQ(j["verdict"]["fired"], nlohmann::json({"stranded_bytes", "gp_too_long"}));
  EXPECT_EQ(j["detectors"][0]["detector"], "stranded_bytes");
  EXPECT_EQ(j["detectors"][0]["episodes"][0]["onset_ns"], 2 * kSec);
  EXPECT_EQ(j["detectors"][0]["episodes"][0]["at_peak"][0]["where"]["name"], "inst_srcu");
  EXPECT_EQ(j["detectors"][0]["episodes"][0]["at_peak"][0]["unit"], "bytes");
  EXPECT_EQ(j["detectors"][1]["episodes"][0]["ongoing"], true);
  EXPECT_EQ(j["detectors"][1]["episodes"][0]["subject"]["kind"], "grace_period");
}

TEST(Report, NoDetectorFiredAndCallSitesWhenEpisodesHaveThem) {
  Report r = run(scenario());  // snapshots without detections
  EXPECT_FALSE(r.any_detector_fired());
  EXPECT_NE(format_report(r).find("Verdict:  no detector fired"), std::string::npos);
  EXPECT_EQ(to_json(r)["verdict"]["fired"], nlohmann::json::array());

  ReportDetectorEpisode e;
  e.episode.call_sites = {
      {"bch2_btree_key_cache_drop <- bch2_trans_commit", "vda key cache[0]", 3 << 20, 0.75}};
  r.detectors[0].episodes.push_back(e);
  r.detectors[0].episodes_total = 1;
  EXPECT_TRUE(r.any_detector_fired());
  EXPECT_NE(format_report(r).find(
                "       queued by: 75% bch2_btree_key_cache_drop <- bch2_trans_commit (vda key "
                "cache[0])"),
            std::string::npos)
      << format_report(r);
  EXPECT_EQ(to_json(r)["detectors"][0]["episodes"][0]["call_sites"][0]["bytes"], 3 << 20);
  EXPECT_EQ(to_json(r)["detectors"][0]["episodes"][0]["call_sites"][0]["share"], 0.75);
}

}  // namespace
}  // namespace rcuwatch
