#include "detectors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <iterator>
#include <memory>
#include <span>

#include "interval_memory.hpp"
#include "saturating.hpp"
#include "top_k.hpp"
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

// Whether a detector's condition holds after a sample of `value`, for a
// subject where it held (`active`) or not before: it begins at the limit
// and ends below clear_fraction() of it. step() and observe() both ask.
bool holds_after(Detector d, bool active, double value, double limit) {
  return active ? !(value < limit * clear_fraction(d)) : value >= limit;
}

uint64_t hold_ns(Detector d, const DetectorLimits& l) {
  return d == Detector::StrandedBytes ? l.stranded_for_ns : 0;
}

// Names and flavors of what a snapshot knows, for contributions; each
// instance's name with its version, kept from one evaluation to the next
// in `kept` (only the instances of this snapshot stay there, and those
// named without a row in it).
class Names {
 public:
  Names(const Snapshot& s, std::map<uint64_t, DetectorSet::InstanceName>& kept, uint64_t& versions)
      : s_(s), kept_(kept), versions_(versions) {
    std::map<uint64_t, DetectorSet::InstanceName> now;
    for (const auto& i : s.instances) {
      auto before = kept.find(i.instance);
      DetectorSet::InstanceName n = before != kept.end() && before->second.name == i.name
                                        ? std::move(before->second)
                                        : DetectorSet::InstanceName{i.name, ++versions};
      instances_[i.instance] = {&i, n.version};
      now.emplace(i.instance, std::move(n));
    }
    kept = std::move(now);
  }
  const InstanceRow* instance(uint64_t addr) const {
    auto it = instances_.find(addr);
    return it != instances_.end() ? it->second.row : nullptr;
  }
  // The names are the Snapshot's, or formatted once an evaluation.
  const std::string& instance_name(uint64_t addr) const {
    const InstanceRow* i = instance(addr);
    return i ? i->name : unnamed(addr).name;
  }
  const std::string& grace_period(uint64_t key) const {
    for (const auto& g : s_.grace_periods)
      if (g.key == key) return g.name;
    auto [it, added] = unnamed_grace_periods_.try_emplace(key);
    if (added) it->second = key ? fmt::format("{:#x}", key) : "rcu";
    return it->second;
  }
  Subject instance_subject(uint64_t addr) const {
    return {SubjectKind::Instance, addr, instance_name(addr)};
  }
  Subject grace_period_subject(uint64_t key) const {
    return {SubjectKind::GracePeriod, key, grace_period(key)};
  }
  DetectorSet::Involved instance_involved(uint64_t addr) const {
    auto it = instances_.find(addr);
    if (it != instances_.end())
      return {SubjectKind::Instance, addr, it->second.row->name, it->second.name_version};
    const DetectorSet::InstanceName& n = unnamed(addr);
    return {SubjectKind::Instance, addr, n.name, n.version};
  }
  DetectorSet::Involved grace_period_involved(uint64_t key) const {
    return {SubjectKind::GracePeriod, key, grace_period(key)};
  }

 private:
  const Snapshot& s_;
  // An instance the Snapshot has no row for, named by its address (in
  // kept_, whose nodes stay where they are).
  const DetectorSet::InstanceName& unnamed(uint64_t addr) const {
    auto [it, added] = kept_.try_emplace(addr);
    if (added) it->second = {fmt::format("{:#x}", addr), ++versions_};
    return it->second;
  }
  struct Known {
    const InstanceRow* row;
    uint64_t name_version;
  };
  std::map<uint64_t, Known> instances_;
  std::map<uint64_t, DetectorSet::InstanceName>& kept_;
  uint64_t& versions_;
  // Names of the grace periods the Snapshot does not name.
  mutable std::map<uint64_t, std::string> unnamed_grace_periods_;
};

// A subject as involved in its own observation. Its name is the
// Snapshot's, not the subject's: step() moves the subject.
DetectorSet::Involved as_involved(const Names& names, const Subject& x) {
  if (x.kind == SubjectKind::Instance) return names.instance_involved(x.key);
  if (x.kind == SubjectKind::GracePeriod) return names.grace_period_involved(x.key);
  return {x.kind, x.key, {}};  // a CPU is involved by its number only
}

Subject cpu_subject(uint32_t cpu) { return {SubjectKind::Cpu, cpu, fmt::format("cpu {}", cpu)}; }

// CPUs seen, a bit each (rows are per instance x CPU x seq: 262k at 1024 CPUs).
class CpuSet {
 public:
  void add(uint32_t cpu) { add_word(cpu / 64, uint64_t{1} << (cpu % 64)); }
  void add_word(size_t word, uint64_t bits) {
    if (word >= words_.size()) words_.resize(word + 1);
    words_[word] |= bits;
  }
  // In increasing order.
  std::vector<uint32_t> list() const {
    size_t n = 0;
    for (uint64_t bits : words_) n += size_t(std::popcount(bits));
    std::vector<uint32_t> out;
    out.reserve(n);
    for (size_t w = 0; w < words_.size(); w++)
      for (uint64_t bits = words_[w]; bits; bits &= bits - 1)
        out.push_back(uint32_t(w * 64 + size_t(std::countr_zero(bits))));
    return out;
  }

 private:
  std::vector<uint64_t> words_;
};

// CPUs on their way to a set as rows come (by seq, then CPU): the bits of
// one word gather in a register, not in memory row after row.
class CpuRun {
 public:
  explicit CpuRun(CpuSet* to = nullptr) : to_(to) {}
  void add(uint32_t cpu) {
    if (cpu / 64 != word_) flush(cpu / 64);
    bits_ |= uint64_t{1} << (cpu % 64);
  }
  // What gathered goes to its set; the run goes on in `word` (to `to`).
  void flush(uint32_t word = 0) {
    if (bits_) to_->add_word(word_, bits_);
    bits_ = 0;
    word_ = word;
  }
  void flush_to(CpuSet* to) {
    flush();
    to_ = to;
  }

 private:
  CpuSet* to_;
  uint32_t word_ = 0;
  uint64_t bits_ = 0;
};

template <typename T>
void add_sorted(std::vector<T>& v, const T& x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

// Notes the version of the name `key` has now in `names` (sorted by key):
// whether it is new there, or other than the last one noted for that key.
bool renamed(std::vector<std::pair<uint64_t, uint64_t>>& names, uint64_t key,
             uint64_t name_version) {
  auto it = std::lower_bound(names.begin(), names.end(), key,
                             [](const auto& n, uint64_t k) { return n.first < k; });
  if (it == names.end() || it->first != key) {
    names.insert(it, {key, name_version});
    return true;
  }
  if (it->second == name_version) return false;
  it->second = name_version;
  return true;
}

// Whether sorted `v` holds all of sorted `xs`.
bool has_sorted(const std::vector<uint32_t>& v, const std::vector<uint32_t>& xs) {
  return v == xs || std::includes(v.begin(), v.end(), xs.begin(), xs.end());
}

// Adds sorted, distinct `xs` to sorted `v`: usually all there already, as
// an episode goes on.
void add_sorted(std::vector<uint32_t>& v, const std::vector<uint32_t>& xs) {
  if (has_sorted(v, xs)) return;
  std::vector<uint32_t> both;
  both.reserve(v.size() + xs.size());
  std::set_union(v.begin(), v.end(), xs.begin(), xs.end(), std::back_inserter(both));
  v = std::move(both);
}

// Whether sorted `v` holds `x`.
template <typename T, typename U>
bool has_sorted(const std::vector<T>& v, const U& x) {
  return std::binary_search(v.begin(), v.end(), x);
}

void add_sorted(std::vector<std::string>& v, std::string_view x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, std::string(x));
}

// The episode to write to: copied first while Detections handed out
// before still hold it, so that they keep what they were given.
DetectorEpisode& writable(std::shared_ptr<const DetectorEpisode>& episode) {
  if (episode.use_count() == 1)
    std::atomic_thread_fence(std::memory_order_acquire);  // its last other holder is done
  else
    episode = std::make_shared<DetectorEpisode>(*episode);
  // Every episode is made a non-const DetectorEpisode (here and in step()).
  return const_cast<DetectorEpisode&>(*episode);
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
                       const Subject& subject, const std::vector<DetectorSet::Involved>& involved,
                       const Snapshot& s, std::shared_ptr<const DetectorEpisode>& episode) {
  if (s.call_sites.empty()) return;
  std::vector<uint64_t> instances;
  for (const DetectorSet::Involved& x : involved)
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
  DetectorEpisode& e = writable(episode);
  e.call_sites.clear();
  for (size_t i = 0; i < n; i++) {
    e.call_sites.push_back(*ranked[i]);
    e.call_sites.back().share = total ? double(ranked[i]->bytes) / double(total) : 0;
  }
}

// A queue past its grace period, and for how long: what processing_lag
// describes, the most bytes first.
struct LaggingRow {
  const SeqRow* row = nullptr;
  uint64_t lag_ns = 0;
};
struct MoreBytes {
  bool operator()(const LaggingRow& a, const LaggingRow& b) const {
    return a.row->bytes > b.row->bytes;
  }
};
struct MoreListObjects {
  bool operator()(const SeqRow* a, const SeqRow* b) const {
    return a->list_objects > b->list_objects;
  }
};

}  // namespace

// What one evaluation knows besides the snapshot: the names in it, and what
// the one pass over its rows (scan_rows) found, per instance.
struct DetectorSet::Evaluation {
  struct Instance {
    bool judged_lag = false;  // known, or a queue of it is past its grace period
    uint64_t lag_ns = 0;      // the longest
    TopK<LaggingRow, kMaxContributions, MoreBytes> lagging;  // lag > 0, as described
    CpuSet lagging_cpus;
    TopK<const SeqRow*, kMaxContributions, MoreListObjects> on_lists;
    CpuSet list_cpus;
  };

  Evaluation(const Snapshot& snapshot, std::map<uint64_t, InstanceName>& instance_names,
             uint64_t& name_versions)
      : s(snapshot), names(snapshot, instance_names, name_versions) {}
  Instance& instance(uint64_t addr) { return instances[addr]; }

  const Snapshot& s;
  const Names names;
  std::map<uint64_t, Instance> instances;  // by address: processing_lag's order
  CpuSet stranded_cpus;                    // holding bytes pending >= --stranded-age
};

DetectorSet::DetectorSet(DetectorLimits limits) : limits_(limits) {}

Detections DetectorSet::evaluate(const Snapshot& s) {
  evaluations_++;
  next_track_ = tracks_.begin();
  Evaluation ev(s, instance_names_, name_versions_);
  scan_rows(ev);

  Detections out;
  out.evaluated = true;
  out.limits = limits_;
  if (limits_.stranded_bytes) stranded_bytes(ev, out);
  if (limits_.gp_ns) grace_period_too_long(ev, out);
  if (limits_.flood_objects_per_sec > 0) callback_flood(ev, out);
  if (limits_.lag_ns) processing_lag(ev, out);
  if (limits_.list_fallback_objects) list_fallback(ev, out);
  if (limits_.losses) losses(ev, out);

  out.states.reserve(tracks_.size());
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    Track& t = it->second;
    if (t.seen_at != evaluations_) {
      // Gone (an instance unloaded, a CPU without queues): nothing holds.
      Observation gone{t.state.detector, t.state.subject, 0, {}, {}, {}};
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

template <typename Describe>
void DetectorSet::observe(const Evaluation& ev, Detector d, Subject subject, double value,
                          Describe&& describe, Detections& out) {
  // Subjects come mostly in the order of tracks_: the one after the last is a step away.
  const auto it = tracks_.try_emplace(next_track_, TrackKey{d, subject.kind, subject.key});
  next_track_ = std::next(it);
  Track& t = it->second;
  t.seen_at = evaluations_;
  Observation o{d, std::move(subject), value, {}, {}, {}};
  // Described only when the condition holds after this sample: step() keeps it then.
  if (holds_after(d, t.active, value, limit_of(d, limits_))) {
    describe(o);
    o.involved.push_back(as_involved(ev.names, o.subject));  // the subject itself too
  }
  step(t, std::move(o), ev.s, out);
}

void DetectorSet::LagTable::clear(size_t expected) {
  seqs_.clear();
  queues_.clear();
  const size_t room = expected + expected / 8 + 64;
  if (queues_.capacity() > room + room / 4) std::vector<Queue>().swap(queues_);
  queues_.reserve(room);
  prepare_for_filling(queues_.data(), expected * sizeof(Queue));  // fresh each interval
  sorted_ = true;
  seq_at_ = 0;
}

void DetectorSet::LagTable::begin_seq(uint64_t instance, uint64_t seq, bool expired) {
  if (!seqs_.empty() && !(std::tie(seqs_.back().instance, seqs_.back().seq, seqs_.back().expired) <
                          std::tie(instance, seq, expired)))
    sorted_ = false;  // out of order, or the same seq again
  seqs_.push_back({instance, seq, expired, uint32_t(queues_.size())});
  next_cpu_ = 0;
}

// Inline, with Span::find(): one call each per queue past its grace period.
[[gnu::always_inline]] inline void DetectorSet::LagTable::add(uint32_t cpu, uint64_t since_ns) {
  if (cpu < next_cpu_) sorted_ = false;  // out of order, or the same queue twice
  next_cpu_ = uint64_t(cpu) + 1;
  queues_.emplace_back(cpu, since_ns);
}

void DetectorSet::LagTable::finish() {
  if (sorted_) return;
  std::vector<std::tuple<uint64_t, uint64_t, bool, uint32_t, uint64_t>> all;
  all.reserve(queues_.size());
  for (size_t s = 0; s < seqs_.size(); s++)
    for (size_t q = seqs_[s].begin; q < end_of(s); q++)
      all.emplace_back(seqs_[s].instance, seqs_[s].seq, seqs_[s].expired, queues_[q].cpu,
                       queues_[q].since_ns);
  std::sort(all.begin(), all.end());
  clear(all.size());
  for (size_t i = 0; i < all.size(); i++) {
    const auto& [instance, seq, expired, cpu, since_ns] = all[i];
    if (i == 0 ||
        std::tie(instance, seq, expired) !=
            std::tie(std::get<0>(all[i - 1]), std::get<1>(all[i - 1]), std::get<2>(all[i - 1])))
      begin_seq(instance, seq, expired);
    add(cpu, since_ns);
  }
  sorted_ = true;  // a queue seen twice stays twice; Span::find() returns its earliest time
}

DetectorSet::LagTable::Span DetectorSet::LagTable::seq(uint64_t instance, uint64_t seq,
                                                       bool expired) {
  const auto key = std::tie(instance, seq, expired);
  const auto key_of = [](const Seq& s) { return std::tie(s.instance, s.seq, s.expired); };
  // Everything before the cursor must be below the key: else from the start.
  if (seq_at_ > 0 && !(key_of(seqs_[seq_at_ - 1]) < key)) seq_at_ = 0;
  // At the key, a step before it, or searched for.
  if (seq_at_ < seqs_.size() && key_of(seqs_[seq_at_]) < key && ++seq_at_ < seqs_.size() &&
      key_of(seqs_[seq_at_]) < key)
    seq_at_ = size_t(std::lower_bound(seqs_.begin() + ptrdiff_t(seq_at_), seqs_.end(), key,
                                      [&](const Seq& s, const auto& k) { return key_of(s) < k; }) -
                     seqs_.begin());
  if (seq_at_ == seqs_.size() || key_of(seqs_[seq_at_]) != key) return {};
  return {queues_.data() + seqs_[seq_at_].begin, queues_.data() + end_of(seq_at_)};
}

[[gnu::always_inline]] inline uint64_t DetectorSet::LagTable::Span::find(uint32_t cpu,
                                                                         uint64_t otherwise) {
  if (at_ == end_ || at_->cpu != cpu) {
    // Everything before the cursor must be below the CPU: else from the start.
    if (at_ > begin_ && (at_ - 1)->cpu >= cpu) at_ = begin_;
    // At the CPU, a step before it, or searched for.
    if (at_ < end_ && at_->cpu < cpu && ++at_ < end_ && at_->cpu < cpu)
      at_ = std::lower_bound(at_, end_, cpu, [](const Queue& q, uint32_t c) { return q.cpu < c; });
  }
  return at_ < end_ && at_->cpu == cpu ? at_->since_ns : otherwise;
}

// One pass over Snapshot::seq_cpus for the three detectors that look at
// rows: the CPUs holding stranded bytes, each instance's queues past their
// grace period (timed by the lag tables) and on the list fallback.
void DetectorSet::scan_rows(Evaluation& ev) {
  const Snapshot& s = ev.s;
  const bool stranded = limits_.stranded_bytes, lag = limits_.lag_ns,
             list = limits_.list_fallback_objects;
  if (lag) {
    for (const auto& i : s.instances) ev.instance(i.instance).judged_lag = true;
    lag_now_.clear(lag_before_.size());
  }
  // Keys in seq_cpus order (the Aggregator sorts rows by instance, seq,
  // expired, cpu), so the new table is built sorted and the last one is
  // searched forward; rows of one instance come together.
  Evaluation::Instance* in = nullptr;
  uint64_t in_addr = 0;
  CpuRun stranded_cpus(&ev.stranded_cpus), lagging_cpus, list_cpus;
  // The seq of the last row past its grace period, and its queues in the last table.
  bool lag_seq_open = false, lag_expired = false;
  uint64_t lag_instance = 0, lag_seq = 0;
  LagTable::Span before;
  for (const SeqRow& r : s.seq_cpus) {
    if (stranded && r.age_ns >= limits_.stranded_age_ns) stranded_cpus.add(r.cpu);
    const bool past_gp = lag && r.state != SeqState::WaitingForGracePeriod;
    const bool on_list = list && r.list_objects > 0;
    if (!past_gp && !on_list) continue;
    if (!in || r.instance != in_addr) {
      in = &ev.instance(r.instance);
      in_addr = r.instance;
      lagging_cpus.flush_to(&in->lagging_cpus);
      list_cpus.flush_to(&in->list_cpus);
    }
    if (on_list) {
      in->on_lists.offer(&r);
      list_cpus.add(r.cpu);
    }
    if (!past_gp) continue;
    const bool expired = r.state == SeqState::Expired;
    if (!lag_seq_open || r.instance != lag_instance || r.seq != lag_seq || expired != lag_expired) {
      lag_seq_open = true;
      lag_instance = r.instance;
      lag_seq = r.seq;
      lag_expired = expired;
      before = lag_before_.seq(r.instance, r.seq, expired);
      lag_now_.begin_seq(r.instance, r.seq, expired);
    }
    const uint64_t first = before.find(r.cpu, s.time_ns);
    lag_now_.add(r.cpu, first);
    const uint64_t lag_ns = s.time_ns - first;
    in->judged_lag = true;
    in->lag_ns = std::max(in->lag_ns, lag_ns);
    if (!lag_ns) continue;
    in->lagging.offer({&r, lag_ns});
    lagging_cpus.add(r.cpu);
  }
  stranded_cpus.flush();
  lagging_cpus.flush();
  list_cpus.flush();
  if (lag) {
    lag_now_.finish();
    std::swap(lag_before_, lag_now_);
    lag_now_ = {};  // not held through the next interval's peak, while its sample is read
  }
}

void DetectorSet::step(Track& t, Observation o, const Snapshot& s, Detections& out) const {
  const uint64_t now = s.time_ns;
  const double limit = limit_of(o.detector, limits_);
  DetectorState& st = t.state;
  st.detector = o.detector;
  st.subject = std::move(o.subject);
  st.value = o.value;
  rank(o.contributions);

  const bool holds = holds_after(o.detector, t.active, o.value, limit);
  if (!t.active && holds) {
    t.active = true;
    t.call_sites.clear();
    t.instance_names.clear();
    DetectorEpisode e;
    e.detector = st.detector;
    e.subject = st.subject;
    e.limit = limit;
    e.onset_ns = now;
    e.peak = o.value;
    e.peak_at_ns = now;
    e.at_peak = o.contributions;
    st.episode = std::make_shared<DetectorEpisode>(std::move(e));
  } else if (t.active && !holds) {
    if (st.firing) {
      out.ended.push_back(*st.episode);
      out.ended.back().end_ns = now;
    }
    t.active = false;
    st.firing = false;
    st.episode.reset();
  }

  if (!t.active) {
    st.contributions.clear();
    return;
  }
  // Read through st.episode, written through writable(st.episode) only
  // where this sample changes it.
  if (o.value > st.episode->peak) {
    DetectorEpisode& e = writable(st.episode);
    e.peak = o.value;
    e.peak_at_ns = now;
    e.at_peak = o.contributions;
  }
  for (const Involved& x : o.involved) {
    if (x.kind == SubjectKind::Instance && renamed(t.instance_names, x.key, x.name_version) &&
        !has_sorted(st.episode->instances, x.name))
      add_sorted(writable(st.episode).instances, x.name);
    if (x.kind == SubjectKind::GracePeriod && !has_sorted(st.episode->grace_periods, x.name))
      add_sorted(writable(st.episode).grace_periods, x.name);
    if (x.kind == SubjectKind::Cpu && !has_sorted(st.episode->cpus, uint32_t(x.key)))
      add_sorted(writable(st.episode).cpus, uint32_t(x.key));
  }
  if (!has_sorted(st.episode->cpus, o.cpus)) add_sorted(writable(st.episode).cpus, o.cpus);
  credit_call_sites(t.call_sites, st.subject, o.involved, s, st.episode);
  st.contributions = std::move(o.contributions);
  if (!st.firing && now - st.episode->onset_ns >= hold_ns(st.detector, limits_)) {
    st.firing = true;
    writable(st.episode).firing_ns = now;
    st.episodes++;
  }
}

// Bytes pending for at least --stranded-age, machine-wide; contributions
// per instance, with its grace period and the state holding most of them.
void DetectorSet::stranded_bytes(const Evaluation& ev, Detections& out) {
  const Snapshot& s = ev.s;
  std::map<uint64_t, std::array<int64_t, 3>> by_instance;
  for (const auto& q : s.seqs)
    if (q.age_ns >= limits_.stranded_age_ns)
      add_to(by_instance[q.instance][size_t(q.state)], q.bytes);
  struct Stranded {
    uint64_t instance;
    int64_t bytes;
    size_t state;  // holding the most
  };
  std::vector<Stranded> stranded;
  double value = 0;
  for (const auto& [addr, by_state] : by_instance) {
    Stranded x{addr, 0, 0};
    for (size_t i = 0; i < by_state.size(); i++) {
      add_to(x.bytes, by_state[i]);
      if (by_state[i] > by_state[x.state]) x.state = i;
    }
    value += double(x.bytes);
    stranded.push_back(x);
  }
  const auto describe = [&](Observation& o) {
    for (const Stranded& x : stranded) {
      const InstanceRow* row = ev.names.instance(x.instance);
      const uint64_t gp = row ? row->srcu : 0;
      o.contributions.push_back(
          {ev.names.instance_subject(x.instance), double(x.bytes),
           fmt::format("{} {}, {}", to_string(row ? row->flavor : Flavor::Rcu),
                       ev.names.grace_period(gp), to_string(SeqState(x.state)))});
      o.involved.push_back(ev.names.instance_involved(x.instance));
      o.involved.push_back(ev.names.grace_period_involved(gp));
    }
    o.cpus = ev.stranded_cpus.list();
  };
  observe(ev, Detector::StrandedBytes, {SubjectKind::Machine, 0, ""}, value, describe, out);
}

// Per flavor: how long the grace period in progress has run; contributions:
// the bytes of each instance of that flavor waiting for a grace period.
void DetectorSet::grace_period_too_long(const Evaluation& ev, Detections& out) {
  const Snapshot& s = ev.s;
  std::map<uint64_t, int64_t> waiting;  // per instance
  for (const auto& q : s.seqs)
    if (q.state == SeqState::WaitingForGracePeriod) add_to(waiting[q.instance], q.bytes);
  for (const auto& g : s.grace_periods) {
    const auto describe = [&](Observation& o) {
      for (const auto& i : s.instances) {
        auto w = waiting.find(i.instance);
        if (i.srcu != g.key || w == waiting.end() || w->second <= 0) continue;
        o.contributions.push_back({ev.names.instance_subject(i.instance), double(w->second), ""});
        o.involved.push_back(ev.names.instance_involved(i.instance));
      }
    };
    observe(ev, Detector::GracePeriodTooLong, {SubjectKind::GracePeriod, g.key, g.name},
            double(g.in_progress_ns), describe, out);
  }
}

// Per CPU: objects entering its queues per second (CpuRow::queued_per_sec:
// exact from the per-queue counters, a lower bound without them, in
// recordings of ABI 2 and before); contributions per instance.
void DetectorSet::callback_flood(const Evaluation& ev, Detections& out) {
  const Snapshot& s = ev.s;
  // cpu_queues by CPU, in their order (65536 rows at 1024 CPUs x 64
  // instances), grouped once a CPU floods: counted per CPU, then placed. Only
  // CPUs with a row in s.cpus are asked for.
  std::vector<const CpuQueueRow*> by_cpu;
  std::vector<uint32_t> start;  // per CPU: its first queue in by_cpu; then the end
  const auto queues_of = [&](uint32_t cpu) {
    if (start.empty()) {
      start.assign(s.cpus.size() + 1, 0);
      for (const auto& q : s.cpu_queues)
        if (q.cpu < s.cpus.size()) start[q.cpu + 1]++;
      for (size_t c = 1; c < start.size(); c++) start[c] += start[c - 1];
      by_cpu.resize(start.back());
      std::vector<uint32_t> next(start.begin(), start.end() - 1);
      for (const auto& q : s.cpu_queues)
        if (q.cpu < s.cpus.size()) by_cpu[next[q.cpu]++] = &q;
    }
    if (cpu + 1 >= start.size()) return std::span<const CpuQueueRow* const>();
    return std::span<const CpuQueueRow* const>(by_cpu.data() + start[cpu],
                                               by_cpu.data() + start[cpu + 1]);
  };
  // The largest rates first; equal ones in cpu_queues order (where the rows
  // are): the order a stable sort by rate gives, as step() ranks them.
  struct MoreQueued {
    bool operator()(const CpuQueueRow* a, const CpuQueueRow* b) const {
      return a->queued_per_sec != b->queued_per_sec ? a->queued_per_sec > b->queued_per_sec : a < b;
    }
  };
  for (const auto& c : s.cpus) {
    const auto describe = [&](Observation& o) {
      TopK<const CpuQueueRow*, kMaxContributions, MoreQueued> largest;
      const auto queues = queues_of(c.cpu);
      o.involved.reserve(queues.size() + 1);  // and the CPU itself (observe())
      for (const CpuQueueRow* q : queues) {
        if (q->queued_per_sec <= 0) continue;
        largest.offer(q);
        o.involved.push_back(ev.names.instance_involved(q->instance));
      }
      // Described: the largest only.
      for (const CpuQueueRow* q : largest.sorted())
        o.contributions.push_back({ev.names.instance_subject(q->instance), q->queued_per_sec,
                                   "objects queued per second"});
    };
    observe(ev, Detector::CallbackFlood, cpu_subject(c.cpu), c.queued_per_sec, describe, out);
  }
}

// Per instance: the longest any of its queues has been seen past its grace
// period (gp-elapsed or on the expired list) without being processed,
// counted from the first sample that saw it so (scan_rows): a lower bound,
// to one interval. Contributions: the bytes of each such queue, the largest
// only (a lag on every CPU of a big machine is thousands of queues).
void DetectorSet::processing_lag(Evaluation& ev, Detections& out) {
  for (auto& instance : ev.instances) {
    Evaluation::Instance& in = instance.second;  // named for the lambda (clang 14)
    if (!in.judged_lag) continue;
    const auto describe = [&](Observation& o) {
      for (const auto& [r, lag] : in.lagging.sorted())
        o.contributions.push_back({cpu_subject(r->cpu), double(r->bytes),
                                   r->state == SeqState::Expired
                                       ? fmt::format("expired list, {}", format_duration_ns(lag))
                                       : fmt::format("seq {} {}, {}", r->seq, to_string(r->state),
                                                     format_duration_ns(lag))});
      o.cpus = in.lagging_cpus.list();
    };
    observe(ev, Detector::ProcessingLag, ev.names.instance_subject(instance.first),
            double(in.lag_ns), describe, out);
  }
}

// Per instance in process or call_rcu mode: objects enqueued on the list in
// the interval. rcu_pending puts an object on a list only when its radix
// allocation fails, except in kvfree mode, where every vmalloc()ed pointer
// goes on the list by design (__rcu_pending_enqueue(), fs/bcachefs/
// rcu_pending.c): the tracepoint does not say which, so kvfree instances
// are not judged. Contributions: list objects pending per CPU, the largest
// (scan_rows).
void DetectorSet::list_fallback(Evaluation& ev, Detections& out) {
  const Snapshot& s = ev.s;
  std::map<uint64_t, uint64_t> now;
  for (const auto& i : s.instances) {
    now[i.instance] = i.list_objects;
    if (i.mode == Mode::Kvfree) continue;
    auto before = list_objects_.find(i.instance);
    const uint64_t prev = before != list_objects_.end() ? before->second : 0;
    const auto describe = [&](Observation& o) {
      auto in = ev.instances.find(i.instance);
      if (in == ev.instances.end()) return;
      for (const SeqRow* r : in->second.on_lists.sorted())
        o.contributions.push_back(
            {cpu_subject(r->cpu), double(r->list_objects),
             r->state == SeqState::Expired ? "expired list" : fmt::format("seq {}", r->seq)});
      o.cpus = in->second.list_cpus.list();
    };
    observe(ev, Detector::ListFallback, ev.names.instance_subject(i.instance),
            i.list_objects > prev ? double(i.list_objects - prev) : 0.0, describe, out);
  }
  list_objects_ = std::move(now);
}

// Machine-wide: how much every loss counter grew in the interval (from 0
// at the first sample: the counters start when rcuwatch attaches).
void DetectorSet::losses(const Evaluation& ev, Detections& out) {
  const Losses& now = ev.s.losses;
  std::vector<Contribution> grew;
  double value = 0;
  const auto add = [&](const char* name, uint64_t n, uint64_t before) {
    if (n <= before) return;
    value += double(n - before);
    Contribution& c = grew.emplace_back();
    c.where = {SubjectKind::Counter, 0, name};
    c.value = double(n - before);
  };
  add("ring-buffer drops", now.ringbuf_drops, losses_.ringbuf_drops);
  add("objects not per seq (map full)", now.pending_map_full, losses_.pending_map_full);
  add("process mismatches", now.process_mismatch, losses_.process_mismatch);
  add("untracked objects", now.untracked_objects, losses_.untracked_objects);
  add("enqueues not per CPU (map full)", now.queue_map_full, losses_.queue_map_full);
  add("intervals not fetched", now.ticks_missed, losses_.ticks_missed);
  losses_ = now;
  const auto describe = [&](Observation& o) { o.contributions = std::move(grew); };
  observe(ev, Detector::Losses, {SubjectKind::Machine, 0, ""}, value, describe, out);
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
