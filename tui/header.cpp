#include "header.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "detectors.hpp"
#include "units.hpp"

namespace rcuwatch::tui {

namespace {

Line title_line(const Snapshot& s, const HeaderContext& context) {
  Line line;
  line.add("rcuwatch top - " + context.clock, Style::Title);
  const bool replay = s.source_progress >= 0;
  std::string source = s.source;
  if (!s.attachment.mode.empty()) source += " via " + s.attachment.mode;
  if (replay) source += fmt::format(" {}", format_percent(s.source_progress));  // GCC bug 105329
  // A replay steps through the recorded intervals, a remote exporter through
  // its own; -d paces live sampling.
  const std::string interval = replay ? format_duration_ns(s.interval_ns) + " recorded"
                               : context.paced_by_source
                                   ? format_duration_ns(s.interval_ns) + " remote"
                                   : format_seconds(context.delay_seconds);
  // The states first: a long replay path may be cut at the right edge.
  if (context.paused) line.add("  PAUSED", Style::Warn);
  if (context.finished) line.add("  END OF RECORDING", Style::Warn);
  if (!context.source_problem.empty())
    line.add("  DISCONNECTED (" + context.source_problem + "), retrying", Style::Crit);
  line.add(fmt::format("  {}  {} CPUs  interval {}", source, s.nr_cpus, interval));
  return line;
}

Line pending_line(const Snapshot& s, const Thresholds& thresholds) {
  const Totals& t = s.totals;
  Line line;
  line.add("Pending: ", Style::Label);
  line.add(format_bytes(t.pending_bytes), style_for(bytes_severity(t.pending_bytes, thresholds)));
  line.add(fmt::format(" in {} objects, {}, oldest ", t.pending_objects,
                       format_bytes_rate(t.pending_bytes_per_sec)));
  line.add(format_duration_ns(t.oldest_age_ns),
           style_for(age_severity(t.oldest_age_ns, thresholds)));
  line.add(fmt::format(", list fallbacks {} ({} objects)", t.list_fallbacks, t.list_objects));
  return line;
}

Line flow_line(const Snapshot& s) {
  const Totals& t = s.totals;
  Line line;
  line.add("Objects/s: ", Style::Label);
  line.add(fmt::format(
      "enqueued {} ({}), processed {} ({}), dequeued {} ({})",
      format_count(t.enqueued.objects.per_sec), format_bytes_per_sec(t.enqueued.bytes.per_sec),
      format_count(t.processed.objects.per_sec), format_bytes_per_sec(t.processed.bytes.per_sec),
      format_count(t.dequeued.objects.per_sec), format_bytes_per_sec(t.dequeued.bytes.per_sec)));
  return line;
}

Line grace_period_line(const GracePeriodStats& gp, const Thresholds& thresholds) {
  Line line;
  line.add(fmt::format("GP {}: ", gp.name.empty() ? to_string(gp.flavor) : gp.name), Style::Label);
  line.add(fmt::format("{:.1f}/s, last took {}, last ended ", gp.completed.per_sec,
                       format_duration_ns(gp.last_duration_ns)));
  if (gp.since_last_end_ns == 0) {
    line.add("never");
  } else {
    // No grace period ending for long is what strands memory.
    line.add(format_duration_ns(gp.since_last_end_ns) + " ago",
             style_for(age_severity(gp.since_last_end_ns, thresholds)));
  }
  if (gp.in_progress) line.add(", one in progress");
  return line;
}

// One line per detector firing, its worst subject described (the one with
// the highest value), and how many more subjects fire with it.
std::vector<Line> detector_lines(const Snapshot& s) {
  std::vector<Line> lines;
  for (Detector d : kDetectors) {
    const DetectorState* worst = nullptr;
    size_t firing = 0;
    for (const auto& st : s.detections.states) {
      if (st.detector != d || !st.firing) continue;
      firing++;
      if (!worst || st.value > worst->value) worst = &st;
    }
    if (!worst) continue;
    const uint64_t held = worst->episode ? worst->episode->duration_ns(s.time_ns) : 0;
    Line line;
    line.add(fmt::format("FIRING {}: ", to_string(d)), Style::Crit);
    line.add(
        describe(d, worst->subject, worst->value, worst->contributions, held, s.detections.limits),
        Style::Crit);
    if (firing > 1) line.add(fmt::format("  (+{} more)", firing - 1), Style::Crit);
    lines.push_back(std::move(line));
  }
  return lines;
}

// Once the OOM killer chose a victim: what rcu_pending held then, and how
// long ago, until the view ends.
Line oom_line(const OomCapture& c, uint64_t now_ns) {
  Line line;
  const uint64_t ago = now_ns > c.sample_ns ? now_ns - c.sample_ns : 0;
  line.add(fmt::format("OOM {} ago: ", ago ? format_duration_ns(ago) : "0s"), Style::Crit);
  line.add(c.summary, Style::Crit);
  return line;
}

// Only when something could not attach: what is missing limits what the
// other lines can show (no rcu:rcu_grace_period, no RCU grace periods).
Line hooks_line(const Attachment& a) {
  Line line;
  line.add("Hooks: ", Style::Label);
  line.add(fmt::format("{} attached, ", a.attached.size()));
  line.add(fmt::format("missing {}", fmt::join(a.missing, ", ")), Style::Warn);
  return line;
}

Line losses_line(const Losses& l) {
  Line line;
  line.add("Dropped: ", Style::Label);
  auto item = [&line](uint64_t value, std::string text, bool first) {
    if (!first) line.add(", ");
    line.add(std::move(text), value ? Style::Crit : Style::Normal);
  };
  item(l.ringbuf_drops, fmt::format("{} events", l.ringbuf_drops), true);
  item(l.pending_map_full, fmt::format("{} objects not per seq (map full)", l.pending_map_full),
       false);
  item(l.process_mismatch, fmt::format("{} process mismatches", l.process_mismatch), false);
  item(l.untracked_objects, fmt::format("{} untracked objects", l.untracked_objects), false);
  // Stock kernels only: shown when they happen.
  if (l.unsized_objects)
    item(l.unsized_objects, fmt::format("{} objects of unknown size", l.unsized_objects), false);
  if (l.nested_enqueues)
    item(l.nested_enqueues, fmt::format("{} nested enqueues", l.nested_enqueues), false);
  // --connect only: intervals the exporter let go before they were fetched.
  if (l.ticks_missed)
    item(l.ticks_missed, fmt::format("{} intervals not fetched", l.ticks_missed), false);
  return line;
}

}  // namespace

std::vector<Line> header_lines(const Snapshot& snapshot, const HeaderContext& context,
                               const Thresholds& thresholds) {
  std::vector<Line> lines;
  lines.push_back(title_line(snapshot, context));
  for (Line& line : detector_lines(snapshot)) lines.push_back(std::move(line));
  if (snapshot.last_oom) lines.push_back(oom_line(*snapshot.last_oom, snapshot.time_ns));
  lines.push_back(pending_line(snapshot, thresholds));
  lines.push_back(flow_line(snapshot));
  const auto& gps = snapshot.grace_periods;
  const size_t shown = std::min(gps.size(), kMaxGracePeriodLines);
  for (size_t i = 0; i < shown; ++i) lines.push_back(grace_period_line(gps[i], thresholds));
  if (gps.empty()) lines.push_back(Line{}.add("GP: ", Style::Label).add("none seen yet"));
  if (gps.size() > shown)
    lines.back().add(fmt::format("  (+{} more flavors)", gps.size() - shown), Style::Dim);
  if (!snapshot.attachment.missing.empty()) lines.push_back(hooks_line(snapshot.attachment));
  lines.push_back(losses_line(snapshot.losses));
  return lines;
}

std::string clock_label(const Snapshot& snapshot, uint64_t first_time_ns, std::time_t now) {
  if (snapshot.source_progress >= 0) {
    const uint64_t elapsed_ns =
        snapshot.time_ns >= first_time_ns ? snapshot.time_ns - first_time_ns : 0;
    return fmt::format("t+{:.1f}s", static_cast<double>(elapsed_ns) / 1e9);
  }
  std::tm local{};
  localtime_r(&now, &local);
  return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

}  // namespace rcuwatch::tui
