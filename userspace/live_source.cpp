#include "live_source.hpp"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <algorithm>
#include <fstream>

#include "limits.hpp"
#include "privileges.hpp"
#include "rcuwatch.skel.h"

namespace rcuwatch {

namespace {

std::string kernel_release() {
  utsname u{};
  uname(&u);
  return u.release;
}

// How often addresses without a name may send rcuwatch back to the census
// and /proc/modules.
constexpr uint64_t kRelearnIntervalNs = 1'000'000'000;

// The loaded modules and where: what changes when kallsyms does (not the
// use counts, which change all the time).
std::string module_list() {
  std::ifstream in("/proc/modules");
  std::string line, list;
  while (std::getline(in, line)) {
    const auto sp = line.find(' ');
    const auto at = line.rfind(" 0x");
    list += line.substr(0, sp) + (at == std::string::npos ? "" : line.substr(at)) + "\n";
  }
  return list;
}

}  // namespace

LiveSource::LiveSource(const LoaderOptions& options)
    : loader_(options, kallsyms_),
      ringbuf_(bpf_map__fd(loader_.skel().maps.events)),
      maps_(sample_maps(loader_.skel(), loader_.mode() == AttachMode::Tracepoint
                                            ? QueueCounts::TotalsPlusCorrections
                                            : QueueCounts::InMap)) {
  info_.kernel_release = kernel_release();
  info_.description = "live " + info_.kernel_release;
  info_.nr_cpus = uint32_t(std::clamp(libbpf_num_possible_cpus(), 1, int(limits::kMaxCpus)));
  info_.attachment = {to_string(loader_.mode()), loader_.attached(), loader_.missing()};
  info_.call_site_sample_bytes = options.call_site_sample_bytes;
  for (const auto& a : loader_.attached()) spdlog::info("attached {}", a);
  // Read now, before the capabilities that make addresses readable are
  // dropped (once the source is open); relearn_kernel() keeps these if a
  // later read sees none.
  if (kallsyms_.size() == 0)
    spdlog::warn(has_capability(kCapSyslog)
                     ? "/proc/kallsyms shows no addresses (kptr_restrict=2): instances are named "
                       "by address"
                     : "no CAP_SYSLOG: /proc/kallsyms hides addresses, so instances are named by "
                       "address (grant CAP_SYSLOG for their names)");
  modules_ = module_list();
  bch_fs_list_ = kallsyms_.address_of("bch_fs_list");
  // What was queued before the hooks attached (and the filesystems' labels).
  const uint64_t census_start = monotonic_ns();
  if (bch_fs_list_ && loader_.census(*bch_fs_list_, info_.nr_cpus))
    spdlog::info("census of bcachefs filesystems done in {:.2f} ms",
                 double(monotonic_ns() - census_start) / 1e6);
  relearned_ns_ = last_ns_ = monotonic_ns();
}

void LiveSource::relearn_kernel() {
  const uint64_t now = monotonic_ns();
  if (now - relearned_ns_ < kRelearnIntervalNs) return;
  relearned_ns_ = now;
  if (std::string modules = module_list(); modules != modules_) {
    modules_ = std::move(modules);
    Kallsyms fresh;
    if (fresh.size() == 0 && kallsyms_.size() > 0) {
      // CAP_SYSLOG was dropped after attach: the addresses read then stay;
      // a module loaded since is named by address.
      spdlog::debug("modules changed, but /proc/kallsyms hides addresses now: names kept");
    } else {
      kallsyms_ = std::move(fresh);
      kallsyms_generation_++;
      bch_fs_list_ = kallsyms_.address_of("bch_fs_list");
      spdlog::debug("modules changed: read kallsyms again ({} symbols)", kallsyms_.size());
    }
  }
  if (bch_fs_list_) loader_.census(*bch_fs_list_, info_.nr_cpus);
}

void LiveSource::name_new_addresses(const Sample& s) {
  // A name that is only an address may get better once kallsyms is read
  // again (a module loaded since) or the census labels a new filesystem.
  auto wants_name = [&](uint64_t addr) {
    auto it = names_.find(addr);
    return it == names_.end() || is_fallback_name(it->second);
  };
  bool unknown = false;
  for (const auto& i : s.instances) unknown |= wants_name(i.instance);
  for (const auto& g : s.grace_periods) unknown |= g.key && wants_name(g.key);
  if (!unknown) return;
  relearn_kernel();  // rate-limited: a name it cannot give now comes at a later tick

  for (const auto& i : s.instances) {
    const auto label = read_instance_label(loader_.skel(), i.instance);
    if (wants_name(i.instance))
      names_[i.instance] = instance_name(i.instance, i.info.process, kallsyms_, label);
    if (i.info.srcu && wants_name(i.info.srcu))
      names_[i.info.srcu] = label ? fmt::format("bcachefs {} btree_trans_barrier", label->fs)
                                  : flavor_name(i.info.srcu, kallsyms_);
  }
  for (const auto& g : s.grace_periods)
    if (g.key && wants_name(g.key)) names_[g.key] = flavor_name(g.key, kallsyms_);
}

void LiveSource::learn_stacks(const Sample& s) {
  bool fresh = false;
  for (const auto& c : s.call_sites) {
    const int32_t id = c.key.stack_id;
    if (id < 0 || stacks_.count(id)) continue;
    if (auto ips = read_stack(loader_.skel(), id)) {
      stacks_[id] = std::move(*ips);
      fresh = true;
    }
  }
  // Frames are named once; those kallsyms could not name (a module loaded
  // after it was read) again once it has been read anew.
  const bool reread = frames_named_generation_ != kallsyms_generation_;
  if (!fresh && !reread) return;
  frames_named_generation_ = kallsyms_generation_;
  for (const auto& [id, ips] : stacks_)
    for (uint64_t ip : ips) {
      auto it = names_.find(ip);
      if (it != names_.end() && !(reread && is_fallback_name(it->second))) continue;
      auto name = kallsyms_.symbolize(ip);
      names_[ip] = name ? *name : fmt::format("{:#x}", ip);
    }
}

// The same rule a recording obeys (recording.cpp): a pending entry names a
// CPU the machine has. Only a kernel bug breaks it; such entries are left
// out, with a warning, rather than recorded into a file no reader accepts.
void LiveSource::drop_entries_beyond_cpus(Sample& s) {
  const auto beyond = [&](const PendingEntry& p) { return p.key.cpu >= info_.nr_cpus; };
  const auto bad = std::count_if(s.pending.begin(), s.pending.end(), beyond);
  if (!bad) return;
  if (!warned_bad_cpu_)
    spdlog::warn("{} pending entries name a CPU beyond the {} possible ones: left out", bad,
                 info_.nr_cpus);
  warned_bad_cpu_ = true;
  std::erase_if(s.pending, beyond);
}

std::optional<Tick> LiveSource::next(Interval interval, const StopFlag& stop) {
  Tick tick;
  const uint64_t deadline = last_ns_ + uint64_t(interval.count()) * 1'000'000ull;
  // An OOM kill ends the interval at once: the sample that follows is the
  // state of rcu_pending at that moment (bpf/oom.bpf.h).
  size_t seen = 0;
  const auto oom_kill = [&] {
    const auto from = tick.events.begin() + ptrdiff_t(seen);
    seen = tick.events.size();
    return std::any_of(from, tick.events.end(),
                       [](const rw_event& e) { return e.type == RW_EV_OOM_KILL; });
  };
  for (uint64_t now = monotonic_ns(); now < deadline && !oom_kill(); now = monotonic_ns()) {
    if (stop.requested()) return std::nullopt;
    int wait_ms = int(std::min<uint64_t>((deadline - now + 999'999) / 1'000'000, 100));
    ringbuf_.poll(wait_ms, tick.events);
  }
  ringbuf_.drain(tick.events);
  last_ns_ = monotonic_ns();
  loader_.refresh();
  tick.sample = maps_.read();
  tick.sample.stats[RW_STAT_RINGBUF_DROPS] += ringbuf_.lost();
  drop_entries_beyond_cpus(tick.sample);
  name_new_addresses(tick.sample);
  learn_stacks(tick.sample);
  return tick;
}

}  // namespace rcuwatch
