#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "saturating.hpp"

namespace rcuwatch {

namespace {

size_t state_index(SeqState s) { return static_cast<size_t>(s); }

SeqState dominant(const std::array<double, 3>& weight) {
  size_t best = 0;
  for (size_t i = 1; i < weight.size(); i++)
    if (weight[i] > weight[best]) best = i;
  return static_cast<SeqState>(best);
}

// Keeps at most `max` episodes, dropping the shortest: a bug report wants the worst.
void keep_episode(Report& r, Episode e, size_t max) {
  r.episodes_total++;
  r.episodes.push_back(std::move(e));
  if (r.episodes.size() <= max) return;
  auto shortest = std::min_element(
      r.episodes.begin(), r.episodes.end(),
      [](const Episode& a, const Episode& b) { return a.duration_ns < b.duration_ns; });
  r.episodes.erase(shortest);
}

Amount amount(const Flow& f) { return {f.objects.total, f.bytes.total}; }

// Keeps at most `max` detector episodes, dropping the shortest.
void keep_detector_episode(ReportDetector& d, ReportDetectorEpisode e, size_t max) {
  d.episodes_total++;
  d.episodes.push_back(std::move(e));
  if (d.episodes.size() <= max) return;
  d.episodes.erase(
      std::min_element(d.episodes.begin(), d.episodes.end(),
                       [](const auto& a, const auto& b) { return a.duration_ns < b.duration_ns; }));
}

// Per instance (in the report's order), its largest call paths at the last
// sample, each with the detector episodes it queued memory for, numbered as
// the report lists them.
std::vector<ReportCallSite> report_call_sites(const Report& r,
                                              const std::vector<CallSiteRow>& rows) {
  std::vector<ReportCallSite> out;
  std::vector<std::string> order;
  for (const auto& i : r.instances) order.push_back(i.name);
  for (const auto& row : rows)  // instances without a report row, last
    if (std::find(order.begin(), order.end(), row.instance_name) == order.end())
      order.push_back(row.instance_name);
  for (const auto& name : order) {
    size_t n = 0;
    for (const auto& row : rows) {  // largest first
      if (row.instance_name != name || n++ >= kReportCallSitesPerInstance) continue;
      ReportCallSite c{row.instance_name, row.function, row.path,  row.frames, row.bytes.total,
                       row.objects.total, row.samples,  row.share, {}};
      for (const auto& d : r.detectors)
        for (size_t k = 0; k < d.episodes.size(); k++) {
          const DetectorEpisode& e = d.episodes[k].episode;
          const bool fed =
              std::any_of(e.call_sites.begin(), e.call_sites.end(), [&](const auto& s) {
                return s.instance == row.instance_name && s.function == row.path;
              });
          if (fed)
            c.fed.push_back(fmt::format("{} #{}{}", to_string(d.detector), k + 1,
                                        e.subject.name.empty() ? "" : " (" + e.subject.name + ")"));
        }
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace

ReportBuilder::ReportBuilder(ReportOptions options) : options_(options) {
  report_.stranded_age_ns = options_.stranded_age_ns;
  for (Detector d : kDetectors) {
    ReportDetector r;
    r.detector = d;
    report_.detectors.push_back(r);
  }
}

bool Report::any_detector_fired() const {
  return std::any_of(detectors.begin(), detectors.end(),
                     [](const ReportDetector& d) { return d.episodes_total > 0; });
}

void ReportBuilder::set_source(const std::string& description, const std::string& kernel_release) {
  report_.source.description = description;
  report_.source.kernel_release = kernel_release;
}

void ReportBuilder::set_error(const std::string& message) { report_.source.error = message; }

void ReportBuilder::add(const Snapshot& s) {
  ReportSource& src = report_.source;
  const bool first = src.samples == 0;
  if (first) {
    src.first_sample_ns = s.time_ns;
    if (src.description.empty()) src.description = s.source;
  } else {
    const uint64_t iv = s.time_ns > last_time_ns_ ? s.time_ns - last_time_ns_ : 0;
    src.min_interval_ns = src.samples == 1 ? iv : std::min(src.min_interval_ns, iv);
    src.max_interval_ns = std::max(src.max_interval_ns, iv);
  }
  src.samples++;
  src.nr_cpus = std::max(src.nr_cpus, s.nr_cpus);
  src.span_ns = rel(s.time_ns);
  last_time_ns_ = s.time_ns;

  const Totals& t = s.totals;
  if (first || t.pending_bytes > report_.peak.bytes) {
    ReportPeak& p = report_.peak;
    p.bytes = t.pending_bytes;
    p.objects = t.pending_objects;
    p.at_ns = rel(s.time_ns);
    const bool top = !s.instances.empty() && s.instances.front().pending_bytes > 0;
    p.top_instance = top ? s.instances.front().name : "";
    p.top_instance_bytes = top ? s.instances.front().pending_bytes : 0;
  }
  if (first || t.pending_objects > report_.peak_objects) {
    report_.peak_objects = t.pending_objects;
    report_.peak_objects_at_ns = rel(s.time_ns);
  }
  report_.final_bytes = t.pending_bytes;
  report_.final_objects = t.pending_objects;
  report_.final_oldest_age_ns = t.oldest_age_ns;
  report_.losses = s.losses;
  for (const OomCapture& c : s.oom_captures) {
    report_.oom_kills_total++;
    if (report_.oom_kills.size() < kMaxReportOomKills)
      report_.oom_kills.push_back({c, rel(s.time_ns)});
  }
  if (!s.call_sites.empty() || s.call_site_sample_bytes) {
    call_sites_ = s.call_sites;
    report_.call_site_sample_bytes = s.call_site_sample_bytes;
  }

  for (const auto& g : s.grace_periods) {
    auto [it, inserted] = grace_periods_.try_emplace(g.key);
    GpAcc& acc = it->second;
    // A flavor absent from the first sample had no grace period yet: its
    // BPF entry is created by its first one (grace_period() in rcuwatch.bpf.c).
    if (inserted) acc.completed_at_first = first ? g.completed.total : 0;
    acc.last = g;
    acc.longest_gap_ns = std::max(acc.longest_gap_ns, g.since_last_end_ns);
  }

  for (auto& [addr, acc] : instances_) acc.row.final_pending_bytes = 0;
  for (const auto& i : s.instances) {
    InstanceAcc& acc = instances_[i.instance];
    ReportInstance& r = acc.row;
    acc.srcu = i.srcu;
    r.instance = i.instance;
    r.name = i.name;
    r.flavor = i.flavor;
    r.mode = i.mode;
    r.enqueued = amount(i.enqueued);
    r.processed = amount(i.processed);
    r.dequeued = amount(i.dequeued);
    r.list_objects = i.list_objects;
    r.untracked_objects = i.untracked_objects;
    r.final_pending_bytes = i.pending_bytes;
    if (i.pending_bytes > r.peak_pending_bytes) {
      r.peak_pending_bytes = i.pending_bytes;
      r.peak_at_ns = rel(s.time_ns);
    }
  }

  // The oldest seq of each instance; then, in one pass, the CPUs holding it.
  struct OldestSeq {
    uint64_t seq;
    bool expired;
  };
  std::map<uint64_t, OldestSeq> new_oldest;
  for (const auto& q : s.seqs) {
    ReportInstance& r = instances_[q.instance].row;
    if (q.age_ns <= r.max_seq_age_ns) continue;
    if (r.name.empty()) r.name = q.instance_name;
    r.max_seq_age_ns = q.age_ns;
    r.max_age_seq = q.seq;
    r.max_age_at_ns = rel(s.time_ns);
    r.max_age_cpus.clear();
    new_oldest[q.instance] = {q.seq, q.state == SeqState::Expired};
  }
  if (!new_oldest.empty())
    for (const auto& row : s.seq_cpus) {
      auto it = new_oldest.find(row.instance);
      if (it == new_oldest.end() || it->second.seq != row.seq ||
          it->second.expired != (row.state == SeqState::Expired))
        continue;
      instances_[row.instance].row.max_age_cpus.push_back(row.cpu);
    }

  update_episode(s);

  detector_limits_ = s.detections.limits;
  for (const DetectorEpisode& e : s.detections.ended)
    keep_detector_episode(report_.detectors[size_t(e.detector)], report_episode(e, false),
                          options_.max_episodes);
  firing_.clear();
  for (const DetectorState& st : s.detections.states)
    if (st.firing && st.episode) firing_.push_back(*st.episode);
}

ReportDetectorEpisode ReportBuilder::report_episode(const DetectorEpisode& e, bool ongoing) const {
  ReportDetectorEpisode r;
  r.ongoing = ongoing;
  r.episode = e;
  r.episode.onset_ns = rel(e.onset_ns);
  r.episode.firing_ns = rel(e.firing_ns);
  r.episode.peak_at_ns = rel(e.peak_at_ns);
  r.episode.end_ns = ongoing ? 0 : rel(e.end_ns);
  r.duration_ns = (ongoing ? report_.source.span_ns : r.episode.end_ns) - r.episode.onset_ns;
  r.summary = describe(e.detector, e.subject, e.peak, e.at_peak, e.peak_at_ns - e.onset_ns,
                       detector_limits_);
  return r;
}

void ReportBuilder::update_episode(const Snapshot& s) {
  const uint64_t threshold = options_.stranded_age_ns;
  const uint64_t now = rel(s.time_ns);
  if (s.totals.oldest_age_ns < threshold) {
    if (open_) {
      keep_episode(report_, finalize(*open_, now, false), options_.max_episodes);
      open_.reset();
    }
    return;
  }
  if (!open_) {
    // Not emplace(): clang 14 takes the nested struct, whose members have
    // default initializers, for not default-constructible (CWG 1397).
    open_ = OpenEpisode{};
    open_->episode.start_ns = now;
    open_->episode.oldest_enqueued_ns =
        saturating_sub(int64_t(std::min<uint64_t>(now, INT64_MAX)),
                       int64_t(std::min<uint64_t>(s.totals.oldest_age_ns, INT64_MAX)));
    for (const auto& [key, gp] : grace_periods_)
      open_->completed_at_start[key] = gp.last.completed.total;
  }
  OpenEpisode& o = *open_;
  Episode& e = o.episode;
  e.max_age_ns = std::max(e.max_age_ns, s.totals.oldest_age_ns);
  if (s.totals.pending_bytes > e.peak_bytes) {
    e.peak_bytes = s.totals.pending_bytes;
    e.peak_objects = s.totals.pending_objects;
    e.peak_at_ns = now;
  }
  for (const auto& [key, gp] : grace_periods_) o.completed_at_last[key] = gp.last.completed.total;

  // Stranded bytes per instance and seq state at this sample. States are weighted by bytes: a bug
  // report names what held the memory, not what held one object.
  std::map<uint64_t, std::array<int64_t, 3>> stranded;
  for (const auto& q : s.seqs) {
    if (q.age_ns < threshold) continue;
    add_to(stranded[q.instance][state_index(q.state)], q.bytes);
  }
  for (const auto& [addr, by_state] : stranded) {
    EpisodeInstanceAcc& acc = o.instances[addr];
    const auto inst = instances_.find(addr);
    if (inst != instances_.end()) {
      acc.row.name = inst->second.row.name;
      acc.row.flavor = inst->second.row.flavor;
    }
    int64_t bytes = 0;
    for (size_t i = 0; i < by_state.size(); i++) {
      add_to(bytes, by_state[i]);
      acc.state_weight[i] += double(by_state[i]);
      o.state_weight[i] += double(by_state[i]);
    }
    acc.row.peak_stranded_bytes = std::max(acc.row.peak_stranded_bytes, bytes);
  }
}

Episode ReportBuilder::finalize(const OpenEpisode& o, uint64_t end_ns, bool ongoing) const {
  Episode e = o.episode;
  e.end_ns = end_ns;
  e.duration_ns = end_ns - e.start_ns;
  e.ongoing = ongoing;
  e.state = dominant(o.state_weight);
  std::map<uint64_t, bool> flavors;  // srcu key -> seen
  for (const auto& [addr, acc] : o.instances) {
    EpisodeInstance row = acc.row;
    row.state = dominant(acc.state_weight);
    const auto inst = instances_.find(addr);
    const uint64_t key = inst != instances_.end() ? inst->second.srcu : 0;
    row.grace_period = grace_period_name(key);
    flavors[key] = true;
    e.instances.push_back(std::move(row));
  }
  std::stable_sort(e.instances.begin(), e.instances.end(),
                   [](const EpisodeInstance& a, const EpisodeInstance& b) {
                     return a.peak_stranded_bytes > b.peak_stranded_bytes;
                   });
  for (const auto& [key, seen] : flavors) {
    EpisodeGracePeriod g;
    g.name = grace_period_name(key);
    g.flavor = key ? Flavor::Srcu : Flavor::Rcu;
    const auto start = o.completed_at_start.find(key);
    const auto last = o.completed_at_last.find(key);
    const uint64_t before = start != o.completed_at_start.end() ? start->second : 0;
    const uint64_t after = last != o.completed_at_last.end() ? last->second : before;
    g.completed = after >= before ? after - before : 0;
    e.grace_periods.push_back(std::move(g));
  }
  return e;
}

std::string ReportBuilder::grace_period_name(uint64_t key) const {
  const auto it = grace_periods_.find(key);
  if (it != grace_periods_.end()) return it->second.last.name;
  return key ? fmt::format("{:#x}", key) : "rcu";
}

Report ReportBuilder::finish() const {
  Report r = report_;
  if (open_) keep_episode(r, finalize(*open_, r.source.span_ns, true), options_.max_episodes);
  for (const DetectorEpisode& e : firing_)
    keep_detector_episode(r.detectors[size_t(e.detector)], report_episode(e, true),
                          options_.max_episodes);
  for (ReportDetector& d : r.detectors) {
    d.limit = limit_of(d.detector, detector_limits_);
    d.limit_text = describe_limit(d.detector, detector_limits_);
    d.firing_at_end = std::any_of(firing_.begin(), firing_.end(), [&](const DetectorEpisode& e) {
      return e.detector == d.detector;
    });
    std::sort(d.episodes.begin(), d.episodes.end(),
              [](const auto& a, const auto& b) { return a.episode.onset_ns < b.episode.onset_ns; });
  }
  std::sort(r.episodes.begin(), r.episodes.end(),
            [](const Episode& a, const Episode& b) { return a.start_ns < b.start_ns; });

  for (const auto& [addr, acc] : instances_) {
    ReportInstance row = acc.row;
    row.grace_period = grace_period_name(acc.srcu);
    std::sort(row.max_age_cpus.begin(), row.max_age_cpus.end());
    r.instances.push_back(std::move(row));
  }
  std::stable_sort(
      r.instances.begin(), r.instances.end(), [](const ReportInstance& a, const ReportInstance& b) {
        return std::tie(b.peak_pending_bytes, a.name) < std::tie(a.peak_pending_bytes, b.name);
      });
  r.call_sites = report_call_sites(r, call_sites_);

  for (const auto& [key, acc] : grace_periods_) {
    const GracePeriodStats& g = acc.last;
    ReportGracePeriod out;
    out.name = g.name;
    out.flavor = g.flavor;
    out.key = key;
    out.completed = g.completed.total;
    out.completed_in_span = g.completed.total >= acc.completed_at_first
                                ? g.completed.total - acc.completed_at_first
                                : 0;
    if (r.source.span_ns)
      out.per_sec = double(out.completed_in_span) / (double(r.source.span_ns) / 1e9);
    out.histogram_count = g.durations.count();
    if (out.histogram_count) out.mean_duration_ns = g.durations.sum_ns / out.histogram_count;
    out.p50 = g.durations.percentile(0.50);
    out.p99 = g.durations.percentile(0.99);
    out.max = g.durations.percentile(1.0);
    out.longest_gap_ns = acc.longest_gap_ns;
    out.since_last_end_ns = g.since_last_end_ns;
    out.in_progress = g.in_progress;
    r.grace_periods.push_back(std::move(out));
  }
  return r;  // grace periods by key: RCU (0) first
}

}  // namespace rcuwatch
