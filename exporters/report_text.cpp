#include "report_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "units.hpp"

namespace rcuwatch {

namespace {

// fmt, not "+" + std::string: GCC 12 at -O3 reports a false -Wrestrict in
// that operator+ (GCC bug 105329); userspace/units.cpp does the same.
std::string at(uint64_t ns) { return ns ? fmt::format("+{}", format_duration_ns(ns)) : "+0s"; }
// A duration that can be 0 (format_duration_ns shows 0 as "-", for "none").
std::string span(uint64_t ns) { return ns ? format_duration_ns(ns) : "0s"; }

std::string signed_at(int64_t ns) {
  return ns < 0 ? fmt::format("-{}", format_duration_ns(uint64_t(-ns))) : at(uint64_t(ns));
}

std::string bucket(const DurationBucket& b) {
  if (!b.high_ns) return "-";
  if (!b.low_ns) return fmt::format("<{}", format_duration_ns(b.high_ns));
  return format_duration_ns(b.low_ns) + "-" + format_duration_ns(b.high_ns);
}

std::string cpu_list(const std::vector<uint32_t>& cpus) {
  if (cpus.empty()) return "-";
  return fmt::format("{}", fmt::join(cpus, ","));
}

std::string objects_bytes(const Amount& a) {
  return fmt::format("{} / {}", a.objects, format_bytes(a.bytes));
}

std::string loss_line(const Losses& l) {
  std::string line = fmt::format(
      "{} ring-buffer drops, {} untracked objects, {} process mismatches, {} objects not per seq "
      "(map full)",
      l.ringbuf_drops, l.untracked_objects, l.process_mismatch, l.pending_map_full);
  // Stock kernels only: named when they happen.
  if (l.unsized_objects) line += fmt::format(", {} objects of unknown size", l.unsized_objects);
  if (l.nested_enqueues) line += fmt::format(", {} nested enqueues", l.nested_enqueues);
  if (l.queue_map_full)
    line += fmt::format(", {} enqueues not counted per CPU (map full)", l.queue_map_full);
  return line;
}

std::string episodes(uint64_t n) { return fmt::format("{} episode{}", n, n == 1 ? "" : "s"); }

// "2 detectors fired: stranded_bytes (1 episode), gp_too_long (1 episode on rpl_srcu)".
std::string verdict(const Report& r) {
  std::vector<std::string> fired;
  for (const auto& d : r.detectors) {
    if (!d.episodes_total) continue;
    std::vector<std::string> subjects;
    for (const auto& e : d.episodes)
      if (!e.episode.subject.name.empty() &&
          std::find(subjects.begin(), subjects.end(), e.episode.subject.name) == subjects.end())
        subjects.push_back(e.episode.subject.name);
    fired.push_back(fmt::format("{} ({}{}{})", to_string(d.detector), episodes(d.episodes_total),
                                subjects.empty() ? "" : " on ", fmt::join(subjects, ", ")));
  }
  if (fired.empty()) return "no detector fired";
  return fmt::format("{} detector{} fired: {}", fired.size(), fired.size() == 1 ? "" : "s",
                     fmt::join(fired, ", "));
}

std::string call_site_list(const std::vector<CallSite>& sites);

void detector_lines(const Report& r, const std::function<void(const std::string&)>& line) {
  line(
      "Detectors (an episode runs from its first sample at the limit to the first below it; "
      "evidence at its peak)");
  size_t w = 0;
  for (const auto& d : r.detectors) w = std::max(w, std::string(to_string(d.detector)).size());
  for (const auto& d : r.detectors) {
    line(fmt::format("  {:<{}}  {}: {}{}", to_string(d.detector), w, d.limit_text,
                     d.episodes_total ? episodes(d.episodes_total) : "none",
                     d.episodes_total > d.episodes.size()
                         ? fmt::format(", the {} longest shown", d.episodes.size())
                         : ""));
    int n = 0;
    for (const auto& re : d.episodes) {
      const DetectorEpisode& e = re.episode;
      const std::string end = re.ongoing ? "the end, still firing" : at(e.end_ns);
      const std::string firing =
          e.firing_ns != e.onset_ns ? fmt::format(", firing from {}", at(e.firing_ns)) : "";
      line(fmt::format("    #{} {}{} to {} ({}{}): peak at {}", ++n,
                       e.subject.name.empty() ? "" : e.subject.name + " ", at(e.onset_ns), end,
                       span(re.duration_ns), firing, at(e.peak_at_ns)));
      line("       " + re.summary);
      std::vector<std::string> where;
      if (!e.instances.empty())
        where.push_back(fmt::format("instances {}", fmt::join(e.instances, ", ")));
      if (!e.grace_periods.empty())
        where.push_back(fmt::format("grace periods {}", fmt::join(e.grace_periods, ", ")));
      if (!e.cpus.empty()) where.push_back(fmt::format("CPUs {}", cpu_list(e.cpus)));
      if (!where.empty()) line(fmt::format("       involved: {}", fmt::join(where, "; ")));
      if (!e.call_sites.empty())
        line(fmt::format("       queued by: {}", call_site_list(e.call_sites)));
    }
  }
}

// "62% rpl_enqueue_path_a <- rpl_thread <- kthread (rpl_srcu_process), ..."
std::string call_site_list(const std::vector<CallSite>& sites) {
  std::vector<std::string> parts;
  for (const auto& c : sites)
    parts.push_back(fmt::format("{} {} ({})", format_percent(c.share), c.function, c.instance));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string oom_victim(const OomKill& k) {
  return k.pid ? fmt::format("{} (pid {})", k.comm.empty() ? "?" : k.comm, k.pid)
               : std::string("victim unknown (event lost)");
}

// The OOM kills' first lines ("report puts it first") and their details.
void oom_headline(const Report& r, const std::function<void(const std::string&)>& line) {
  const size_t shown = std::min<size_t>(r.oom_kills.size(), 4);
  for (size_t i = 0; i < shown; i++)
    line(
        fmt::format("OOM kill: {} ({})", r.oom_kills[i].capture.summary, at(r.oom_kills[i].at_ns)));
  if (r.oom_kills_total > shown)
    line(fmt::format("OOM kill: {} more, listed below", r.oom_kills_total - shown));
}

void oom_lines(const Report& r, const std::function<void(const std::string&)>& line) {
  line(fmt::format("OOM kills (what rcu_pending held when the OOM killer chose a victim): {}",
                   r.oom_kills_total));
  int n = 0;
  for (const auto& k : r.oom_kills) {
    const OomCapture& c = k.capture;
    line(
        fmt::format("  #{} {} {} on CPU {}: {} in {} objects pending, {} waiting for a grace "
                    "period, oldest {}",
                    ++n, at(k.at_ns), oom_victim(c.kill), c.kill.cpu, format_bytes(c.pending_bytes),
                    c.pending_objects, format_bytes(c.waiting_gp_bytes), span(c.oldest_age_ns)));
    std::vector<std::string> parts;
    for (const auto& i : c.instances)
      parts.push_back(fmt::format("{} {} ({} {}, {} waiting-gp, oldest {})", i.name,
                                  format_bytes(i.bytes), to_string(i.flavor), i.grace_period,
                                  format_bytes(i.waiting_gp_bytes), span(i.oldest_age_ns)));
    if (!parts.empty()) line(fmt::format("     instances: {}", fmt::join(parts, ", ")));
    parts.clear();
    for (const auto& g : c.grace_periods)
      parts.push_back(g.in_progress
                          ? fmt::format("{} running for {} ({} waiting)", g.name,
                                        span(g.running_ns), format_bytes(g.waiting_bytes))
                          : fmt::format("{} idle, last ended {} before ({} waiting)", g.name,
                                        span(g.since_last_end_ns), format_bytes(g.waiting_bytes)));
    if (!parts.empty()) line(fmt::format("     grace periods: {}", fmt::join(parts, "; ")));
    parts.clear();
    for (const auto& [cpu, bytes] : c.cpu_bytes)
      parts.push_back(fmt::format("{} {}", cpu, format_bytes(bytes)));
    if (!parts.empty()) line(fmt::format("     CPUs: {}", fmt::join(parts, ", ")));
    parts.clear();
    for (const auto& q : c.seqs)
      parts.push_back(fmt::format("{} seq {} {} {} on {} CPU{} {}", q.instance_name,
                                  q.seq ? std::to_string(int64_t(q.seq)) : "expired",
                                  span(q.age_ns), format_bytes(q.bytes), q.cpus,
                                  q.cpus == 1 ? "" : "s", to_string(q.state)));
    if (!parts.empty()) line(fmt::format("     oldest seqs: {}", fmt::join(parts, "; ")));
    if (!c.call_sites.empty())
      line(fmt::format("     queued by: {}", call_site_list(c.call_sites)));
    if (!c.firing.empty()) line(fmt::format("     firing: {}", fmt::join(c.firing, ", ")));
  }
}

void call_site_lines(const Report& r, const std::function<void(const std::string&)>& line) {
  line(fmt::format(
      "Call sites (kernel stacks sampled at enqueue, about one per {} per CPU; bytes are "
      "estimates, since rcuwatch attached)",
      format_bytes(int64_t(r.call_site_sample_bytes))));
  std::string instance;
  for (const auto& c : r.call_sites) {
    if (c.instance != instance) {
      instance = c.instance;
      line(fmt::format("  {}", instance));
    }
    line(fmt::format("    {:>4} {:>10} {:>6} samples  {}{}", format_percent(c.share),
                     format_bytes(int64_t(c.bytes)), c.samples, c.path,
                     c.fed.empty() ? "" : fmt::format("  fed {}", fmt::join(c.fed, ", "))));
  }
  if (r.call_sites.empty()) line("  none sampled");
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
  oom_headline(r, line);
  if (!src.error.empty())
    line(fmt::format("WARNING: input ended early ({}); this covers the {} samples before",
                     src.error, src.samples));
  if (any_loss(r.losses))
    line(fmt::format("WARNING: rcuwatch lost data: {}; counts below may be inexact (see Losses)",
                     loss_line(r.losses)));
  line("");
  line(fmt::format("Verdict:  {}", verdict(r)));
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

  if (r.oom_kills_total) {
    line("");
    oom_lines(r, line);
  }

  line("");
  detector_lines(r, line);

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

  if (r.call_site_sample_bytes || !r.call_sites.empty()) {
    line("");
    call_site_lines(r, line);
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
        objects_bytes(i.enqueued), objects_bytes(i.processed), objects_bytes(i.dequeued),
        format_bytes(i.peak_pending_bytes), i.peak_pending_bytes ? at(i.peak_at_ns) : "-",
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

}  // namespace rcuwatch
