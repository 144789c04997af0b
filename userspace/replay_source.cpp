#include "replay_source.hpp"

namespace rcuwatch {

ReplaySource::ReplaySource(const std::string& path, double speed) : reader_(path), speed_(speed) {
  info_.description = "replay " + path;
  info_.kernel_release = reader_.header().kernel_release;
  info_.nr_cpus = reader_.header().nr_cpus;
  info_.attachment = reader_.header().attachment;
  info_.call_site_sample_bytes = reader_.header().call_site_sample_bytes;
  names_ = reader_.header().names;
}

double ReplaySource::progress() const {
  const auto size = reader_.size();
  if (!size) return ended_ ? 1.0 : 0.0;  // a pipe: no size to measure against
  return *size ? double(reader_.offset()) / double(*size) : 1.0;
}

std::optional<Tick> ReplaySource::next(Interval, const StopFlag& stop) {
  for (;;) {
    auto record = reader_.next();
    if (!record) {
      ended_ = true;
      return std::nullopt;
    }
    if (auto* names = std::get_if<SymbolNames>(&*record)) {
      for (auto& [addr, name] : *names) names_[addr] = name;
      continue;
    }
    if (auto* stacks = std::get_if<CallStacks>(&*record)) {
      for (auto& [id, ips] : *stacks) stacks_[id] = std::move(ips);
      continue;
    }
    Tick tick = std::move(std::get<Tick>(*record));
    // Between two ticks the reader's buffer would sit idle, as large as a
    // tick, beside the tick the caller aggregates and serves: a replay in
    // a long-running command (`exporter --replay`, `top --replay`) gives
    // it back and pays its page faults again on the next tick.
    reader_.release_buffer();
    if (speed_ > 0 && prev_tick_ns_ && tick.sample.time_ns > prev_tick_ns_) {
      auto recorded =
          std::chrono::nanoseconds(uint64_t(double(tick.sample.time_ns - prev_tick_ns_) / speed_));
      if (stop.sleep_until(prev_wall_ + recorded)) return std::nullopt;
    }
    prev_tick_ns_ = tick.sample.time_ns;
    prev_wall_ = std::chrono::steady_clock::now();
    return tick;
  }
}

}  // namespace rcuwatch
