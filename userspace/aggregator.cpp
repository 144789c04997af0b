#include "aggregator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <tuple>

#include "limits.hpp"
#include "saturating.hpp"

namespace rcuwatch {

namespace {

// Wrap-safe "a >= b" for grace-period sequence numbers (ULONG_CMP_GE).
bool seq_ge(uint64_t a, uint64_t b) { return int64_t(a - b) >= 0; }

Counter counter(uint64_t now, uint64_t before, double seconds, bool have_prev) {
  Counter c;
  c.total = now;
  if (have_prev && seconds > 0 && now >= before) c.per_sec = double(now - before) / seconds;
  return c;
}

// The three flows of a row from BPF lifetime counters, now and one interval ago.
template <typename Row>
void set_flows(Row& row, const rw_instance_totals& now, const rw_instance_totals& before,
               double secs, bool have_prev) {
  row.enqueued.objects = counter(now.enqueued_objects, before.enqueued_objects, secs, have_prev);
  row.enqueued.bytes = counter(now.enqueued_bytes, before.enqueued_bytes, secs, have_prev);
  row.processed.objects = counter(now.processed_objects, before.processed_objects, secs, have_prev);
  row.processed.bytes = counter(now.processed_bytes, before.processed_bytes, secs, have_prev);
  row.dequeued.objects = counter(now.dequeued_objects, before.dequeued_objects, secs, have_prev);
  row.dequeued.bytes = counter(now.dequeued_bytes, before.dequeued_bytes, secs, have_prev);
}

uint64_t age(uint64_t now, uint64_t then) { return then && then <= now ? now - then : 0; }

Mode mode_of(uint64_t process) {
  if (process == RW_PROCESS_KVFREE) return Mode::Kvfree;
  if (process == RW_PROCESS_CALL_RCU) return Mode::CallRcu;
  return Mode::Process;
}

}  // namespace

Snapshot Aggregator::update(const Tick& tick, const Source& source) {
  return update(tick, source.info(), source.names(), source.progress());
}

Snapshot Aggregator::update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                            double progress) {
  const Sample& s = tick.sample;
  Snapshot snap;
  snap.time_ns = s.time_ns;
  snap.index = index_++;
  snap.interval_ns = have_prev_ && s.time_ns > prev_.time_ns ? s.time_ns - prev_.time_ns : 0;
  const double secs = double(snap.interval_ns) / 1e9;
  snap.source = info.description;
  snap.source_progress = progress;
  snap.nr_cpus = info.nr_cpus;
  snap.attachment = info.attachment;
  const Input in{s, names, secs};

  for (const auto& e : tick.events)
    if (e.type == RW_EV_SEQ_OPEN && e.where == RW_WHERE_LIST) list_fallbacks_++;

  const GpByKey gp = grace_periods(in, snap);  // first: seq states depend on them
  seq_rows(in, gp, snap);
  flows(in, pending_breakdown(in, snap), snap);

  snap.losses.ringbuf_drops = s.stats[RW_STAT_RINGBUF_DROPS];
  snap.losses.pending_map_full = s.stats[RW_STAT_PENDING_MAP_FULL];
  snap.losses.process_mismatch = s.stats[RW_STAT_PROCESS_MISMATCH];
  snap.losses.events = s.stats[RW_STAT_EVENTS];

  prev_ = {s.time_ns, s.instances, s.grace_periods, snap.totals.pending_bytes};
  have_prev_ = true;
  return snap;
}

std::string Aggregator::Input::name_of(uint64_t addr) const {
  auto it = names.find(addr);
  return it != names.end() ? it->second : fmt::format("{:#x}", addr);
}

// Per flavor: completions, their rate, the latest completed cookie, and the
// durations. Returns the raw stats by flavor key, for seq states.
Aggregator::GpByKey Aggregator::grace_periods(const Input& in, Snapshot& snap) const {
  const Sample& s = in.sample;
  GpByKey by_key;
  std::map<uint64_t, const rw_gp_stats*> prev_gp;
  for (const auto& g : prev_.grace_periods) prev_gp[g.key] = &g.stats;
  for (const auto& g : s.grace_periods) {
    by_key[g.key] = &g.stats;
    GracePeriodStats gs;
    gs.key = g.key;
    gs.flavor = g.key ? Flavor::Srcu : Flavor::Rcu;
    gs.name = g.key ? in.name_of(g.key) : "rcu";
    auto p = prev_gp.find(g.key);
    const bool hp = have_prev_ && p != prev_gp.end();
    gs.completed = counter(g.stats.completed, hp ? p->second->completed : 0, in.secs, hp);
    gs.last_completed_gp_seq = g.stats.last_end_gp_seq;
    gs.last_duration_ns = g.stats.last_duration_ns;
    gs.since_last_end_ns = age(s.time_ns, g.stats.last_end_ns);
    gs.in_progress = g.stats.started > g.stats.completed;
    std::copy(std::begin(g.stats.duration_hist), std::end(g.stats.duration_hist),
              gs.durations.counts.begin());
    gs.durations.sum_ns = g.stats.duration_sum_ns;
    snap.grace_periods.push_back(std::move(gs));
  }
  return by_key;
}

// Per instance x cpu x seq, radix and list of one seq merged: the entries
// sorted by (instance, seq, expired, cpu), neighbours merged. Seq summaries
// are then runs of rows, and instances runs of summaries, so the whole
// breakdown is one sort plus linear passes (no per-row maps or strings: this
// is the per-interval hot path at 256 CPUs x many seqs).
void Aggregator::seq_rows(const Input& in, const GpByKey& gp, Snapshot& snap) const {
  const Sample& s = in.sample;
  std::map<uint64_t, uint64_t> flavor_of;  // instance -> srcu_struct (0: RCU)
  for (const auto& i : s.instances) flavor_of[i.instance] = i.info.srcu;
  auto state_of = [&](uint64_t instance, uint64_t seq, uint32_t where) {
    if (where == RW_WHERE_EXPIRED) return SeqState::Expired;
    auto f = flavor_of.find(instance);
    auto g = gp.find(f != flavor_of.end() ? f->second : 0);
    if (g != gp.end() && g->second->completed && seq_ge(g->second->last_end_gp_seq, seq))
      return SeqState::GracePeriodElapsed;
    return SeqState::WaitingForGracePeriod;
  };

  struct Keyed {
    uint64_t instance, seq;
    bool expired;
    uint32_t cpu;
    const PendingEntry* entry;
    auto key() const { return std::tie(instance, seq, expired, cpu); }
  };
  std::vector<Keyed> order;
  order.reserve(s.pending.size());
  for (const auto& p : s.pending)
    order.push_back({p.key.instance, p.key.seq, p.key.where == RW_WHERE_EXPIRED, p.key.cpu, &p});
  std::sort(order.begin(), order.end(),
            [](const Keyed& a, const Keyed& b) { return a.key() < b.key(); });

  snap.seq_cpus.reserve(order.size());
  for (size_t i = 0; i < order.size();) {
    const Keyed& first = order[i];
    SeqRow r;
    r.instance = first.instance;
    r.cpu = first.cpu;
    r.seq = first.seq;
    r.state = state_of(first.instance, first.seq, first.entry->key.where);
    for (; i < order.size() && order[i].key() == first.key(); i++) {
      const PendingEntry& p = *order[i].entry;
      add_to(r.objects, p.val.objects);
      add_to(r.bytes, p.val.bytes);
      if (p.key.where != RW_WHERE_RADIX) add_to(r.list_objects, p.val.objects);
      r.age_ns = std::max(r.age_ns, age(s.time_ns, p.val.first_enqueue_ns));
    }
    snap.seq_cpus.push_back(r);
  }
}

// Per CPU, per seq and per instance sums of the seq rows. Returns the
// instance rows with their pending figures; flows() completes them.
std::map<uint64_t, InstanceRow> Aggregator::pending_breakdown(const Input& in,
                                                              Snapshot& snap) const {
  // A row per CPU the source has, and per CPU an entry names, up to
  // kMaxCpus: a CPU number from a kernel bug or a torn read must neither
  // index past the rows nor make millions of them. Entries beyond it still
  // count in their seq, instance and the totals.
  uint64_t nr_cpus = snap.nr_cpus;
  for (const auto& r : snap.seq_cpus) nr_cpus = std::max(nr_cpus, uint64_t(r.cpu) + 1);
  nr_cpus = std::min<uint64_t>(nr_cpus, limits::kMaxCpus);
  snap.nr_cpus = uint32_t(nr_cpus);
  snap.cpus.resize(nr_cpus);
  for (uint32_t c = 0; c < nr_cpus; c++) snap.cpus[c].cpu = c;

  std::map<uint64_t, InstanceRow> rows;
  InstanceRow* cur = nullptr;
  for (const auto& r : snap.seq_cpus) {
    if (r.cpu < snap.cpus.size()) {
      CpuRow& c = snap.cpus[r.cpu];
      add_to(c.objects, r.objects);
      add_to(c.bytes, r.bytes);
      c.oldest_age_ns = std::max(c.oldest_age_ns, r.age_ns);
      c.seqs_in_flight++;
    }

    const bool expired = r.state == SeqState::Expired;
    if (snap.seqs.empty() || snap.seqs.back().instance != r.instance ||
        snap.seqs.back().seq != r.seq || (snap.seqs.back().state == SeqState::Expired) != expired) {
      SeqSummary q;
      q.instance = r.instance;
      q.instance_name = cur && cur->instance == r.instance ? cur->name : in.name_of(r.instance);
      q.seq = r.seq;
      q.state = r.state;
      snap.seqs.push_back(std::move(q));
    }
    SeqSummary& q = snap.seqs.back();
    add_to(q.objects, r.objects);
    add_to(q.bytes, r.bytes);
    q.age_ns = std::max(q.age_ns, r.age_ns);
    q.cpus++;

    if (!cur || cur->instance != r.instance) {
      cur = &rows[r.instance];
      cur->instance = r.instance;
      cur->name = q.instance_name;
    }
    add_to(cur->pending_objects, r.objects);
    add_to(cur->pending_bytes, r.bytes);
    cur->oldest_age_ns = std::max(cur->oldest_age_ns, r.age_ns);
  }
  std::stable_sort(snap.seqs.begin(), snap.seqs.end(),
                   [](const SeqSummary& a, const SeqSummary& b) { return a.age_ns > b.age_ns; });
  return rows;
}

// Per instance: what is known of it and its flows; then the totals over
// instances, pending figures included.
void Aggregator::flows(const Input& in, std::map<uint64_t, InstanceRow> rows, Snapshot& snap) {
  const Sample& s = in.sample;
  const double secs = in.secs;
  std::map<uint64_t, const InstanceEntry*> prev_inst;
  for (const auto& i : prev_.instances) prev_inst[i.instance] = &i;
  rw_instance_totals sum_now{}, sum_prev{};
  std::map<uint64_t, uint64_t> active;  // this sample's instance_active_ns_
  for (const auto& i : s.instances) {
    auto p = prev_inst.find(i.instance);
    const bool hp = have_prev_ && p != prev_inst.end();
    const rw_instance_totals before = hp ? p->second->totals : rw_instance_totals{};
    accumulate(sum_now, i.totals);
    accumulate(sum_prev, before);
    const auto pending = rows.find(i.instance);
    const bool moved =
        !hp || std::memcmp(&i.totals, &before, sizeof(before)) != 0 || pending != rows.end();
    const auto seen = instance_active_ns_.find(i.instance);
    const uint64_t last = moved || seen == instance_active_ns_.end() ? s.time_ns : seen->second;
    active[i.instance] = last;
    if (retired(s.time_ns, last)) continue;  // counted in the totals, no row
    InstanceRow& row = rows[i.instance];
    row.instance = i.instance;
    row.name = in.name_of(i.instance);
    row.srcu = i.info.srcu;
    row.flavor = i.info.srcu ? Flavor::Srcu : Flavor::Rcu;
    row.process = i.info.process;
    row.mode = mode_of(i.info.process);
    set_flows(row, i.totals, before, secs, hp);
    row.immediate_objects = i.totals.immediate_objects;
    row.list_objects = i.totals.list_objects;
    row.untracked_objects = i.totals.untracked_objects;
  }
  instance_active_ns_ = std::move(active);  // instances gone from the maps are forgotten

  Totals& t = snap.totals;
  for (auto& [addr, row] : rows) {
    if (row.name.empty()) {  // pending entries of an instance the totals map lacks
      row.instance = addr;
      row.name = in.name_of(addr);
    }
    add_to(t.pending_objects, row.pending_objects);
    add_to(t.pending_bytes, row.pending_bytes);
    t.oldest_age_ns = std::max(t.oldest_age_ns, row.oldest_age_ns);
    snap.instances.push_back(std::move(row));
  }
  std::stable_sort(
      snap.instances.begin(), snap.instances.end(),
      [](const InstanceRow& a, const InstanceRow& b) { return a.pending_bytes > b.pending_bytes; });

  set_flows(t, sum_now, sum_prev, secs, have_prev_);
  t.list_objects = sum_now.list_objects;
  t.list_fallbacks = list_fallbacks_;
  if (have_prev_ && secs > 0)
    t.pending_bytes_per_sec = (double(t.pending_bytes) - double(prev_.pending_bytes)) / secs;
  snap.losses.untracked_objects = sum_now.untracked_objects;
  retire_flavors(s, snap);
}

// An SRCU flavor retires when its grace-period counters stopped moving for
// the retire time and no instance with a row uses it; RCU never does.
void Aggregator::retire_flavors(const Sample& s, Snapshot& snap) {
  std::map<uint64_t, const rw_gp_stats*> prev_gp;
  for (const auto& g : prev_.grace_periods) prev_gp[g.key] = &g.stats;
  std::map<uint64_t, bool> used;  // srcu_struct -> an instance with a row uses it
  for (const auto& row : snap.instances) used[row.srcu] = true;
  std::map<uint64_t, uint64_t> active;
  for (const auto& g : s.grace_periods) {
    if (g.key == 0) continue;
    const auto p = prev_gp.find(g.key);
    const bool moved =
        !have_prev_ || p == prev_gp.end() || std::memcmp(&g.stats, p->second, sizeof(g.stats)) != 0;
    const auto seen = flavor_active_ns_.find(g.key);
    active[g.key] = moved || seen == flavor_active_ns_.end() ? s.time_ns : seen->second;
  }
  std::erase_if(snap.grace_periods, [&](const GracePeriodStats& g) {
    const auto a = active.find(g.key);
    return a != active.end() && retired(s.time_ns, a->second) && !used[g.key];
  });
  flavor_active_ns_ = std::move(active);
}

}  // namespace rcuwatch
