#include "live_source.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <algorithm>

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
    : loader_(options),
      ringbuf_(bpf_map__fd(loader_.skel().maps.events)),
      maps_(sample_maps(loader_.skel())) {
  loader_.attach();
  info_.kernel_release = kernel_release();
  info_.description = "live " + info_.kernel_release;
  info_.nr_cpus = uint32_t(std::max(1, libbpf_num_possible_cpus()));
  info_.attachment = {"tracepoint", loader_.attached(), loader_.missing()};
  last_ns_ = monotonic_ns();
  for (const auto& a : loader_.attached()) spdlog::info("attached {}", a);
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
  tick.sample = maps_.read();
  name_new_addresses(tick.sample);
  return tick;
}

}  // namespace rcuwatch
