#include "live_source.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <algorithm>

#include "limits.hpp"
#include "map_reader.hpp"
#include "privileges.hpp"
#include "rcuwatch.skel.h"

namespace rcuwatch {

namespace {

std::string kernel_release() {
  utsname u{};
  uname(&u);
  return u.release;
}

}  // namespace

LiveSource::LiveSource(const LoaderOptions& options)
    : loader_(options), ringbuf_(bpf_map__fd(loader_.skel().maps.events)) {
  loader_.attach();
  info_.kernel_release = kernel_release();
  info_.description = "live " + info_.kernel_release;
  info_.nr_cpus = uint32_t(std::clamp(libbpf_num_possible_cpus(), 1, int(limits::kMaxCpus)));
  info_.attachment = {"tracepoint", loader_.attached(), loader_.missing()};
  last_ns_ = monotonic_ns();
  for (const auto& a : loader_.attached()) spdlog::info("attached {}", a);
  // Read once, now: the capabilities that make addresses readable are
  // dropped once the source is open.
  if (kallsyms_.size() == 0)
    spdlog::warn(has_capability(kCapSyslog)
                     ? "/proc/kallsyms shows no addresses (kptr_restrict=2): instances are named "
                       "by address"
                     : "no CAP_SYSLOG: /proc/kallsyms hides addresses, so instances are named by "
                       "address (grant CAP_SYSLOG for their names)");
}

void LiveSource::name_new_addresses(const Sample& s) {
  for (const auto& i : s.instances) {
    if (!names_.count(i.instance))
      names_[i.instance] = instance_name(i.instance, i.info.process, kallsyms_);
    if (i.info.srcu && !names_.count(i.info.srcu))
      names_[i.info.srcu] = flavor_name(i.info.srcu, kallsyms_);
  }
  for (const auto& g : s.grace_periods)
    if (g.key && !names_.count(g.key)) names_[g.key] = flavor_name(g.key, kallsyms_);
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
  for (uint64_t now = monotonic_ns(); now < deadline; now = monotonic_ns()) {
    if (stop.requested()) return std::nullopt;
    int wait_ms = int(std::min<uint64_t>((deadline - now + 999'999) / 1'000'000, 100));
    ringbuf_.poll(wait_ms, tick.events);
  }
  ringbuf_.drain(tick.events);
  last_ns_ = monotonic_ns();
  tick.sample = read_sample(loader_.skel());
  tick.sample.stats[RW_STAT_RINGBUF_DROPS] += ringbuf_.lost();
  drop_entries_beyond_cpus(tick.sample);
  name_new_addresses(tick.sample);
  return tick;
}

}  // namespace rcuwatch
