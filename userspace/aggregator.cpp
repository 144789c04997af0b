#include "aggregator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "interval_memory.hpp"
#include "oom_capture.hpp"
#include "pending_breakdown.hpp"
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

Mode mode_of(uint64_t process) {
  if (process == RW_PROCESS_KVFREE) return Mode::Kvfree;
  if (process == RW_PROCESS_CALL_RCU) return Mode::CallRcu;
  return Mode::Process;
}

}  // namespace

Snapshot Aggregator::update(const Tick& tick, const Source& source) {
  Snapshot snap = update(tick, source.info(), source.names(), source.progress(), source.stacks());
  snap.losses.ticks_missed = source.ticks_missed();
  return snap;
}

Snapshot Aggregator::update(Tick&& tick, const Source& source) {
  Snapshot snap = update(tick, source.info(), source.names(), source.progress(), source.stacks(),
                         &tick.sample.pending);
  snap.losses.ticks_missed = source.ticks_missed();
  return snap;
}

Snapshot Aggregator::update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                            double progress, const CallStacks& stacks) {
  return update(tick, info, names, progress, stacks, nullptr);
}

Snapshot Aggregator::update(const Tick& tick, const SourceInfo& info, const SymbolNames& names,
                            double progress, const CallStacks& stacks,
                            std::vector<PendingEntry>* spent) {
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

  // The one pass over the interval's events (65 536 and more under steady load).
  for (const auto& e : tick.events) {
    if (e.type == RW_EV_SEQ_OPEN && e.where == RW_WHERE_LIST) list_fallbacks_++;
    if (e.type == RW_EV_SEQ_PROCESS && e.objects > 0)
      processed_by_queue_.add({e.instance, e.cpu}, uint64_t(e.objects));
    if (e.type == RW_EV_OOM_KILL) snap.oom_kills.push_back(oom_kill(e));
  }
  add_lost_oom_kills(snap.oom_kills, s, prev_.oom_kills);

  const GpByKey gp = grace_periods(in, snap);  // first: seq states depend on them
  QueueObjects queue_objects;
  flows(in, pending(in, gp, snap, queue_objects, spent), snap);
  if (spent) std::vector<PendingEntry>().swap(*spent);  // read by pending() only
  QueueTotals queue_totals;
  queue_totals.reserve(s.queues.size());
  for (const auto& q : s.queues) queue_totals.push_back({{q.key.instance, q.key.cpu}, q.val});
  std::sort(queue_totals.begin(), queue_totals.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  processed_by_queue_.sort();
  cpu_queues(in, queue_objects, queue_totals, snap);
  processed_by_queue_.next_interval();
  call_sites_.update(s, stacks, names, have_prev_ ? secs : 0, snap);
  snap.call_site_sample_bytes = info.call_site_sample_bytes;
  snap.oom_kills_total = s.stats[RW_STAT_OOM_KILLS];

  snap.losses.ringbuf_drops = s.stats[RW_STAT_RINGBUF_DROPS];
  snap.losses.pending_map_full = s.stats[RW_STAT_PENDING_MAP_FULL];
  snap.losses.process_mismatch = s.stats[RW_STAT_PROCESS_MISMATCH];
  snap.losses.events = s.stats[RW_STAT_EVENTS];
  snap.losses.unsized_objects = s.stats[RW_STAT_UNSIZED_OBJECTS];
  snap.losses.nested_enqueues = s.stats[RW_STAT_NESTED_ENQUEUES];
  snap.losses.late_placements = s.stats[RW_STAT_LATE_PLACEMENTS];
  snap.losses.queue_map_full = s.stats[RW_STAT_QUEUE_MAP_FULL];
  snap.losses.call_site_samples = s.stats[RW_STAT_CALL_SITE_SAMPLES];
  snap.losses.call_site_no_stack = s.stats[RW_STAT_CALL_SITE_NO_STACK];
  snap.losses.call_site_map_full = s.stats[RW_STAT_CALL_SITE_MAP_FULL];

  prev_ = {s.time_ns,
           s.instances,
           s.grace_periods,
           snap.totals.pending_bytes,
           std::move(queue_objects),
           std::move(queue_totals),
           s.stats[RW_STAT_OOM_KILLS]};
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
    gs.since_last_end_ns = age_ns(s.time_ns, g.stats.last_end_ns);
    // By time, not by counts (started > completed): attached during a grace
    // period, its end is counted without its start, and the counts would
    // say "none running" through every later one.
    gs.in_progress = g.stats.last_start_ns && g.stats.last_start_ns > g.stats.last_end_ns;
    gs.in_progress_ns = gs.in_progress ? age_ns(s.time_ns, g.stats.last_start_ns) : 0;
    std::copy(std::begin(g.stats.duration_hist), std::end(g.stats.duration_hist),
              gs.durations.counts.begin());
    gs.durations.sum_ns = g.stats.duration_sum_ns;
    snap.grace_periods.push_back(std::move(gs));
  }
  return by_key;
}

// Per instance x cpu x seq (radix and list of one seq merged), per seq, per
// CPU, per instance x CPU and per instance sums of the pending entries:
// pending_breakdown.cpp does the per-entry work; what is per seq or per
// instance is done here. Returns the instance rows with their pending
// figures; flows() completes them.
std::map<uint64_t, InstanceRow> Aggregator::pending(const Input& in, const GpByKey& gp,
                                                    Snapshot& snap, QueueObjects& queue_objects,
                                                    std::vector<PendingEntry>* spent) {
  const Sample& s = in.sample;
  std::map<uint64_t, uint64_t> flavor_of;  // instance -> srcu_struct (0: RCU)
  for (const auto& i : s.instances) flavor_of[i.instance] = i.info.srcu;
  auto state_of = [&](const SeqKey& q) {
    if (q.expired) return SeqState::Expired;
    auto f = flavor_of.find(q.instance);
    auto g = gp.find(f != flavor_of.end() ? f->second : 0);
    if (g != gp.end() && g->second->completed && seq_ge(g->second->last_end_gp_seq, q.seq))
      return SeqState::GracePeriodElapsed;
    return SeqState::WaitingForGracePeriod;
  };
  // Consumed, the entries are freed before the rows are allocated.
  PendingBreakdown b = spent
                           ? breakdown_.build(std::move(*spent), s.time_ns, snap.nr_cpus, state_of)
                           : breakdown_.build(s.pending, s.time_ns, snap.nr_cpus, state_of);
  snap.seq_cpus = std::move(b.rows);
  snap.cpus = std::move(b.cpus);
  queue_objects = std::move(b.queues);
  snap.nr_cpus = uint32_t(snap.cpus.size());

  // Seqs come sorted by instance: an instance's rows are runs of them.
  std::map<uint64_t, InstanceRow> rows;
  InstanceRow* cur = nullptr;
  snap.seqs.reserve(b.seqs.size());
  for (const SeqTotal& t : b.seqs) {
    if (!cur || cur->instance != t.key.instance) {
      cur = &rows[t.key.instance];
      cur->instance = t.key.instance;
      cur->name = in.name_of(t.key.instance);
    }
    add_to(cur->pending_objects, t.objects);
    add_to(cur->pending_bytes, t.bytes);
    cur->oldest_age_ns = std::max(cur->oldest_age_ns, t.age_ns);
    SeqSummary q;
    q.instance = t.key.instance;
    q.instance_name = cur->name;
    q.seq = t.key.seq;
    q.objects = t.objects;
    q.bytes = t.bytes;
    q.age_ns = t.age_ns;
    q.cpus = t.cpus;
    q.state = t.state;
    snap.seqs.push_back(std::move(q));
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
    row.preexisting_objects = i.totals.preexisting_objects;
    row.preexisting_bytes = i.totals.preexisting_bytes;
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

// Per instance x CPU: pending objects (`objects`, from the breakdown) and
// how fast objects entered that queue (CpuQueueRow): exactly from the
// per-queue enqueue counters (`enqueued`, sorted by key) when the sample has
// them, else estimated. A queue gets a row while it holds objects, had
// objects processed in the interval, or has counted enqueues: everything
// is merged in key order.
void Aggregator::cpu_queues(const Input& in, const QueueObjects& objects,
                            const QueueTotals& enqueued, Snapshot& snap) const {
  const bool exact = in.sample.has_queue_counts;
  snap.queue_rates_exact = exact;
  // As many rows as the largest of the three, but for idle queues.
  const size_t rows = std::max({objects.size(), enqueued.size(), processed_by_queue_.size()});
  snap.cpu_queues.reserve(rows);
  // At least this many rows get written: one per queue pending or counted.
  prepare_for_filling(snap.cpu_queues.data(),
                      std::max(objects.size(), enqueued.size()) * sizeof(CpuQueueRow));

  // Finds key in a vector sorted by key, searched in increasing key order.
  auto find = [](const auto& sorted, size_t& at, const QueueKey& key) {
    while (at < sorted.size() && sorted[at].first < key) at++;
    return at < sorted.size() && sorted[at].first == key ? &sorted[at].second : nullptr;
  };
  size_t at_objects = 0, at_prev_objects = 0, at_done = 0, at_enq = 0, at_prev_enq = 0;
  for (;;) {
    // The next key of any: pending now, processed since the stream began,
    // enqueues counted since attach.
    const bool more_objects = at_objects < objects.size();
    const bool more_done = at_done < processed_by_queue_.size();
    const bool more_enq = at_enq < enqueued.size();
    if (!more_objects && !more_done && !more_enq) break;
    QueueKey key{UINT64_MAX, UINT32_MAX};
    if (more_objects) key = std::min(key, objects[at_objects].first);
    if (more_done) key = std::min(key, processed_by_queue_.key(at_done));
    if (more_enq) key = std::min(key, enqueued[at_enq].first);
    const int64_t* now = find(objects, at_objects, key);
    if (now) at_objects++;
    // Processed since the stream began, now and at the last sample (a queue
    // is never forgotten: one not processed now was not then either).
    uint64_t processed = 0;
    const uint64_t* done_before = nullptr;
    if (more_done && processed_by_queue_.key(at_done) == key) {
      processed = processed_by_queue_.objects(at_done);
      done_before = processed_by_queue_.objects_before(at_done++);
    }
    const rw_queue_totals* enq = find(enqueued, at_enq, key);
    if (enq) at_enq++;
    if (!now && !enq && done_before && *done_before == processed) continue;  // idle since
    // The row's parts in locals, the row made once at the end: a row made
    // first and filled in took GCC's `rep stos` to zero it, half of this
    // loop's time.
    const int64_t pending = now ? *now : 0;
    Counter enq_objects, enq_bytes;
    if (enq) {
      // A queue first counted in this interval: all of it entered since the last sample.
      const rw_queue_totals* p = find(prev_.queue_totals, at_prev_enq, key);
      const rw_queue_totals before = p ? *p : rw_queue_totals{};
      enq_objects = counter(enq->enqueued_objects, before.enqueued_objects, in.secs, have_prev_);
      enq_bytes = counter(enq->enqueued_bytes, before.enqueued_bytes, in.secs, have_prev_);
    }
    double queued_per_sec = 0;
    if (exact) {
      queued_per_sec = enq_objects.per_sec;
    } else if (have_prev_ && in.secs > 0) {
      const int64_t* before = find(prev_.queue_objects, at_prev_objects, key);
      // Dequeues of objects queued before this interval can make it negative.
      const double entered = double(pending) - double(before ? *before : 0) +
                             double(processed - (done_before ? *done_before : 0));
      queued_per_sec = std::max(0.0, entered / in.secs);
    }
    if (key.second < snap.cpus.size()) snap.cpus[key.second].queued_per_sec += queued_per_sec;
    snap.cpu_queues.push_back({.instance = key.first,
                               .cpu = key.second,
                               .objects = pending,
                               .processed_objects = processed,
                               .queued_per_sec = queued_per_sec,
                               .enqueued = {.objects = enq_objects, .bytes = enq_bytes}});
  }
}

}  // namespace rcuwatch
