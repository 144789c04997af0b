#include "prometheus_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "interval_memory.hpp"

namespace rcuwatch {

namespace {

// The rcu_pending instance's name. Not "instance": Prometheus attaches its
// own `instance` (the scraped target) and would rename ours to
// exported_instance (scrape_config honor_labels).
constexpr const char* kInstanceLabel = "rcu_pending";

// A sample value appended to `out`, without a string of its own (a /metrics
// body has thousands: 3 per CPU, 13 per instance).
void append_value(std::string& out, uint64_t v) {
  const fmt::format_int f(v);
  out.append(f.data(), f.size());
}
void append_value(std::string& out, int64_t v) {
  const fmt::format_int f(v);
  out.append(f.data(), f.size());
}
// What prometheus_value() returns, appended to `out`.
void append_value(std::string& out, double v);

// What prometheus_label_value() returns, appended to `out`.
void append_label_value(std::string& out, std::string_view v);

double seconds(uint64_t ns) { return double(ns) / 1e9; }

using Labels = std::vector<std::pair<const char*, std::string>>;

// One metric family: HELP and TYPE, then its samples together, as the format
// requires. A family without samples writes nothing.
class Family {
 public:
  Family(std::string name, const char* type, const char* help)
      : name_(std::move(name)), type_(type), help_(help) {}

  template <typename V>
  void add(const Labels& labels, V value, const char* suffix = "") {
    samples_ += name_;
    samples_ += suffix;
    if (!labels.empty()) {
      samples_ += '{';
      for (size_t i = 0; i < labels.size(); i++) {
        if (i) samples_ += ',';
        samples_ += labels[i].first;
        samples_ += "=\"";
        append_label_value(samples_, labels[i].second);
        samples_ += '"';
      }
      samples_ += '}';
    }
    samples_ += ' ';
    append_value(samples_, value);
    samples_ += '\n';
  }

  // About what write_to() appends.
  size_t size_hint() const {
    return samples_.empty() ? 0 : samples_.size() + 2 * name_.size() + 128;
  }

  void write_to(std::string& out) const {
    if (samples_.empty()) return;
    // HELP texts are ours: no backslash or newline to escape.
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, help_, name_, type_);
    out += samples_;
  }

 private:
  std::string name_;
  const char* type_;
  const char* help_;
  std::string samples_;
};

// Names are not unique (two instances may share a process function, an
// unknown srcu_struct shows as its address): a duplicate gets "@0xADDR" so
// that every series stays distinct.
template <typename Row, typename NameOf, typename KeyOf>
std::map<uint64_t, std::string> unique_names(const std::vector<Row>& rows, NameOf name_of,
                                             KeyOf key_of) {
  std::map<std::string, int> uses;
  for (const auto& r : rows) uses[name_of(r)]++;
  std::map<uint64_t, std::string> out;
  for (const auto& r : rows) {
    const std::string& n = name_of(r);
    out[key_of(r)] = uses[n] > 1 ? fmt::format("{}@{:#x}", n, key_of(r)) : n;
  }
  return out;
}

using Names = std::map<uint64_t, std::string>;

Names instance_names(const Snapshot& s) {
  return unique_names(
      s.instances, [](const InstanceRow& i) -> const std::string& { return i.name; },
      [](const InstanceRow& i) { return i.instance; });
}

void instance_metrics(const Snapshot& s, Names& names, std::vector<Family>& out) {
  auto labels = [&](const InstanceRow& i) {
    return Labels{{kInstanceLabel, names[i.instance]},
                  {"flavor", to_string(i.flavor)},
                  {"mode", to_string(i.mode)}};
  };
  Family pending_bytes(
      "rcuwatch_pending_bytes", "gauge",
      "Bytes queued in rcu_pending, waiting for a grace period or to be processed.");
  Family pending_objects("rcuwatch_pending_objects", "gauge", "Objects queued in rcu_pending.");
  Family oldest("rcuwatch_oldest_pending_age_seconds", "gauge",
                "Age of the oldest object still pending (0 when none is).");
  // Per door of rcu_pending (for_each_flow's order): objects, then bytes.
  struct DoorHelp {
    const char* objects;
    const char* bytes;
  };
  const std::map<std::string, DoorHelp> door_help = {
      {"enqueued", {"Objects enqueued.", "Bytes enqueued."}},
      {"processed",
       {"Objects processed (freed or handed to the process function) after their grace period.",
        "Bytes processed."}},
      {"dequeued",
       {"Objects taken back out of rcu_pending before being processed (rcu_pending_dequeue).",
        "Bytes dequeued."}}};
  std::vector<Family> flows;
  for (const char* door : kFlowNames) {
    const DoorHelp& help = door_help.at(door);
    flows.emplace_back(fmt::format("rcuwatch_{}_objects_total", door), "counter", help.objects);
    flows.emplace_back(fmt::format("rcuwatch_{}_bytes_total", door), "counter", help.bytes);
  }
  Family immediate("rcuwatch_immediate_objects_total", "counter",
                   "Objects enqueued after their grace period had already elapsed: never pending.");
  Family list("rcuwatch_list_fallback_objects_total", "counter",
              "Objects enqueued on the list fallback (radix tree allocation failed).");
  Family untracked(
      "rcuwatch_untracked_objects_total", "counter",
      "Objects seen leaving but never seen enqueued (attached late, or the pending map was full).");
  for (const auto& i : s.instances) {
    const Labels l = labels(i);
    pending_bytes.add(l, i.pending_bytes);
    pending_objects.add(l, i.pending_objects);
    oldest.add({{kInstanceLabel, names[i.instance]}}, seconds(i.oldest_age_ns));
    size_t f = 0;
    for_each_flow(i, [&](const char*, const Flow& flow) {
      flows[f++].add(l, flow.objects.total);
      flows[f++].add(l, flow.bytes.total);
    });
    immediate.add(l, i.immediate_objects);
    list.add(l, i.list_objects);
    untracked.add(l, i.untracked_objects);
  }
  for (auto* f : {&pending_bytes, &pending_objects, &oldest}) out.push_back(std::move(*f));
  for (auto& f : flows) out.push_back(std::move(f));
  for (auto* f : {&immediate, &list, &untracked}) out.push_back(std::move(*f));
}

void cpu_metrics(const Snapshot& s, const PrometheusOptions& o, std::vector<Family>& out) {
  if (!o.per_cpu) {
    // Folded: what a per-CPU alert or panel would ask for, in three series.
    Family bytes("rcuwatch_cpu_pending_bytes_max", "gauge",
                 "Bytes pending on the CPU that holds the most (per-CPU series folded).");
    Family objects("rcuwatch_cpu_pending_objects_max", "gauge",
                   "Objects pending on the CPU that holds the most (per-CPU series folded).");
    Family holding("rcuwatch_cpus_with_pending_objects", "gauge",
                   "CPUs whose rcu_pending queues hold objects.");
    int64_t max_bytes = 0, max_objects = 0;
    uint64_t cpus = 0;
    for (const auto& c : s.cpus) {
      max_bytes = std::max(max_bytes, c.bytes);
      max_objects = std::max(max_objects, c.objects);
      cpus += c.objects > 0;
    }
    bytes.add({}, max_bytes);
    objects.add({}, max_objects);
    holding.add({}, cpus);
    for (auto* f : {&bytes, &objects, &holding}) out.push_back(std::move(*f));
    return;
  }
  Family bytes("rcuwatch_cpu_pending_bytes", "gauge",
               "Bytes pending in the rcu_pending per-CPU queues of this CPU.");
  Family objects("rcuwatch_cpu_pending_objects", "gauge", "Objects pending on this CPU.");
  Family oldest("rcuwatch_cpu_oldest_pending_age_seconds", "gauge",
                "Age of the oldest object pending on this CPU (0 when none is).");
  for (const auto& c : s.cpus) {
    const Labels l{{"cpu", fmt::format("{}", c.cpu)}};
    bytes.add(l, c.bytes);
    objects.add(l, c.objects);
    oldest.add(l, seconds(c.oldest_age_ns));
  }
  out.push_back(std::move(bytes));
  out.push_back(std::move(objects));
  out.push_back(std::move(oldest));
}

void seq_metrics(const Snapshot& s, const Names& names, const PrometheusOptions& o,
                 std::vector<Family>& out) {
  Family bytes(
      "rcuwatch_seq_pending_bytes", "gauge",
      "Bytes pending per grace-period cookie (seq), for the oldest seqs only (--max-seq-series).");
  Family objects("rcuwatch_seq_pending_objects", "gauge",
                 "Objects pending per seq, oldest seqs only.");
  Family age("rcuwatch_seq_age_seconds", "gauge",
             "Age of the seq's first enqueued object, oldest seqs only.");
  Family shown("rcuwatch_seq_series", "gauge",
               "Seqs pending, and how many of them have series here (limit --max-seq-series).");
  size_t n = 0;
  for (const auto& q : s.seqs) {  // oldest first
    if (n++ >= o.max_seq_series) break;
    auto name = names.find(q.instance);
    const Labels l{{kInstanceLabel, name != names.end() ? name->second : q.instance_name},
                   {"seq", fmt::format("{}", q.seq)},
                   {"state", to_string(q.state)}};
    bytes.add(l, q.bytes);
    objects.add(l, q.objects);
    age.add(l, seconds(q.age_ns));
  }
  shown.add({{"what", "pending"}}, uint64_t(s.seqs.size()));
  shown.add({{"what", "exported"}}, uint64_t(std::min(s.seqs.size(), o.max_seq_series)));
  out.push_back(std::move(bytes));
  out.push_back(std::move(objects));
  out.push_back(std::move(age));
  out.push_back(std::move(shown));
}

void grace_period_metrics(const Snapshot& s, std::vector<Family>& out) {
  auto names = unique_names(
      s.grace_periods, [](const GracePeriodStats& g) -> const std::string& { return g.name; },
      [](const GracePeriodStats& g) { return g.key; });
  Family completed(
      "rcuwatch_grace_periods_completed_total", "counter",
      "Grace periods seen ending (rcu:rcu_grace_period, rcu:srcu_grace_period \"end\").");
  Family last("rcuwatch_grace_period_last_duration_seconds", "gauge",
              "Duration of the last grace period whose start was seen.");
  Family since("rcuwatch_seconds_since_last_grace_period", "gauge",
               "Time since the last grace period ended (no series until one has).");
  Family in_progress("rcuwatch_grace_period_in_progress", "gauge",
                     "1 while a grace period of this flavor is running.");
  Family running("rcuwatch_grace_period_running_seconds", "gauge",
                 "How long the grace period in progress has run (0 when none runs, or its start "
                 "was not seen).");
  Family hist("rcuwatch_grace_period_duration_seconds", "histogram",
              "Grace-period durations (those whose start was seen), log2 buckets of microseconds.");
  for (const auto& g : s.grace_periods) {
    const std::string name = names[g.key];
    const Labels l{{"flavor", to_string(g.flavor)}, {"name", name}};
    completed.add(l, g.completed.total);
    last.add(l, seconds(g.last_duration_ns));
    if (g.completed.total) since.add(l, seconds(g.since_last_end_ns));
    in_progress.add(l, uint64_t(g.in_progress));
    running.add(l, seconds(g.in_progress ? g.in_progress_ns : 0));
    // BPF bucket i holds [2^i, 2^(i+1)) us (bucket 0 also < 1 us; the last
    // one is open-ended): its `le` is 2^(i+1) us. Prometheus buckets are
    // inclusive (<=), so a duration of exactly 2^(i+1) us counts one bucket
    // later here than Prometheus would put it, a difference of at most 1 us.
    // _count is the buckets' sum, not completed: an end whose start was not
    // seen (attached mid grace period) has no duration.
    uint64_t cumulative = 0;
    const auto& h = g.durations.counts;
    for (size_t i = 0; i + 1 < h.size(); i++) {
      cumulative += h[i];
      Labels b = l;
      b.emplace_back("le", prometheus_value(DurationHistogram::upper_bound_seconds(i)));
      hist.add(b, cumulative, "_bucket");
    }
    cumulative += h.back();
    Labels inf = l;
    inf.emplace_back("le", "+Inf");
    hist.add(inf, cumulative, "_bucket");
    hist.add(l, seconds(g.durations.sum_ns), "_sum");
    hist.add(l, cumulative, "_count");
  }
  for (auto* f : {&completed, &last, &since, &in_progress, &running, &hist})
    out.push_back(std::move(*f));
}

// Per detector and subject (docs/diagnosing.md). The subject's label says
// what it is: rcu_pending (an instance), grace_period (a flavor), cpu, or
// none (machine-wide: stranded_bytes, losses). Every subject a detector
// looked at has a series, 0 when it does not fire, so alerts see it clear.
// --per-cpu=false folds the per-CPU subjects (callback_flood) into one series
// per detector without a cpu label: firing if any CPU fires, episodes summed.
void detector_metrics(const Snapshot& s, const Names& instances, const PrometheusOptions& o,
                      std::vector<Family>& out) {
  auto gp_names = unique_names(
      s.grace_periods, [](const GracePeriodStats& g) -> const std::string& { return g.name; },
      [](const GracePeriodStats& g) { return g.key; });
  Family firing("rcuwatch_detector_firing", "gauge",
                "1 while the detector fires for this subject (rcu_pending instance, grace_period "
                "flavor, cpu, or the whole machine).");
  Family episodes("rcuwatch_detector_episodes_total", "counter",
                  "Episodes of the detector for this subject that fired, since start.");
  Family limit("rcuwatch_detector_limit", "gauge",
               "The detector's limit in its unit (bytes, seconds, objects per second, objects "
               "or events per interval); 0: off.");
  std::map<Detector, std::pair<uint64_t, uint64_t>> folded;  // firing, episodes
  for (const auto& st : s.detections.states) {
    const Subject& sub = st.subject;
    if (!o.per_cpu && sub.kind == SubjectKind::Cpu) {
      auto& [any, sum] = folded[st.detector];
      any |= uint64_t(st.firing);
      sum += st.episodes;
      continue;
    }
    Labels l{{"detector", to_string(st.detector)}};
    if (sub.kind == SubjectKind::Instance) {
      auto n = instances.find(sub.key);
      l.emplace_back(kInstanceLabel, n != instances.end() ? n->second : sub.name);
    } else if (sub.kind == SubjectKind::GracePeriod) {
      auto n = gp_names.find(sub.key);
      l.emplace_back("grace_period", n != gp_names.end() ? n->second : sub.name);
    } else if (sub.kind == SubjectKind::Cpu) {
      l.emplace_back("cpu", fmt::format("{}", sub.key));
    }
    firing.add(l, uint64_t(st.firing));
    episodes.add(l, st.episodes);
  }
  for (const auto& [d, counts] : folded) {
    firing.add({{"detector", to_string(d)}}, counts.first);
    episodes.add({{"detector", to_string(d)}}, counts.second);
  }
  for (Detector d : kDetectors) {
    double v = limit_of(d, s.detections.limits);
    if (d == Detector::GracePeriodTooLong || d == Detector::ProcessingLag) v /= 1e9;  // seconds
    limit.add({{"detector", to_string(d)}}, v);
  }
  out.push_back(std::move(firing));
  out.push_back(std::move(episodes));
  out.push_back(std::move(limit));
}

// OOM kills (bpf/oom.bpf.h) and what rcu_pending held at the last one.
void oom_metrics(const Snapshot& s, std::vector<Family>& out) {
  Family kills("rcuwatch_oom_kills_total", "counter",
               "Victims the kernel's OOM killer chose since rcuwatch attached.");
  kills.add({}, s.oom_kills_total);
  out.push_back(std::move(kills));
  if (!s.last_oom) return;
  Family pending("rcuwatch_oom_pending_bytes", "gauge",
                 "Bytes pending in rcu_pending at the last OOM kill.");
  pending.add({}, s.last_oom->pending_bytes);
  Family waiting("rcuwatch_oom_waiting_gp_bytes", "gauge",
                 "Of those, bytes waiting for a grace period.");
  waiting.add({}, s.last_oom->waiting_gp_bytes);
  out.push_back(std::move(pending));
  out.push_back(std::move(waiting));
}

void self_metrics(const Snapshot* s, const ExporterStatus& st, std::vector<Family>& out) {
  Family build("rcuwatch_build_info", "gauge", "rcuwatch version, value 1.");
  build.add({{"version", st.version}}, uint64_t(1));
  out.push_back(std::move(build));
  Family scrapes("rcuwatch_scrapes_total", "counter",
                 "Requests of /metrics served, this one included.");
  scrapes.add({}, st.scrapes);
  out.push_back(std::move(scrapes));
  Family snapshots("rcuwatch_snapshots_total", "counter", "Intervals aggregated since start.");
  snapshots.add({}, s ? s->index + 1 : uint64_t(0));
  out.push_back(std::move(snapshots));
  if (!s) return;

  Family source("rcuwatch_source_info", "gauge",
                "Where the data comes from (live kernel or a recording), value 1.");
  source.add({{"source", s->source}}, uint64_t(1));
  Family ended("rcuwatch_source_ended", "gauge",
               "1 when the recording has ended: the last snapshot is served from then on.");
  ended.add({}, uint64_t(st.source_ended));
  Family progress("rcuwatch_replay_progress_ratio", "gauge", "Fraction of the recording read.");
  if (s->source_progress >= 0) progress.add({}, s->source_progress);
  Family stamp("rcuwatch_snapshot_timestamp_seconds", "gauge",
               "Wall-clock time (Unix) when the served snapshot was taken.");
  stamp.add({}, st.snapshot_unix_seconds);
  Family drops("rcuwatch_ringbuf_dropped_events_total", "counter",
               "Lifecycle events lost because the ring buffer was full (object and byte counts "
               "stay exact).");
  drops.add({}, s->losses.ringbuf_drops);
  Family full("rcuwatch_pending_map_full_objects_total", "counter",
              "Objects counted per instance but not per seq: the BPF pending map was full.");
  full.add({}, s->losses.pending_map_full);
  Family mismatch("rcuwatch_process_mismatch_total", "counter",
                  "Processed batches whose object count differed from what rcuwatch tracked.");
  mismatch.add({}, s->losses.process_mismatch);
  Family fallbacks(
      "rcuwatch_list_fallback_seqs_total", "counter",
      "Seqs opened on the list fallback (from ring-buffer events: see dropped events).");
  fallbacks.add({}, s->totals.list_fallbacks);
  Family unsized("rcuwatch_unsized_objects_total", "counter",
                 "Objects whose size rcuwatch could not read (stock kernels: vmalloc), counted "
                 "as 0 bytes.");
  unsized.add({}, s->losses.unsized_objects);
  Family nested("rcuwatch_nested_enqueues_total", "counter",
                "Stock kernels: enqueues nested too deep to follow (their objects show as "
                "untracked).");
  nested.add({}, s->losses.nested_enqueues);
  Family late("rcuwatch_late_placements_total", "counter",
              "Stock kernels: objects whose queue was known only when rcu_pending_enqueue() "
              "returned (their CPU is the one it returned on).");
  late.add({}, s->losses.late_placements);
  Family events("rcuwatch_bpf_events_total", "counter", "Hook hits handled by the BPF programs.");
  events.add({}, s->losses.events);
  Family attach("rcuwatch_attach_info", "gauge",
                "How rcuwatch is attached to the kernel (mode), value 1.");
  if (!s->attachment.mode.empty()) attach.add({{"mode", s->attachment.mode}}, uint64_t(1));
  Family hooks("rcuwatch_hook_attached", "gauge",
               "1 for each kernel hook attached, 0 for each the kernel lacks or refused.");
  for (const auto& h : s->attachment.attached) hooks.add({{"hook", h}}, uint64_t(1));
  for (const auto& h : s->attachment.missing) hooks.add({{"hook", h}}, uint64_t(0));
  for (auto* f : {&source, &ended, &progress, &stamp, &drops, &full, &mismatch, &fallbacks,
                  &unsized, &nested, &late, &events, &attach, &hooks})
    out.push_back(std::move(*f));
}

}  // namespace

std::string prometheus_value(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

namespace {

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void append_label_value(std::string& out, std::string_view v) {
  // Most values (CPU numbers, symbols, "rcu") need no escape: one append.
  const bool plain = std::all_of(v.begin(), v.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x80 && c != '\\' && c != '"' && c != '\n';
  });
  if (plain) {
    out += v;
    return;
  }
  for (size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x80) {
      out += char(c);
    } else {
      // A well-formed UTF-8 sequence is copied whole; anything else is U+FFFD.
      size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
      bool ok = len && i + len <= v.size();
      for (size_t k = 1; ok && k < len; k++)
        ok = (static_cast<unsigned char>(v[i + k]) & 0xc0) == 0x80;
      if (ok && len == 3) {  // no overlongs, no surrogates
        const auto c1 = static_cast<unsigned char>(v[i + 1]);
        ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
      } else if (ok && len == 4) {
        const auto c1 = static_cast<unsigned char>(v[i + 1]);
        ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
      }
      if (ok) {
        out.append(v.substr(i, len));
        i += len;
      } else {
        out += "\xef\xbf\xbd";
        i++;
      }
      continue;
    }
    i++;
  }
}

}  // namespace

std::string prometheus_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  append_label_value(out, v);
  return out;
}

std::string prometheus_text(const Snapshot* s, const ExporterStatus& status,
                            const PrometheusOptions& options) {
  std::vector<Family> families;
  if (s) {
    Names names = instance_names(*s);
    instance_metrics(*s, names, families);
    cpu_metrics(*s, options, families);
    seq_metrics(*s, names, options, families);
    grace_period_metrics(*s, families);
    if (s->detections.evaluated) detector_metrics(*s, names, options, families);
    oom_metrics(*s, families);
  }
  self_metrics(s, status, families);
  std::string out;
  size_t bytes = 0;  // one allocation for the body (365 kB at 1024 CPUs)
  for (const auto& f : families) bytes += f.size_hint();
  out.reserve(bytes);
  prepare_for_filling(out.data(), bytes);
  for (const auto& f : families) f.write_to(out);
  return out;
}

}  // namespace rcuwatch
