#include "snapshot.hpp"

#include <algorithm>
#include <cmath>

namespace rcuwatch {

const char* to_string(Flavor f) { return f == Flavor::Rcu ? "rcu" : "srcu"; }

const char* to_string(Mode m) {
  switch (m) {
    case Mode::Kvfree:
      return "kvfree";
    case Mode::CallRcu:
      return "call_rcu";
    default:
      return "process";
  }
}

const char* to_string(SeqState s) {
  switch (s) {
    case SeqState::WaitingForGracePeriod:
      return "waiting-gp";
    case SeqState::GracePeriodElapsed:
      return "gp-elapsed";
    default:
      return "expired-list";
  }
}

bool any_loss(const Losses& l) {
  return l.ringbuf_drops || l.pending_map_full || l.process_mismatch || l.untracked_objects ||
         l.unsized_objects || l.nested_enqueues || l.queue_map_full || l.ticks_missed;
}

DurationBucket DurationHistogram::bucket(size_t i) {
  constexpr uint64_t kUs = 1000;
  return {i == 0 ? 0 : (uint64_t(1) << i) * kUs, (uint64_t(2) << i) * kUs};
}

double DurationHistogram::upper_bound_seconds(size_t i) {
  return std::ldexp(1.0, int(i) + 1) / 1e6;
}

uint64_t DurationHistogram::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

DurationBucket DurationHistogram::percentile(double p) const {
  const uint64_t n = count();
  if (!n) return {};
  // Counts come from the kernel or a recording: n near 2^64 rounds up to
  // 2^64 as a double, which no uint64_t holds (found by tests/fuzz).
  const double want = std::ceil(p * double(n));
  const uint64_t rank = want >= double(n) ? n : want < 1 ? 1 : uint64_t(want);
  uint64_t cumulative = 0;
  size_t i = 0;
  for (; i < counts.size(); i++) {
    cumulative += counts[i];
    if (cumulative >= rank) break;
  }
  return bucket(std::min(i, counts.size() - 1));
}

}  // namespace rcuwatch
