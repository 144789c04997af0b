#include "stat_format.hpp"

#include <fmt/format.h>

#include "units.hpp"

namespace rcuwatch {

std::string stat_header() {
  return fmt::format("{:>8} {:>12} {:>10} {:>8} {:>9} {:>9} {:>9} {:>6} {:>8} {:>6} {:>6}",
                     "time_s", "pending_B", "pending_n", "oldest", "enq/s", "proc/s", "deq/s",
                     "gp/s", "gp_last", "list", "drops");
}

std::string stat_line(const Snapshot& s) {
  double gps = 0;
  uint64_t gp_last = 0;
  for (const auto& g : s.grace_periods) {
    gps += g.completed.per_sec;
    gp_last = std::max(gp_last, g.last_duration_ns);
  }
  return fmt::format(
      "{:>8.1f} {:>12} {:>10} {:>8} {:>9.0f} {:>9.0f} {:>9.0f} {:>6.1f} {:>8} {:>6} {:>6}",
      double(s.time_ns) / 1e9, s.totals.pending_bytes, s.totals.pending_objects,
      format_duration_ns(s.totals.oldest_age_ns), s.totals.enqueued_objects.per_sec,
      s.totals.processed_objects.per_sec, s.totals.dequeued_objects.per_sec, gps,
      format_duration_ns(gp_last), s.totals.list_objects, s.losses.ringbuf_drops);
}

namespace {

nlohmann::json counter_json(const Counter& c) {
  return {{"total", c.total}, {"per_sec", c.per_sec}};
}

}  // namespace

nlohmann::json to_json(const Snapshot& s) {
  using nlohmann::json;
  json j;
  j["index"] = s.index;
  j["time_ns"] = s.time_ns;
  j["interval_ns"] = s.interval_ns;
  j["source"] = s.source;
  if (s.source_progress >= 0) j["progress"] = s.source_progress;
  j["nr_cpus"] = s.nr_cpus;
  const Totals& t = s.totals;
  j["totals"] = {{"pending_objects", t.pending_objects},
                 {"pending_bytes", t.pending_bytes},
                 {"pending_bytes_per_sec", t.pending_bytes_per_sec},
                 {"oldest_age_ns", t.oldest_age_ns},
                 {"enqueued_objects", counter_json(t.enqueued_objects)},
                 {"enqueued_bytes", counter_json(t.enqueued_bytes)},
                 {"processed_objects", counter_json(t.processed_objects)},
                 {"processed_bytes", counter_json(t.processed_bytes)},
                 {"dequeued_objects", counter_json(t.dequeued_objects)},
                 {"dequeued_bytes", counter_json(t.dequeued_bytes)},
                 {"list_objects", t.list_objects},
                 {"list_fallbacks", t.list_fallbacks}};
  j["losses"] = {{"ringbuf_drops", s.losses.ringbuf_drops},
                 {"pending_map_full", s.losses.pending_map_full},
                 {"process_mismatch", s.losses.process_mismatch},
                 {"untracked_objects", s.losses.untracked_objects},
                 {"events", s.losses.events}};
  j["instances"] = json::array();
  for (const auto& i : s.instances)
    j["instances"].push_back({{"instance", fmt::format("{:#x}", i.instance)},
                              {"name", i.name},
                              {"flavor", to_string(i.flavor)},
                              {"mode", to_string(i.mode)},
                              {"pending_objects", i.pending_objects},
                              {"pending_bytes", i.pending_bytes},
                              {"oldest_age_ns", i.oldest_age_ns},
                              {"enqueued_objects", counter_json(i.enqueued_objects)},
                              {"enqueued_bytes", counter_json(i.enqueued_bytes)},
                              {"processed_objects", counter_json(i.processed_objects)},
                              {"processed_bytes", counter_json(i.processed_bytes)},
                              {"dequeued_objects", counter_json(i.dequeued_objects)},
                              {"dequeued_bytes", counter_json(i.dequeued_bytes)},
                              {"immediate_objects", i.immediate_objects},
                              {"list_objects", i.list_objects},
                              {"untracked_objects", i.untracked_objects}});
  j["cpus"] = json::array();
  for (const auto& c : s.cpus)
    if (c.objects || c.seqs_in_flight)
      j["cpus"].push_back({{"cpu", c.cpu},
                           {"pending_objects", c.objects},
                           {"pending_bytes", c.bytes},
                           {"oldest_age_ns", c.oldest_age_ns},
                           {"seqs_in_flight", c.seqs_in_flight}});
  j["seq_cpus"] = json::array();
  for (const auto& r : s.seq_cpus)
    j["seq_cpus"].push_back({{"instance", fmt::format("{:#x}", r.instance)},
                             {"cpu", r.cpu},
                             {"seq", r.seq},
                             {"objects", r.objects},
                             {"bytes", r.bytes},
                             {"list_objects", r.list_objects},
                             {"age_ns", r.age_ns},
                             {"state", to_string(r.state)}});
  j["seqs"] = json::array();
  for (const auto& q : s.seqs)
    j["seqs"].push_back({{"instance", q.instance_name},
                         {"seq", q.seq},
                         {"objects", q.objects},
                         {"bytes", q.bytes},
                         {"age_ns", q.age_ns},
                         {"cpus", q.cpus},
                         {"state", to_string(q.state)}});
  j["grace_periods"] = json::array();
  for (const auto& g : s.grace_periods)
    j["grace_periods"].push_back({{"name", g.name},
                                  {"flavor", to_string(g.flavor)},
                                  {"completed", counter_json(g.completed)},
                                  {"last_completed_gp_seq", g.last_completed_gp_seq},
                                  {"last_duration_ns", g.last_duration_ns},
                                  {"since_last_end_ns", g.since_last_end_ns},
                                  {"in_progress", g.in_progress}});
  return j;
}

}  // namespace rcuwatch
