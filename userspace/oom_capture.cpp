#include "oom_capture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "detectors.hpp"
#include "units.hpp"

namespace rcuwatch {

OomKill oom_kill(const rw_event& e) {
  OomKill k;
  k.time_ns = e.ts_ns;
  k.pid = uint32_t(e.instance);
  k.cpu = e.cpu;
  char comm[sizeof(e.nr_radix) + sizeof(e.nr_list) + 1] = {};
  std::memcpy(comm, &e.nr_radix, sizeof(e.nr_radix));
  std::memcpy(comm + sizeof(e.nr_radix), &e.nr_list, sizeof(e.nr_list));
  k.comm = comm;
  return k;
}

void add_lost_oom_kills(std::vector<OomKill>& kills, const Sample& s, uint64_t kills_before) {
  const uint64_t counted = s.stats[RW_STAT_OOM_KILLS];
  for (uint64_t n = kills.size(); counted > kills_before && n < counted - kills_before; n++) {
    OomKill lost;
    lost.time_ns = s.time_ns;
    kills.push_back(lost);
  }
}

namespace {

std::string victim(const OomKill& k) {
  if (!k.pid) return "OOM kill (its event was lost: victim unknown)";
  return fmt::format("OOM kill of {} (pid {})", k.comm.empty() ? "?" : k.comm, k.pid);
}

std::string summary(const OomCapture& c) {
  const std::string at = "at the " + victim(c.kill);
  if (c.pending_objects <= 0) return at + ", nothing waited in rcu_pending";
  std::string s = fmt::format("{}, {} waited in rcu_pending", at, format_bytes(c.pending_bytes));
  const OomCapture::GracePeriod* worst = nullptr;
  for (const auto& g : c.grace_periods)
    if (g.waiting_bytes > 0 && (!worst || g.waiting_bytes > worst->waiting_bytes)) worst = &g;
  if (!worst) return s + ", none of it for a grace period (waiting to be processed)";
  const uint64_t open_ns = worst->in_progress ? worst->running_ns : worst->since_last_end_ns;
  s += fmt::format(", {} of it for {}", format_bytes(worst->waiting_bytes),
                   worst->flavor == Flavor::Srcu
                       ? fmt::format("an SRCU grace period of {}", worst->name)
                       : std::string("an RCU grace period"));
  if (open_ns) s += fmt::format(" that had not ended for {}", format_duration_ns(open_ns));
  return s;
}

}  // namespace

OomCapture capture_oom(const Snapshot& s, const OomKill& kill) {
  OomCapture c;
  c.kill = kill;
  c.sample_ns = s.time_ns;
  c.pending_bytes = s.totals.pending_bytes;
  c.pending_objects = s.totals.pending_objects;
  c.oldest_age_ns = s.totals.oldest_age_ns;

  std::map<uint64_t, int64_t> waiting;  // per instance
  for (const auto& q : s.seqs)
    if (q.state == SeqState::WaitingForGracePeriod) waiting[q.instance] += q.bytes;
  std::map<uint64_t, const GracePeriodStats*> flavors;
  for (const auto& g : s.grace_periods) flavors[g.key] = &g;
  std::map<uint64_t, int64_t> waiting_by_flavor;
  std::map<uint64_t, bool> holding;  // instances holding memory
  for (const auto& i : s.instances) {
    if (i.pending_objects <= 0) continue;
    OomCapture::Instance row;
    row.name = i.name;
    row.flavor = i.flavor;
    auto f = flavors.find(i.srcu);
    row.grace_period =
        f != flavors.end() ? f->second->name : (i.srcu ? fmt::format("{:#x}", i.srcu) : "rcu");
    row.bytes = i.pending_bytes;
    row.objects = i.pending_objects;
    row.waiting_gp_bytes = waiting[i.instance];
    row.oldest_age_ns = i.oldest_age_ns;
    c.waiting_gp_bytes += row.waiting_gp_bytes;
    waiting_by_flavor[i.srcu] += row.waiting_gp_bytes;
    holding[i.instance] = true;
    c.instances.push_back(std::move(row));
  }
  for (const auto& g : s.grace_periods) {
    OomCapture::GracePeriod row;
    row.name = g.name;
    row.flavor = g.flavor;
    row.in_progress = g.in_progress;
    row.running_ns = g.in_progress_ns;
    row.since_last_end_ns = g.since_last_end_ns;
    row.waiting_bytes = waiting_by_flavor[g.key];
    c.grace_periods.push_back(std::move(row));
  }
  for (const auto& cpu : s.cpus)
    if (cpu.bytes) c.cpu_bytes.emplace_back(cpu.cpu, cpu.bytes);
  for (size_t i = 0; i < s.seqs.size() && i < kMaxOomSeqs; i++) c.seqs.push_back(s.seqs[i]);

  // The call paths that queued on the instances holding memory (rows come
  // largest first), shares among them.
  uint64_t sampled = 0;
  for (const auto& r : s.call_sites)
    if (holding.count(r.instance)) sampled += r.bytes.total;
  for (const auto& r : s.call_sites) {
    if (!holding.count(r.instance)) continue;
    if (c.call_sites.size() == kMaxCallSites) break;
    c.call_sites.push_back({r.path, r.instance_name, int64_t(r.bytes.total),
                            sampled ? double(r.bytes.total) / double(sampled) : 0});
  }
  for (const auto& st : s.detections.states)
    if (st.firing)
      c.firing.push_back(st.subject.name.empty()
                             ? to_string(st.detector)
                             : fmt::format("{}:{}", to_string(st.detector), st.subject.name));
  c.summary = summary(c);
  return c;
}

}  // namespace rcuwatch
