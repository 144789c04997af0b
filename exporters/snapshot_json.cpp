#include "snapshot_json.hpp"

#include <fmt/format.h>

#include <string>

namespace rcuwatch {

namespace {

nlohmann::json counter_json(const Counter& c) {
  return {{"total", c.total}, {"per_sec", c.per_sec}};
}

// "enqueued_objects", "enqueued_bytes", ... as {total, per_sec}.
template <typename Row>
void add_flows(nlohmann::json& j, const Row& row) {
  for_each_flow(row, [&](const char* door, const Flow& f) {
    j[std::string(door) + "_objects"] = counter_json(f.objects);
    j[std::string(door) + "_bytes"] = counter_json(f.bytes);
  });
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
  j["attach"] = {{"mode", s.attachment.mode},
                 {"attached", s.attachment.attached},
                 {"missing", s.attachment.missing}};
  const Totals& t = s.totals;
  j["totals"] = {{"pending_objects", t.pending_objects},
                 {"pending_bytes", t.pending_bytes},
                 {"pending_bytes_per_sec", t.pending_bytes_per_sec},
                 {"oldest_age_ns", t.oldest_age_ns},
                 {"list_objects", t.list_objects},
                 {"list_fallbacks", t.list_fallbacks}};
  add_flows(j["totals"], t);
  j["losses"] = {{"ringbuf_drops", s.losses.ringbuf_drops},
                 {"pending_map_full", s.losses.pending_map_full},
                 {"process_mismatch", s.losses.process_mismatch},
                 {"untracked_objects", s.losses.untracked_objects},
                 {"unsized_objects", s.losses.unsized_objects},
                 {"nested_enqueues", s.losses.nested_enqueues},
                 {"late_placements", s.losses.late_placements},
                 {"events", s.losses.events}};
  j["instances"] = json::array();
  for (const auto& i : s.instances) {
    json row = {{"instance", fmt::format("{:#x}", i.instance)},
                {"name", i.name},
                {"flavor", to_string(i.flavor)},
                {"mode", to_string(i.mode)},
                {"pending_objects", i.pending_objects},
                {"pending_bytes", i.pending_bytes},
                {"oldest_age_ns", i.oldest_age_ns},
                {"immediate_objects", i.immediate_objects},
                {"list_objects", i.list_objects},
                {"untracked_objects", i.untracked_objects},
                {"preexisting_objects", i.preexisting_objects},
                {"preexisting_bytes", i.preexisting_bytes}};
    add_flows(row, i);
    j["instances"].push_back(std::move(row));
  }
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
