// When pending memory or an age is worth a colour: stranded bytes and old
// seqs are what a person watching `rcuwatch top` looks for.
#pragma once

#include <cstdint>

namespace rcuwatch::tui {

enum class Severity { Normal, Warn, Crit };

struct Thresholds {
  int64_t warn_bytes = int64_t{16} << 20;   // --warn-bytes
  int64_t crit_bytes = int64_t{256} << 20;  // --crit-bytes
  // RCU grace periods take milliseconds; objects pending for seconds are
  // stranded. The kernel's own RCU CPU stall warning fires at 21 s
  // (CONFIG_RCU_CPU_STALL_TIMEOUT), so critical comes well before it.
  uint64_t warn_age_ns = 1'000'000'000;   // --warn-age
  uint64_t crit_age_ns = 10'000'000'000;  // --crit-age
};

inline Severity bytes_severity(int64_t bytes, const Thresholds& t) {
  if (bytes >= t.crit_bytes) return Severity::Crit;
  if (bytes >= t.warn_bytes) return Severity::Warn;
  return Severity::Normal;
}

inline Severity age_severity(uint64_t age_ns, const Thresholds& t) {
  if (age_ns >= t.crit_age_ns) return Severity::Crit;
  if (age_ns >= t.warn_age_ns) return Severity::Warn;
  return Severity::Normal;
}

}  // namespace rcuwatch::tui
