#include "report_json.hpp"

#include <fmt/format.h>

#include "snapshot_json.hpp"

namespace rcuwatch {

namespace {

nlohmann::json bucket_json(const DurationBucket& b) {
  return {{"low_ns", b.low_ns}, {"high_ns", b.high_ns}};
}

nlohmann::json detectors_json(const Report& r) {
  using nlohmann::json;
  json out = json::array();
  for (const auto& d : r.detectors) {
    json eps = json::array();
    for (const auto& re : d.episodes) {
      json e = to_json(re.episode);  // as `stat --json` has it, times from the first sample
      e["ongoing"] = re.ongoing;
      e["duration_ns"] = re.duration_ns;
      e["summary"] = re.summary;
      eps.push_back(std::move(e));
    }
    out.push_back({{"detector", to_string(d.detector)},
                   {"limit", d.limit},
                   {"unit", value_unit(d.detector)},
                   {"limit_text", d.limit_text},
                   {"episodes_total", d.episodes_total},
                   {"firing_at_end", d.firing_at_end},
                   {"episodes", eps}});
  }
  return out;
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
  json fired = json::array();
  for (const auto& d : r.detectors)
    if (d.episodes_total) fired.push_back(to_string(d.detector));
  j["verdict"] = {{"detector_fired", r.any_detector_fired()}, {"fired", fired}};
  j["detectors"] = detectors_json(r);
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
                              {"enqueued_objects", i.enqueued.objects},
                              {"enqueued_bytes", i.enqueued.bytes},
                              {"processed_objects", i.processed.objects},
                              {"processed_bytes", i.processed.bytes},
                              {"dequeued_objects", i.dequeued.objects},
                              {"dequeued_bytes", i.dequeued.bytes},
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
  j["oom_kills_total"] = r.oom_kills_total;
  j["oom_kills"] = json::array();
  for (const auto& k : r.oom_kills) {
    json o = to_json(k.capture);
    o["at_ns"] = k.at_ns;
    j["oom_kills"].push_back(std::move(o));
  }
  j["call_site_sample_bytes"] = r.call_site_sample_bytes;
  j["call_sites"] = json::array();
  for (const auto& c : r.call_sites)
    j["call_sites"].push_back({{"instance", c.instance},
                               {"function", c.function},
                               {"path", c.path},
                               {"frames", c.frames},
                               {"bytes", c.bytes},
                               {"objects", c.objects},
                               {"samples", c.samples},
                               {"share", c.share},
                               {"fed", c.fed}});
  j["losses"] = {{"any", any_loss(r.losses)},
                 {"ringbuf_drops", r.losses.ringbuf_drops},
                 {"untracked_objects", r.losses.untracked_objects},
                 {"process_mismatch", r.losses.process_mismatch},
                 {"pending_map_full", r.losses.pending_map_full},
                 {"unsized_objects", r.losses.unsized_objects},
                 {"nested_enqueues", r.losses.nested_enqueues},
                 {"events", r.losses.events}};
  return j;
}

}  // namespace rcuwatch
