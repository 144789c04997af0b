#include "snapshot_json.hpp"

#include <fmt/format.h>

#include <cstdio>
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

// Detectors firing (with their episode so far), the episode counts of every
// subject that fired, and the episodes that ended at this sample.
nlohmann::json detections_json(const Detections& d) {
  using nlohmann::json;
  json firing = json::array(), episodes = json::array(), ended = json::array();
  for (const auto& st : d.states) {
    if (st.episodes)
      episodes.push_back({{"detector", to_string(st.detector)},
                          {"subject", to_json(st.subject)},
                          {"episodes", st.episodes}});
    if (!st.firing) continue;
    firing.push_back({{"detector", to_string(st.detector)},
                      {"subject", to_json(st.subject)},
                      {"value", st.value},
                      {"unit", value_unit(st.detector)},
                      {"contributions", to_json(st.detector, st.contributions)},
                      {"episode", st.episode ? to_json(*st.episode) : json()}});
  }
  for (const auto& e : d.ended) ended.push_back(to_json(e));
  return {{"firing", firing}, {"episodes", episodes}, {"ended", ended}};
}

// Everything but the three arrays that grow with pending entries (cpus,
// seq_cpus, seqs), which to_json() and write_json_line() add row by row.
nlohmann::json summary_json(const Snapshot& s) {
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
                 {"events", s.losses.events},
                 {"queue_map_full", s.losses.queue_map_full},
                 {"call_site_samples", s.losses.call_site_samples},
                 {"call_site_no_stack", s.losses.call_site_no_stack},
                 {"call_site_map_full", s.losses.call_site_map_full},
                 {"ticks_missed", s.losses.ticks_missed}};
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
  j["grace_periods"] = json::array();
  for (const auto& g : s.grace_periods)
    j["grace_periods"].push_back({{"name", g.name},
                                  {"flavor", to_string(g.flavor)},
                                  {"completed", counter_json(g.completed)},
                                  {"last_completed_gp_seq", g.last_completed_gp_seq},
                                  {"last_duration_ns", g.last_duration_ns},
                                  {"since_last_end_ns", g.since_last_end_ns},
                                  {"in_progress", g.in_progress},
                                  {"in_progress_ns", g.in_progress_ns}});
  j["cpu_queues"] = json::array();
  for (const auto& q : s.cpu_queues)
    j["cpu_queues"].push_back({{"instance", fmt::format("{:#x}", q.instance)},
                               {"cpu", q.cpu},
                               {"objects", q.objects},
                               {"processed_objects", q.processed_objects},
                               {"queued_per_sec", q.queued_per_sec},
                               {"enqueued_objects", counter_json(q.enqueued.objects)},
                               {"enqueued_bytes", counter_json(q.enqueued.bytes)}});
  j["queue_rates_exact"] = s.queue_rates_exact;
  j["call_site_sample_bytes"] = s.call_site_sample_bytes;
  j["call_sites"] = json::array();
  for (const auto& r : s.call_sites) j["call_sites"].push_back(to_json(r));
  j["oom_kills_total"] = s.oom_kills_total;
  j["oom_kills"] = json::array();
  for (const auto& c : s.oom_captures) j["oom_kills"].push_back(to_json(c));
  j["detectors"] = detections_json(s.detections);
  return j;
}

nlohmann::json cpu_json(const CpuRow& c) {
  return {{"cpu", c.cpu},
          {"pending_objects", c.objects},
          {"pending_bytes", c.bytes},
          {"oldest_age_ns", c.oldest_age_ns},
          {"seqs_in_flight", c.seqs_in_flight},
          {"queued_per_sec", c.queued_per_sec}};
}
bool listed(const CpuRow& c) { return c.objects || c.seqs_in_flight || c.queued_per_sec > 0; }

nlohmann::json seq_cpu_json(const SeqRow& r) {
  return {{"instance", fmt::format("{:#x}", r.instance)},
          {"cpu", r.cpu},
          {"seq", r.seq},
          {"objects", r.objects},
          {"bytes", r.bytes},
          {"list_objects", r.list_objects},
          {"age_ns", r.age_ns},
          {"state", to_string(r.state)}};
}
bool listed(const SeqRow&) { return true; }

nlohmann::json seq_json(const SeqSummary& q) {
  return {{"instance", q.instance_name}, {"seq", q.seq},
          {"objects", q.objects},        {"bytes", q.bytes},
          {"age_ns", q.age_ns},          {"cpus", q.cpus},
          {"state", to_string(q.state)}};
}
bool listed(const SeqSummary&) { return true; }

// Calls f(key, rows, row_json) for each of the three big arrays.
template <typename F>
void for_each_row_array(const Snapshot& s, F&& f) {
  f("cpus", s.cpus, cpu_json);
  f("seq_cpus", s.seq_cpus, seq_cpu_json);
  f("seqs", s.seqs, seq_json);
}

void put(std::FILE* out, const std::string& text) { std::fwrite(text.data(), 1, text.size(), out); }

}  // namespace

nlohmann::json to_json(const Subject& s) {
  nlohmann::json j = {{"kind", to_string(s.kind)}, {"name", s.name}};
  if (s.kind == SubjectKind::Cpu) j["cpu"] = s.key;
  if (s.kind == SubjectKind::Instance || s.kind == SubjectKind::GracePeriod)
    j["address"] = fmt::format("{:#x}", s.key);
  return j;
}

nlohmann::json to_json(Detector d, const std::vector<Contribution>& contributions) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : contributions)
    out.push_back({{"where", to_json(c.where)},
                   {"value", c.value},
                   {"unit", contribution_unit(d)},
                   {"detail", c.detail}});
  return out;
}

nlohmann::json to_json(const std::vector<CallSite>& call_sites) {
  nlohmann::json sites = nlohmann::json::array();
  for (const auto& c : call_sites)
    sites.push_back({{"function", c.function},
                     {"instance", c.instance},
                     {"bytes", c.bytes},
                     {"share", c.share}});
  return sites;
}

nlohmann::json to_json(const CallSiteRow& r) {
  nlohmann::json cpus = nlohmann::json::array();
  for (const auto& [cpu, bytes] : r.cpu_interval_bytes)
    cpus.push_back({{"cpu", cpu}, {"bytes", bytes}});
  return {{"instance", fmt::format("{:#x}", r.instance)},
          {"instance_name", r.instance_name},
          {"function", r.function},
          {"path", r.path},
          {"frames", r.frames},
          {"bytes", counter_json(r.bytes)},
          {"objects", counter_json(r.objects)},
          {"samples", r.samples},
          {"share", r.share},
          {"interval_bytes", r.interval_bytes},
          {"interval_cpus", cpus}};
}

nlohmann::json to_json(const OomCapture& c) {
  using nlohmann::json;
  json instances = json::array(), gps = json::array(), cpus = json::array(), seqs = json::array();
  for (const auto& i : c.instances)
    instances.push_back({{"name", i.name},
                         {"flavor", to_string(i.flavor)},
                         {"grace_period", i.grace_period},
                         {"pending_bytes", i.bytes},
                         {"pending_objects", i.objects},
                         {"waiting_gp_bytes", i.waiting_gp_bytes},
                         {"oldest_age_ns", i.oldest_age_ns}});
  for (const auto& g : c.grace_periods)
    gps.push_back({{"name", g.name},
                   {"flavor", to_string(g.flavor)},
                   {"in_progress", g.in_progress},
                   {"running_ns", g.running_ns},
                   {"since_last_end_ns", g.since_last_end_ns},
                   {"waiting_bytes", g.waiting_bytes}});
  for (const auto& [cpu, bytes] : c.cpu_bytes)
    cpus.push_back({{"cpu", cpu}, {"pending_bytes", bytes}});
  for (const auto& q : c.seqs)
    seqs.push_back({{"instance", q.instance_name},
                    {"seq", q.seq},
                    {"objects", q.objects},
                    {"bytes", q.bytes},
                    {"age_ns", q.age_ns},
                    {"cpus", q.cpus},
                    {"state", to_string(q.state)}});
  return {{"time_ns", c.kill.time_ns},
          {"pid", c.kill.pid},
          {"comm", c.kill.comm},
          {"cpu", c.kill.cpu},
          {"sample_ns", c.sample_ns},
          {"pending_bytes", c.pending_bytes},
          {"pending_objects", c.pending_objects},
          {"waiting_gp_bytes", c.waiting_gp_bytes},
          {"oldest_age_ns", c.oldest_age_ns},
          {"instances", instances},
          {"grace_periods", gps},
          {"cpus", cpus},
          {"seqs", seqs},
          {"call_sites", to_json(c.call_sites)},
          {"firing", c.firing},
          {"summary", c.summary}};
}

nlohmann::json to_json(const DetectorEpisode& e) {
  return {{"detector", to_string(e.detector)},
          {"subject", to_json(e.subject)},
          {"limit", e.limit},
          {"onset_ns", e.onset_ns},
          {"firing_ns", e.firing_ns},
          {"end_ns", e.end_ns},
          {"peak", e.peak},
          {"unit", value_unit(e.detector)},
          {"peak_at_ns", e.peak_at_ns},
          {"at_peak", to_json(e.detector, e.at_peak)},
          {"instances", e.instances},
          {"grace_periods", e.grace_periods},
          {"cpus", e.cpus},
          {"call_sites", to_json(e.call_sites)}};
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json to_json(const Snapshot& s) {
  nlohmann::json j = summary_json(s);
  for_each_row_array(s, [&](const char* key, const auto& rows, auto row_json) {
    nlohmann::json& a = j[key] = nlohmann::json::array();
    for (const auto& row : rows)
      if (listed(row)) a.push_back(row_json(row));
  });
  return j;
}

// One row at a time: a snapshot of 200 000 pending entries as one JSON
// document took 1 GB; this holds one row's object at a time. The keys come
// out in to_json(s).dump()'s order (nlohmann sorts them).
void write_json_line(const Snapshot& s, std::FILE* out) {
  nlohmann::json j = summary_json(s);
  for_each_row_array(s, [&](const char* key, const auto&, auto) { j[key] = nullptr; });
  std::fputc('{', out);
  const char* sep = "";
  for (const auto& item : j.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    const nlohmann::json& value = item.value();
    // Piece by piece, not char* + std::string&&: GCC 12 warns falsely at
    // -O3 (-Wrestrict) in the Release build.
    std::fputs(sep, out);
    put(out, json_text(key));
    std::fputc(':', out);
    sep = ",";
    if (!value.is_null()) {
      put(out, json_text(value));
      continue;
    }
    for_each_row_array(s, [&](const char* array, const auto& rows, auto row_json) {
      if (key != array) return;
      std::fputc('[', out);
      const char* row_sep = "";
      for (const auto& row : rows)
        if (listed(row)) {
          std::fputs(row_sep, out);
          put(out, json_text(row_json(row)));
          row_sep = ",";
        }
      std::fputc(']', out);
    });
  }
  std::fputs("}\n", out);
}

}  // namespace rcuwatch
