#include "detectors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "saturating.hpp"
#include "units.hpp"

namespace rcuwatch {

const char* to_string(Detector d) {
  switch (d) {
    case Detector::StrandedBytes:
      return "stranded_bytes";
    case Detector::GracePeriodTooLong:
      return "gp_too_long";
    case Detector::CallbackFlood:
      return "callback_flood";
    case Detector::ProcessingLag:
      return "processing_lag";
    case Detector::ListFallback:
      return "list_fallback";
    default:
      return "losses";
  }
}

const char* to_string(SubjectKind k) {
  switch (k) {
    case SubjectKind::Machine:
      return "machine";
    case SubjectKind::Instance:
      return "instance";
    case SubjectKind::GracePeriod:
      return "grace_period";
    case SubjectKind::Cpu:
      return "cpu";
    default:
      return "counter";
  }
}

double limit_of(Detector d, const DetectorLimits& l) {
  switch (d) {
    case Detector::StrandedBytes:
      return double(l.stranded_bytes);
    case Detector::GracePeriodTooLong:
      return double(l.gp_ns);
    case Detector::CallbackFlood:
      return l.flood_objects_per_sec;
    case Detector::ProcessingLag:
      return double(l.lag_ns);
    case Detector::ListFallback:
      return double(l.list_fallback_objects);
    default:
      return double(l.losses);
  }
}

const char* value_unit(Detector d) {
  switch (d) {
    case Detector::StrandedBytes:
      return "bytes";
    case Detector::GracePeriodTooLong:
    case Detector::ProcessingLag:
      return "ns";
    case Detector::CallbackFlood:
      return "objects/s";
    case Detector::ListFallback:
      return "objects";
    default:
      return "events";
  }
}

const char* contribution_unit(Detector d) {
  switch (d) {
    case Detector::StrandedBytes:
    case Detector::GracePeriodTooLong:
    case Detector::ProcessingLag:
      return "bytes";
    case Detector::CallbackFlood:
      return "objects/s";
    case Detector::ListFallback:
      return "objects";
    default:
      return "events";
  }
}

bool Detections::any_firing() const {
  return std::any_of(states.begin(), states.end(), [](const DetectorState& s) { return s.firing; });
}

namespace {

// The fraction of its limit a value must fall below to end an episode of a
// detector whose value moves continuously (bytes, rates); the others end
// below the limit itself.
double clear_fraction(Detector d) {
  return d == Detector::StrandedBytes || d == Detector::CallbackFlood ? 0.9 : 1.0;
}

uint64_t hold_ns(Detector d, const DetectorLimits& l) {
  return d == Detector::StrandedBytes ? l.stranded_for_ns : 0;
}

// Names and flavors of what a snapshot knows, for contributions.
class Names {
 public:
  explicit Names(const Snapshot& s) : s_(s) {
    for (const auto& i : s.instances) instances_[i.instance] = &i;
  }
  const InstanceRow* instance(uint64_t addr) const {
    auto it = instances_.find(addr);
    return it != instances_.end() ? it->second : nullptr;
  }
  std::string instance_name(uint64_t addr) const {
    const InstanceRow* i = instance(addr);
    return i ? i->name : fmt::format("{:#x}", addr);
  }
  std::string grace_period(uint64_t key) const {
    for (const auto& g : s_.grace_periods)
      if (g.key == key) return g.name;
    return key ? fmt::format("{:#x}", key) : "rcu";
  }
  Subject instance_subject(uint64_t addr) const {
    return {SubjectKind::Instance, addr, instance_name(addr)};
  }
  Subject grace_period_subject(uint64_t key) const {
    return {SubjectKind::GracePeriod, key, grace_period(key)};
  }

 private:
  const Snapshot& s_;
  std::map<uint64_t, const InstanceRow*> instances_;
};

Subject cpu_subject(uint32_t cpu) { return {SubjectKind::Cpu, cpu, fmt::format("cpu {}", cpu)}; }

// CPUs seen, each named once (rows are per instance x CPU x seq: thousands).
class CpuSet {
 public:
  void add(uint32_t cpu) {
    if (cpu >= seen_.size()) seen_.resize(cpu + 1);
    seen_[cpu] = true;
  }
  void append_to(std::vector<Subject>& out) const {
    for (uint32_t c = 0; c < seen_.size(); c++)
      if (seen_[c]) out.push_back(cpu_subject(c));
  }

 private:
  std::vector<bool> seen_;
};

void add_sorted(std::vector<std::string>& v, const std::string& x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

void add_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

void rank(std::vector<Contribution>& c) {
  std::stable_sort(c.begin(), c.end(),
                   [](const Contribution& a, const Contribution& b) { return a.value > b.value; });
  if (c.size() > kMaxContributions) c.resize(kMaxContributions);
}

// Credits an episode with the call sites that queued on its subject in this
// interval (Snapshot::call_sites): on its CPU for a CPU, else on its
// instance or the instances involved (contributing to a machine-wide or
// grace-period value). The episode keeps the largest, with their shares.
void credit_call_sites(std::map<std::pair<std::string, std::string>, CallSite>& sites,
                       const Subject& subject, const std::vector<Subject>& involved,
                       const Snapshot& s, DetectorEpisode& e) {
  if (s.call_sites.empty()) return;
  std::vector<uint64_t> instances;
  for (const Subject& x : involved)
    if (x.kind == SubjectKind::Instance) instances.push_back(x.key);
  bool credited = false;
  for (const CallSiteRow& r : s.call_sites) {
    uint64_t bytes = 0;
    if (subject.kind == SubjectKind::Cpu) {
      for (const auto& [cpu, b] : r.cpu_interval_bytes)
        if (cpu == subject.key) bytes += b;
    } else if (std::find(instances.begin(), instances.end(), r.instance) != instances.end()) {
      bytes = r.interval_bytes;
    }
    if (!bytes) continue;
    CallSite& c = sites[{r.instance_name, r.path}];
    c.function = r.path;
    c.instance = r.instance_name;
    c.bytes += int64_t(bytes);
    credited = true;
  }
  if (!credited) return;
  int64_t total = 0;
  std::vector<const CallSite*> ranked;
  for (const auto& [key, c] : sites) {
    total += c.bytes;
    ranked.push_back(&c);
  }
  const size_t n = std::min(ranked.size(), kMaxCallSites);
  std::partial_sort(ranked.begin(), ranked.begin() + ptrdiff_t(n), ranked.end(),
                    [](const CallSite* a, const CallSite* b) { return a->bytes > b->bytes; });
  e.call_sites.clear();
  for (size_t i = 0; i < n; i++) {
    e.call_sites.push_back(*ranked[i]);
    e.call_sites.back().share = total ? double(ranked[i]->bytes) / double(total) : 0;
  }
}

}  // namespace

DetectorSet::DetectorSet(DetectorLimits limits) : limits_(limits) {}

Detections DetectorSet::evaluate(const Snapshot& s) {
  std::vector<Observation> observed;
  if (limits_.stranded_bytes) stranded_bytes(s, observed);
  if (limits_.gp_ns) grace_period_too_long(s, observed);
  if (limits_.flood_objects_per_sec > 0) callback_flood(s, observed);
  if (limits_.lag_ns) processing_lag(s, observed);
  if (limits_.list_fallback_objects) list_fallback(s, observed);
  if (limits_.losses) losses(s, observed);

  Detections out;
  out.evaluated = true;
  out.limits = limits_;
  std::map<TrackKey, bool> seen;
  for (auto& o : observed) {
    const TrackKey key{o.detector, o.subject.kind, o.subject.key};
    seen[key] = true;
    step(tracks_[key], std::move(o), s, out);
  }
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    Track& t = it->second;
    if (!seen.count(it->first)) {
      // Gone (an instance unloaded, a CPU without queues): nothing holds.
      Observation gone{t.state.detector, t.state.subject, 0, {}, {}};
      step(t, std::move(gone), s, out);
      if (!t.state.episodes) {
        it = tracks_.erase(it);
        continue;
      }
    }
    out.states.push_back(t.state);
    ++it;
  }
  return out;
}

void DetectorSet::step(Track& t, Observation o, const Snapshot& s, Detections& out) const {
  const uint64_t now = s.time_ns;
  const double limit = limit_of(o.detector, limits_);
  DetectorState& st = t.state;
  st.detector = o.detector;
  st.subject = std::move(o.subject);
  st.value = o.value;
  rank(o.contributions);

  if (!t.active && o.value >= limit) {
    t.active = true;
    t.call_sites.clear();
    DetectorEpisode e;
    e.detector = st.detector;
    e.subject = st.subject;
    e.limit = limit;
    e.onset_ns = now;
    e.peak = o.value;
    e.peak_at_ns = now;
    e.at_peak = o.contributions;
    st.episode = std::move(e);
  } else if (t.active && o.value < limit * clear_fraction(o.detector)) {
    if (st.firing) {
      st.episode->end_ns = now;
      out.ended.push_back(std::move(*st.episode));
    }
    t.active = false;
    st.firing = false;
    st.episode.reset();
  }

  if (!t.active) {
    st.contributions.clear();
    return;
  }
  DetectorEpisode& e = *st.episode;
  if (o.value > e.peak) {
    e.peak = o.value;
    e.peak_at_ns = now;
    e.at_peak = o.contributions;
  }
  o.involved.push_back(st.subject);
  for (const Subject& x : o.involved) {
    if (x.kind == SubjectKind::Instance) add_sorted(e.instances, x.name);
    if (x.kind == SubjectKind::GracePeriod) add_sorted(e.grace_periods, x.name);
    if (x.kind == SubjectKind::Cpu) add_sorted(e.cpus, uint32_t(x.key));
  }
  credit_call_sites(t.call_sites, st.subject, o.involved, s, e);
  st.contributions = std::move(o.contributions);
  if (!st.firing && now - e.onset_ns >= hold_ns(st.detector, limits_)) {
    st.firing = true;
    e.firing_ns = now;
    st.episodes++;
  }
}

// Bytes pending for at least --stranded-age, machine-wide; contributions
// per instance, with its grace period and the state holding most of them.
void DetectorSet::stranded_bytes(const Snapshot& s, std::vector<Observation>& out) const {
  const Names names(s);
  Observation o{Detector::StrandedBytes, {SubjectKind::Machine, 0, ""}, 0, {}, {}};
  std::map<uint64_t, std::array<int64_t, 3>> by_instance;
  for (const auto& q : s.seqs)
    if (q.age_ns >= limits_.stranded_age_ns)
      add_to(by_instance[q.instance][size_t(q.state)], q.bytes);
  for (const auto& [addr, by_state] : by_instance) {
    int64_t bytes = 0;
    size_t state = 0;
    for (size_t i = 0; i < by_state.size(); i++) {
      add_to(bytes, by_state[i]);
      if (by_state[i] > by_state[state]) state = i;
    }
    const InstanceRow* row = names.instance(addr);
    const uint64_t gp = row ? row->srcu : 0;
    o.value += double(bytes);
    o.contributions.push_back({names.instance_subject(addr), double(bytes),
                               fmt::format("{} {}, {}", to_string(row ? row->flavor : Flavor::Rcu),
                                           names.grace_period(gp), to_string(SeqState(state)))});
    o.involved.push_back(names.instance_subject(addr));
    o.involved.push_back(names.grace_period_subject(gp));
  }
  CpuSet cpus;
  for (const auto& r : s.seq_cpus)
    if (r.age_ns >= limits_.stranded_age_ns) cpus.add(r.cpu);
  cpus.append_to(o.involved);
  out.push_back(std::move(o));
}

// Per flavor: how long the grace period in progress has run; contributions:
// the bytes of each instance of that flavor waiting for a grace period.
void DetectorSet::grace_period_too_long(const Snapshot& s, std::vector<Observation>& out) const {
  const Names names(s);
  std::map<uint64_t, int64_t> waiting;  // per instance
  for (const auto& q : s.seqs)
    if (q.state == SeqState::WaitingForGracePeriod) add_to(waiting[q.instance], q.bytes);
  for (const auto& g : s.grace_periods) {
    Observation o{Detector::GracePeriodTooLong,
                  {SubjectKind::GracePeriod, g.key, g.name},
                  double(g.in_progress_ns),
                  {},
                  {}};
    for (const auto& i : s.instances) {
      auto w = waiting.find(i.instance);
      if (i.srcu != g.key || w == waiting.end() || w->second <= 0) continue;
      o.contributions.push_back({names.instance_subject(i.instance), double(w->second), ""});
      o.involved.push_back(names.instance_subject(i.instance));
    }
    out.push_back(std::move(o));
  }
}

// Per CPU: objects entering its queues per second (CpuRow::queued_per_sec:
// exact from the per-queue counters, a lower bound without them, in
// recordings of ABI 2 and before); contributions per instance.
void DetectorSet::callback_flood(const Snapshot& s, std::vector<Observation>& out) const {
  const Names names(s);
  std::map<uint32_t, std::vector<const CpuQueueRow*>> by_cpu;
  for (const auto& q : s.cpu_queues) by_cpu[q.cpu].push_back(&q);
  for (const auto& c : s.cpus) {
    Observation o{Detector::CallbackFlood, cpu_subject(c.cpu), c.queued_per_sec, {}, {}};
    for (const CpuQueueRow* q : by_cpu[c.cpu]) {
      if (q->queued_per_sec <= 0) continue;
      o.contributions.push_back(
          {names.instance_subject(q->instance), q->queued_per_sec, "objects queued per second"});
      o.involved.push_back(names.instance_subject(q->instance));
    }
    out.push_back(std::move(o));
  }
}

// Per instance: the longest any of its queues has been seen past its grace
// period (gp-elapsed or on the expired list) without being processed,
// counted from the first sample that saw it so: a lower bound, to one
// interval. Contributions: the bytes of each such queue.
void DetectorSet::processing_lag(const Snapshot& s, std::vector<Observation>& out) {
  const Names names(s);
  struct Acc {
    Observation o;
    std::vector<std::pair<const SeqRow*, uint64_t>> lagging;  // row, lag
    CpuSet cpus;
  };
  std::map<uint64_t, Acc> by_instance;
  const auto acc_of = [&](uint64_t addr) -> Acc& {
    auto it = by_instance.find(addr);
    if (it == by_instance.end())
      it = by_instance
               .emplace(
                   addr,
                   Acc{{Detector::ProcessingLag, names.instance_subject(addr), 0, {}, {}}, {}, {}})
               .first;
    return it->second;
  };
  for (const auto& i : s.instances) acc_of(i.instance);

  // Keys in seq_cpus order (the Aggregator sorts rows by instance, seq,
  // expired, cpu), so the new table is built sorted and the last one is
  // searched forward.
  lag_now_.clear(lag_before_.size());
  for (const auto& r : s.seq_cpus) {
    if (r.state == SeqState::WaitingForGracePeriod) continue;
    const LagKey key{r.instance, r.seq, r.state == SeqState::Expired, r.cpu};
    const uint64_t first = lag_before_.find(key, s.time_ns);
    lag_now_.add(key, first);
    const uint64_t lag = s.time_ns - first;
    Acc& acc = acc_of(r.instance);
    acc.o.value = std::max(acc.o.value, double(lag));
    if (!lag) continue;
    acc.lagging.emplace_back(&r, lag);
    acc.cpus.add(r.cpu);
  }
  lag_now_.finish();
  std::swap(lag_before_, lag_now_);
  lag_now_ = {};  // not held through the next interval's peak, while its sample is read

  for (auto& [addr, acc] : by_instance) {
    // Only the largest are described: a lag on every CPU of a big machine is
    // thousands of queues.
    auto& rows = acc.lagging;
    const size_t n = std::min(rows.size(), kMaxContributions);
    std::partial_sort(rows.begin(), rows.begin() + ptrdiff_t(n), rows.end(),
                      [](const auto& a, const auto& b) { return a.first->bytes > b.first->bytes; });
    for (size_t k = 0; k < n; k++) {
      const auto& [r, lag] = rows[k];
      acc.o.contributions.push_back({cpu_subject(r->cpu), double(r->bytes),
                                     r->state == SeqState::Expired
                                         ? fmt::format("expired list, {}", format_duration_ns(lag))
                                         : fmt::format("seq {} {}, {}", r->seq, to_string(r->state),
                                                       format_duration_ns(lag))});
    }
    acc.cpus.append_to(acc.o.involved);
    out.push_back(std::move(acc.o));
  }
}

void DetectorSet::LagTable::clear(size_t expected) {
  seqs_.clear();
  queues_.clear();
  const size_t room = expected + expected / 8 + 64;
  if (queues_.capacity() > room + room / 4) std::vector<Queue>().swap(queues_);
  queues_.reserve(room);
  sorted_ = true;
  seq_at_ = queue_at_ = 0;
}

void DetectorSet::LagTable::add(const LagKey& key, uint64_t since_ns) {
  const auto& [instance, seq, expired, cpu] = key;
  const auto seq_key = std::tie(instance, seq, expired);
  if (seqs_.empty() ||
      seq_key != std::tie(seqs_.back().instance, seqs_.back().seq, seqs_.back().expired)) {
    if (!seqs_.empty() &&
        seq_key < std::tie(seqs_.back().instance, seqs_.back().seq, seqs_.back().expired))
      sorted_ = false;
    seqs_.push_back({instance, seq, expired, uint32_t(queues_.size())});
  } else if (cpu <= queues_.back().cpu) {
    sorted_ = false;  // out of order, or the same queue twice
  }
  queues_.push_back({cpu, since_ns});
}

void DetectorSet::LagTable::finish() {
  if (sorted_) return;
  std::vector<std::pair<LagKey, uint64_t>> all;
  all.reserve(queues_.size());
  for (size_t s = 0; s < seqs_.size(); s++)
    for (size_t q = seqs_[s].begin; q < end_of(s); q++)
      all.emplace_back(LagKey{seqs_[s].instance, seqs_[s].seq, seqs_[s].expired, queues_[q].cpu},
                       queues_[q].since_ns);
  std::sort(all.begin(), all.end());
  clear(all.size());
  for (const auto& [key, since_ns] : all) add(key, since_ns);
  sorted_ = true;  // a queue seen twice stays twice; find() returns its earliest time
}

uint64_t DetectorSet::LagTable::find(const LagKey& key, uint64_t otherwise) {
  const auto& [instance, seq, expired, cpu] = key;
  const auto seq_key = std::tie(instance, seq, expired);
  const auto key_of = [](const Seq& s) { return std::tie(s.instance, s.seq, s.expired); };
  // Everything before the cursor must be below the key: else search from the start.
  if (seq_at_ > seqs_.size() || (seq_at_ > 0 && !(key_of(seqs_[seq_at_ - 1]) < seq_key)))
    seq_at_ = 0;
  if (seq_at_ == seqs_.size() || key_of(seqs_[seq_at_]) != seq_key)
    seq_at_ = size_t(std::lower_bound(seqs_.begin() + ptrdiff_t(seq_at_), seqs_.end(), seq_key,
                                      [&](const Seq& s, const auto& k) { return key_of(s) < k; }) -
                     seqs_.begin());
  if (seq_at_ == seqs_.size() || key_of(seqs_[seq_at_]) != seq_key) return otherwise;
  const size_t begin = seqs_[seq_at_].begin, end = end_of(seq_at_);
  if (queue_at_ < begin || queue_at_ > end ||
      (queue_at_ > begin && queues_[queue_at_ - 1].cpu >= cpu))
    queue_at_ = begin;
  if (queue_at_ == end || queues_[queue_at_].cpu != cpu)
    queue_at_ = size_t(std::lower_bound(queues_.begin() + ptrdiff_t(queue_at_),
                                        queues_.begin() + ptrdiff_t(end), cpu,
                                        [](const Queue& q, uint32_t c) { return q.cpu < c; }) -
                       queues_.begin());
  return queue_at_ < end && queues_[queue_at_].cpu == cpu ? queues_[queue_at_].since_ns : otherwise;
}

// Per instance in process or call_rcu mode: objects enqueued on the list in
// the interval. rcu_pending puts an object on a list only when its radix
// allocation fails, except in kvfree mode, where every vmalloc()ed pointer
// goes on the list by design (__rcu_pending_enqueue(), fs/bcachefs/
// rcu_pending.c): the tracepoint does not say which, so kvfree instances
// are not judged. Contributions: list objects pending per CPU.
void DetectorSet::list_fallback(const Snapshot& s, std::vector<Observation>& out) {
  const Names names(s);
  std::map<uint64_t, std::vector<const SeqRow*>> on_lists;  // per instance
  for (const auto& r : s.seq_cpus)
    if (r.list_objects > 0) on_lists[r.instance].push_back(&r);
  std::map<uint64_t, uint64_t> now;
  for (const auto& i : s.instances) {
    now[i.instance] = i.list_objects;
    if (i.mode == Mode::Kvfree) continue;
    auto before = list_objects_.find(i.instance);
    const uint64_t prev = before != list_objects_.end() ? before->second : 0;
    Observation o{Detector::ListFallback,
                  names.instance_subject(i.instance),
                  i.list_objects > prev ? double(i.list_objects - prev) : 0.0,
                  {},
                  {}};
    auto& rows = on_lists[i.instance];
    const size_t n = std::min(rows.size(), kMaxContributions);  // the largest only
    std::partial_sort(
        rows.begin(), rows.begin() + ptrdiff_t(n), rows.end(),
        [](const SeqRow* a, const SeqRow* b) { return a->list_objects > b->list_objects; });
    CpuSet cpus;
    for (size_t k = 0; k < rows.size(); k++) {
      const SeqRow* r = rows[k];
      cpus.add(r->cpu);
      if (k < n)
        o.contributions.push_back(
            {cpu_subject(r->cpu), double(r->list_objects),
             r->state == SeqState::Expired ? "expired list" : fmt::format("seq {}", r->seq)});
    }
    cpus.append_to(o.involved);
    out.push_back(std::move(o));
  }
  list_objects_ = std::move(now);
}

// Machine-wide: how much every loss counter grew in the interval (from 0
// at the first sample: the counters start when rcuwatch attaches).
void DetectorSet::losses(const Snapshot& s, std::vector<Observation>& out) {
  Observation o{Detector::Losses, {SubjectKind::Machine, 0, ""}, 0, {}, {}};
  const auto add = [&](const char* name, uint64_t now, uint64_t before) {
    if (now <= before) return;
    o.value += double(now - before);
    Contribution& c = o.contributions.emplace_back();
    c.where = {SubjectKind::Counter, 0, name};
    c.value = double(now - before);
  };
  add("ring-buffer drops", s.losses.ringbuf_drops, losses_.ringbuf_drops);
  add("objects not per seq (map full)", s.losses.pending_map_full, losses_.pending_map_full);
  add("process mismatches", s.losses.process_mismatch, losses_.process_mismatch);
  add("untracked objects", s.losses.untracked_objects, losses_.untracked_objects);
  add("enqueues not per CPU (map full)", s.losses.queue_map_full, losses_.queue_map_full);
  losses_ = s.losses;
  out.push_back(std::move(o));
}

std::string format_detector_value(Detector d, double value) {
  switch (d) {
    case Detector::StrandedBytes:
      return format_bytes(int64_t(std::llround(value)));
    case Detector::GracePeriodTooLong:
    case Detector::ProcessingLag:
      return value > 0 ? format_duration_ns(uint64_t(value)) : "0s";
    case Detector::CallbackFlood:
      return format_count(value) + " objects/s";
    case Detector::ListFallback:
      return fmt::format("{:.0f} objects", value);
    default:
      return fmt::format("{:.0f}", value);
  }
}

namespace {

std::string contribution_value(Detector d, double value) {
  switch (d) {
    case Detector::StrandedBytes:
    case Detector::GracePeriodTooLong:
    case Detector::ProcessingLag:
      return format_bytes(int64_t(std::llround(value)));
    case Detector::CallbackFlood:
      return format_count(value) + "/s";
    default:
      return fmt::format("{:.0f}", value);
  }
}

std::string list_of(Detector d, const std::vector<Contribution>& contributions) {
  std::string out;
  for (const auto& c : contributions) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", c.where.name, contribution_value(d, c.value));
    if (!c.detail.empty()) out += fmt::format(" ({})", c.detail);
  }
  return out;
}

std::string held(uint64_t ns) { return ns ? format_duration_ns(ns) : "0s"; }

}  // namespace

std::string describe_limit(Detector d, const DetectorLimits& l) {
  if (limit_of(d, l) <= 0) return "off";
  switch (d) {
    case Detector::StrandedBytes:
      return fmt::format(">= {} pending >= {}, for {}", format_bytes(l.stranded_bytes),
                         held(l.stranded_age_ns), held(l.stranded_for_ns));
    case Detector::GracePeriodTooLong:
      return fmt::format(">= {} running", held(l.gp_ns));
    case Detector::CallbackFlood:
      return fmt::format(">= {} objects/s queued on a CPU", format_count(l.flood_objects_per_sec));
    case Detector::ProcessingLag:
      return fmt::format(">= {} past the grace period", held(l.lag_ns));
    case Detector::ListFallback:
      return fmt::format(">= {} objects per interval (process and call_rcu instances)",
                         l.list_fallback_objects);
    default:
      return fmt::format(">= {} per interval", l.losses);
  }
}

std::string describe(Detector d, const Subject& subject, double value,
                     const std::vector<Contribution>& contributions, uint64_t held_ns,
                     const DetectorLimits& limits) {
  const std::string v = format_detector_value(d, value);
  const std::string limit = format_detector_value(d, limit_of(d, limits));
  const std::string what = list_of(d, contributions);
  const std::string tail = what.empty() ? "" : ": " + what;
  switch (d) {
    case Detector::StrandedBytes:
      return fmt::format("{} pending >= {} (limit {}) for {}{}", v, held(limits.stranded_age_ns),
                         limit, held(held_ns), tail);
    case Detector::GracePeriodTooLong:
      return fmt::format("grace period {} running for {} (limit {}){}", subject.name, v, limit,
                         what.empty() ? "" : "; waiting on it: " + what);
    case Detector::CallbackFlood:
      return fmt::format("{}: {} queued (limit {}) for {}{}", subject.name, v, limit, held(held_ns),
                         tail);
    case Detector::ProcessingLag:
      return fmt::format("{}: not processed {} after its grace period (limit {}){}", subject.name,
                         v, limit, tail);
    case Detector::ListFallback:
      return fmt::format(
          "{}: {} enqueued on the list fallback in an interval, radix allocation failed (limit "
          "{}) for {}{}",
          subject.name, v, limit, held(held_ns), what.empty() ? "" : "; on lists now: " + what);
    default:
      return fmt::format("rcuwatch lost {} in an interval (limit {}) for {}{}", v, limit,
                         held(held_ns), tail);
  }
}

}  // namespace rcuwatch
