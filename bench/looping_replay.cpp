#include "looping_replay.hpp"

#include <algorithm>

#include "error.hpp"

namespace rcuwatch::bench {

namespace {

void shift(__u64& ns, uint64_t by) {
  if (ns) ns += by;  // 0: never happened
}

// Every kernel timestamp of the tick, later by `by`: ages and intervals stay
// what the recording says.
void shift(Tick& t, uint64_t by) {
  t.sample.time_ns += by;
  for (auto& e : t.events) shift(e.ts_ns, by);
  for (auto& p : t.sample.pending) shift(p.val.first_enqueue_ns, by);
  for (auto& i : t.sample.instances) shift(i.info.first_seen_ns, by);
  for (auto& g : t.sample.grace_periods) {
    shift(g.stats.last_start_ns, by);
    shift(g.stats.last_end_ns, by);
  }
}

}  // namespace

LoopingReplay::LoopingReplay(std::string path, uint64_t simulated_ns,
                             std::function<void(uint64_t)> on_tick)
    : path_(std::move(path)),
      simulated_ns_(simulated_ns),
      on_tick_(std::move(on_tick)),
      replay_(std::make_unique<ReplaySource>(path_, 0)),
      info_(replay_->info()) {
  info_.description = "replay " + path_ + " (looped)";
}

double LoopingReplay::progress() const {
  return simulated_ns_ ? std::min(1.0, double(elapsed_ns_) / double(simulated_ns_)) : 1.0;
}

std::optional<Tick> LoopingReplay::next(Interval interval, const StopFlag& stop) {
  if (ended_) return std::nullopt;
  std::optional<Tick> t = replay_->next(interval, stop);
  if (!t && !stop.requested()) {  // the end of a pass: the next one starts a step later
    if (!ticks_) throw Error(path_ + ": no interval to loop");
    offset_ns_ += last_ns_ - first_ns_ + (step_ns_ ? step_ns_ : 1'000'000'000);
    replay_ = std::make_unique<ReplaySource>(path_, 0);
    passes_++;
    t = replay_->next(interval, stop);
  }
  if (!t) return std::nullopt;
  if (!ticks_) first_ns_ = t->sample.time_ns;
  if (ticks_ == 1) step_ns_ = t->sample.time_ns - first_ns_;
  if (passes_ == 1) last_ns_ = t->sample.time_ns;
  shift(*t, offset_ns_);
  const uint64_t elapsed = t->sample.time_ns - first_ns_;
  if (elapsed > simulated_ns_) {
    ended_ = true;
    return std::nullopt;
  }
  elapsed_ns_ = elapsed;
  on_tick_(elapsed);
  ticks_++;
  return t;
}

}  // namespace rcuwatch::bench
