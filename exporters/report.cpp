#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "units.hpp"

namespace rcuwatch {

namespace {

constexpr uint64_t kUs = 1000;

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

}  // namespace

bool any_loss(const Losses& l) {
  return l.ringbuf_drops || l.pending_map_full || l.process_mismatch || l.untracked_objects;
}

DurationBucket histogram_percentile(const std::array<uint64_t, 32>& hist, double p) {
  uint64_t count = 0;
  for (uint64_t c : hist) count += c;
  if (!count) return {};
  const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(p * double(count))));
  uint64_t cumulative = 0;
  size_t i = 0;
  for (; i < hist.size(); i++) {
    cumulative += hist[i];
    if (cumulative >= rank) break;
  }
  i = std::min(i, hist.size() - 1);
  // bpf/rcuwatch.bpf.c log2_bucket(): bucket i is [2^i, 2^(i+1)) us, bucket 0 also < 1 us.
  return {i == 0 ? 0 : (uint64_t(1) << i) * kUs, (uint64_t(2) << i) * kUs};
}

ReportBuilder::ReportBuilder(ReportOptions options) : options_(options) {
  report_.stranded_age_ns = options_.stranded_age_ns;
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
    r.enqueued_objects = i.enqueued_objects.total;
    r.enqueued_bytes = i.enqueued_bytes.total;
    r.processed_objects = i.processed_objects.total;
    r.processed_bytes = i.processed_bytes.total;
    r.dequeued_objects = i.dequeued_objects.total;
    r.dequeued_bytes = i.dequeued_bytes.total;
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
    open_.emplace();
    open_->episode.start_ns = now;
    open_->episode.oldest_enqueued_ns = int64_t(now) - int64_t(s.totals.oldest_age_ns);
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
    stranded[q.instance][state_index(q.state)] += q.bytes;
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
      bytes += by_state[i];
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
    for (uint64_t c : g.duration_hist_us_log2) out.histogram_count += c;
    if (out.histogram_count) out.mean_duration_ns = g.duration_sum_ns / out.histogram_count;
    out.p50 = histogram_percentile(g.duration_hist_us_log2, 0.50);
    out.p99 = histogram_percentile(g.duration_hist_us_log2, 0.99);
    out.max = histogram_percentile(g.duration_hist_us_log2, 1.0);
    out.longest_gap_ns = acc.longest_gap_ns;
    out.since_last_end_ns = g.since_last_end_ns;
    out.in_progress = g.in_progress;
    r.grace_periods.push_back(std::move(out));
  }
  return r;  // grace periods by key: RCU (0) first
}

// ---------------------------------------------------------------- text

namespace {

std::string at(uint64_t ns) { return ns ? "+" + format_duration_ns(ns) : "+0s"; }
// A duration that can be 0 (format_duration_ns shows 0 as "-", for "none").
std::string span(uint64_t ns) { return ns ? format_duration_ns(ns) : "0s"; }

std::string signed_at(int64_t ns) {
  return ns < 0 ? "-" + format_duration_ns(uint64_t(-ns)) : at(uint64_t(ns));
}

std::string bucket(const DurationBucket& b) {
  if (!b.high_ns) return "-";
  if (!b.low_ns) return "<" + format_duration_ns(b.high_ns);
  return format_duration_ns(b.low_ns) + "-" + format_duration_ns(b.high_ns);
}

std::string cpu_list(const std::vector<uint32_t>& cpus) {
  if (cpus.empty()) return "-";
  return fmt::format("{}", fmt::join(cpus, ","));
}

std::string objects_bytes(uint64_t objects, uint64_t bytes) {
  return fmt::format("{} / {}", objects, format_bytes(bytes));
}

std::string loss_line(const Losses& l) {
  return fmt::format(
      "{} ring-buffer drops, {} untracked objects, {} process mismatches, {} objects not per seq "
      "(map full)",
      l.ringbuf_drops, l.untracked_objects, l.process_mismatch, l.pending_map_full);
}

}  // namespace

std::string format_report(const Report& r) {
  std::string out;
  auto line = [&out](const std::string& s) {
    out += s;
    out += '\n';
  };
  size_t name_w = 8, gp_w = 12;
  for (const auto& i : r.instances) {
    name_w = std::max(name_w, i.name.size());
    gp_w = std::max(gp_w, i.grace_period.size());
  }
  for (const auto& g : r.grace_periods) gp_w = std::max(gp_w, g.name.size());
  const ReportSource& src = r.source;
  line(fmt::format("rcuwatch report: {}", src.description));
  if (!src.error.empty())
    line(fmt::format("WARNING: input ended early ({}); this covers the {} samples before",
                     src.error, src.samples));
  if (any_loss(r.losses))
    line(fmt::format("WARNING: rcuwatch lost data: {}; counts below may be inexact (see Losses)",
                     loss_line(r.losses)));
  line("");
  const std::string interval =
      src.samples < 2 ? "-"
      : src.min_interval_ns / 1'000'000 == src.max_interval_ns / 1'000'000
          ? format_duration_ns(src.max_interval_ns)
          : format_duration_ns(src.min_interval_ns) + "-" + format_duration_ns(src.max_interval_ns);
  line(fmt::format(
      "Source:   kernel {}, {} CPUs, {} samples over {} (interval {}); times are from the "
      "first sample",
      src.kernel_release.empty() ? "?" : src.kernel_release, src.nr_cpus, src.samples,
      format_duration_ns(src.span_ns), interval));
  std::string top;
  if (!r.peak.top_instance.empty())
    top = fmt::format(", most in {} ({})", r.peak.top_instance,
                      format_bytes(r.peak.top_instance_bytes));
  line(fmt::format("Peak:     {} in {} objects at {}{}; most objects {} at {}",
                   format_bytes(r.peak.bytes), r.peak.objects, at(r.peak.at_ns), top,
                   r.peak_objects, at(r.peak_objects_at_ns)));
  line(fmt::format("Final:    {} in {} objects{}", format_bytes(r.final_bytes), r.final_objects,
                   r.final_objects ? ", oldest " + format_duration_ns(r.final_oldest_age_ns) : ""));
  line(fmt::format("Losses:   {}", loss_line(r.losses)));

  line("");
  line(fmt::format("Stranded episodes (oldest pending >= {}): {}{}",
                   format_duration_ns(r.stranded_age_ns), r.episodes_total,
                   r.episodes_total > r.episodes.size()
                       ? fmt::format(", the {} longest shown", r.episodes.size())
                       : ""));
  int n = 0;
  for (const auto& e : r.episodes) {
    line(fmt::format(
        "  #{} {} to {} ({}{}): peak {} in {} objects at {}, oldest waited {} "
        "(enqueued at {})",
        ++n, at(e.start_ns), at(e.end_ns), span(e.duration_ns),
        e.ongoing ? ", still stranded at the end" : "", format_bytes(e.peak_bytes), e.peak_objects,
        at(e.peak_at_ns), format_duration_ns(e.max_age_ns), signed_at(e.oldest_enqueued_ns)));
    line(fmt::format("     {}: {}", to_string(e.state),
                     e.state == SeqState::GracePeriodElapsed
                         ? "the grace periods had ended; processing the objects was slow, not RCU"
                     : e.state == SeqState::Expired ? "objects on the expired list"
                                                    : "the seqs' grace period had not completed"));
    for (const auto& g : e.grace_periods)
      line(fmt::format("     grace period {} ({}): {}", g.name, to_string(g.flavor),
                       g.completed ? fmt::format("{} completed during the episode", g.completed)
                                   : std::string("none completed during the episode")));
    for (const auto& i : e.instances)
      line(fmt::format("     {:<{}} {:<5} {:<{}} stranded peak {:>10}  {}", i.name, name_w,
                       to_string(i.flavor), i.grace_period, gp_w,
                       format_bytes(i.peak_stranded_bytes), to_string(i.state)));
  }

  line("");
  line(
      "Instances (objects / bytes since rcuwatch attached; MAX AGE: the longest a seq waited, on "
      "CPUS)");
  const auto instance_row = [&](auto&&... cols) {
    return fmt::format("{:<{}} {:<5} {:<8} {:<{}} {:>18} {:>18} {:>18} {:>10} {:>8} {:>8} {}",
                       cols...);
  };
  line(instance_row("INSTANCE", name_w, "FLAV", "MODE", "GRACE PERIOD", gp_w, "ENQUEUED",
                    "PROCESSED", "DEQUEUED", "PEAK", "PEAK AT", "MAX AGE", "CPUS"));
  for (const auto& i : r.instances)
    line(instance_row(
        i.name, name_w, to_string(i.flavor), to_string(i.mode), i.grace_period, gp_w,
        objects_bytes(i.enqueued_objects, i.enqueued_bytes),
        objects_bytes(i.processed_objects, i.processed_bytes),
        objects_bytes(i.dequeued_objects, i.dequeued_bytes), format_bytes(i.peak_pending_bytes),
        i.peak_pending_bytes ? at(i.peak_at_ns) : "-",
        i.max_seq_age_ns ? format_duration_ns(i.max_seq_age_ns) : "-", cpu_list(i.max_age_cpus)));

  line("");
  line(
      "Grace periods (since rcuwatch attached; P50/P99/MAX are bucketed: the log2 histogram bucket "
      "holding them)");
  const auto gp_row = [&](auto&&... cols) {
    return fmt::format("{:<{}} {:<5} {:>9} {:>7} {:>7} {:>13} {:>13} {:>13} {:>11} {}", cols...);
  };
  line(gp_row("GRACE PERIOD", gp_w, "FLAV", "COMPLETED", "RATE/s", "MEAN", "P50", "P99", "MAX",
              "LONGEST GAP", "AT THE LAST SAMPLE"));
  for (const auto& g : r.grace_periods)
    line(gp_row(g.name, gp_w, to_string(g.flavor), g.completed, fmt::format("{:.1f}", g.per_sec),
                g.histogram_count ? format_duration_ns(g.mean_duration_ns) : "-", bucket(g.p50),
                bucket(g.p99), bucket(g.max), format_duration_ns(g.longest_gap_ns),
                fmt::format("{}{}",
                            g.completed ? "last ended " + format_duration_ns(g.since_last_end_ns) +
                                              " before"
                                        : "none ended",
                            g.in_progress ? ", one in progress" : "")));
  return out;
}

// ---------------------------------------------------------------- JSON

namespace {

nlohmann::json bucket_json(const DurationBucket& b) {
  return {{"low_ns", b.low_ns}, {"high_ns", b.high_ns}};
}

}  // namespace

nlohmann::json to_json(const Report& r) {
  using nlohmann::json;
  json j;
  const ReportSource& src = r.source;
  j["source"] = {{"description", src.description},
                 {"kernel_release", src.kernel_release},
                 {"nr_cpus", src.nr_cpus},
                 {"first_sample_ns", src.first_sample_ns},
                 {"span_ns", src.span_ns},
                 {"samples", src.samples},
                 {"min_interval_ns", src.min_interval_ns},
                 {"max_interval_ns", src.max_interval_ns}};
  if (!src.error.empty()) j["source"]["error"] = src.error;
  j["stranded_age_ns"] = r.stranded_age_ns;
  j["peak"] = {{"bytes", r.peak.bytes},
               {"objects", r.peak.objects},
               {"at_ns", r.peak.at_ns},
               {"top_instance", r.peak.top_instance},
               {"top_instance_bytes", r.peak.top_instance_bytes}};
  j["peak_objects"] = {{"objects", r.peak_objects}, {"at_ns", r.peak_objects_at_ns}};
  j["final"] = {{"bytes", r.final_bytes},
                {"objects", r.final_objects},
                {"oldest_age_ns", r.final_oldest_age_ns}};
  j["instances"] = json::array();
  for (const auto& i : r.instances)
    j["instances"].push_back({{"instance", fmt::format("{:#x}", i.instance)},
                              {"name", i.name},
                              {"flavor", to_string(i.flavor)},
                              {"grace_period", i.grace_period},
                              {"mode", to_string(i.mode)},
                              {"enqueued_objects", i.enqueued_objects},
                              {"enqueued_bytes", i.enqueued_bytes},
                              {"processed_objects", i.processed_objects},
                              {"processed_bytes", i.processed_bytes},
                              {"dequeued_objects", i.dequeued_objects},
                              {"dequeued_bytes", i.dequeued_bytes},
                              {"list_objects", i.list_objects},
                              {"untracked_objects", i.untracked_objects},
                              {"peak_pending_bytes", i.peak_pending_bytes},
                              {"peak_at_ns", i.peak_at_ns},
                              {"final_pending_bytes", i.final_pending_bytes},
                              {"max_seq_age_ns", i.max_seq_age_ns},
                              {"max_age_seq", i.max_age_seq},
                              {"max_age_at_ns", i.max_age_at_ns},
                              {"max_age_cpus", i.max_age_cpus}});
  j["episodes_total"] = r.episodes_total;
  j["episodes"] = json::array();
  for (const auto& e : r.episodes) {
    json ei = json::array();
    for (const auto& i : e.instances)
      ei.push_back({{"name", i.name},
                    {"flavor", to_string(i.flavor)},
                    {"grace_period", i.grace_period},
                    {"peak_stranded_bytes", i.peak_stranded_bytes},
                    {"state", to_string(i.state)}});
    json eg = json::array();
    for (const auto& g : e.grace_periods)
      eg.push_back({{"name", g.name}, {"flavor", to_string(g.flavor)}, {"completed", g.completed}});
    j["episodes"].push_back({{"start_ns", e.start_ns},
                             {"end_ns", e.end_ns},
                             {"duration_ns", e.duration_ns},
                             {"ongoing", e.ongoing},
                             {"oldest_enqueued_ns", e.oldest_enqueued_ns},
                             {"max_age_ns", e.max_age_ns},
                             {"peak_bytes", e.peak_bytes},
                             {"peak_objects", e.peak_objects},
                             {"peak_at_ns", e.peak_at_ns},
                             {"state", to_string(e.state)},
                             {"instances", ei},
                             {"grace_periods", eg}});
  }
  j["grace_periods"] = json::array();
  for (const auto& g : r.grace_periods)
    j["grace_periods"].push_back({{"name", g.name},
                                  {"flavor", to_string(g.flavor)},
                                  {"completed", g.completed},
                                  {"completed_in_span", g.completed_in_span},
                                  {"per_sec", g.per_sec},
                                  {"histogram_count", g.histogram_count},
                                  {"mean_duration_ns", g.mean_duration_ns},
                                  {"duration_bucketed", true},
                                  {"p50_ns", bucket_json(g.p50)},
                                  {"p99_ns", bucket_json(g.p99)},
                                  {"max_ns", bucket_json(g.max)},
                                  {"longest_gap_ns", g.longest_gap_ns},
                                  {"since_last_end_ns", g.since_last_end_ns},
                                  {"in_progress", g.in_progress}});
  j["losses"] = {{"any", any_loss(r.losses)},
                 {"ringbuf_drops", r.losses.ringbuf_drops},
                 {"untracked_objects", r.losses.untracked_objects},
                 {"process_mismatch", r.losses.process_mismatch},
                 {"pending_map_full", r.losses.pending_map_full},
                 {"events", r.losses.events}};
  return j;
}

}  // namespace rcuwatch
