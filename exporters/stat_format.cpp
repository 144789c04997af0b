#include "stat_format.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "units.hpp"

namespace rcuwatch {

std::string stat_header() {
  return fmt::format("{:>8} {:>12} {:>10} {:>8} {:>9} {:>9} {:>9} {:>6} {:>8} {:>6} {:>6} {:>6}",
                     "time_s", "pending_B", "pending_n", "oldest", "enq/s", "proc/s", "deq/s",
                     "gp/s", "gp_last", "list", "drops", "firing");
}

std::string stat_line(const Snapshot& s) {
  double gps = 0;
  uint64_t gp_last = 0;
  for (const auto& g : s.grace_periods) {
    gps += g.completed.per_sec;
    gp_last = std::max(gp_last, g.last_duration_ns);
  }
  // Firing detectors: how many, then their names after the last column
  // ("gp_too_long:rpl_srcu"), so the columns keep their places.
  std::vector<std::string> firing;
  for (const auto& st : s.detections.states)
    if (st.firing)
      firing.push_back(st.subject.name.empty()
                           ? std::string(to_string(st.detector))
                           : fmt::format("{}:{}", to_string(st.detector), st.subject.name));
  return fmt::format(
      "{:>8.1f} {:>12} {:>10} {:>8} {:>9.0f} {:>9.0f} {:>9.0f} {:>6.1f} {:>8} {:>6} {:>6} {:>6}{}",
      double(s.time_ns) / 1e9, s.totals.pending_bytes, s.totals.pending_objects,
      format_duration_ns(s.totals.oldest_age_ns), s.totals.enqueued.objects.per_sec,
      s.totals.processed.objects.per_sec, s.totals.dequeued.objects.per_sec, gps,
      format_duration_ns(gp_last), s.totals.list_objects, s.losses.ringbuf_drops, firing.size(),
      firing.empty() ? "" : fmt::format("  {}", fmt::join(firing, " ")));
}

}  // namespace rcuwatch
