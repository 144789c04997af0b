#include "stat_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "aggregator.hpp"
#include "error.hpp"
#include "stat_format.hpp"

namespace rcuwatch {

int run_stat(const StatOptions& o, const std::atomic<bool>& stop) {
  auto source = open_source(o.source);
  Aggregator aggregator;
  const auto interval = std::chrono::milliseconds(long(o.interval_seconds * 1000));
  std::optional<Snapshot> last;
  long printed = 0;
  auto print = [&](const Snapshot& s) {
    if (o.quiet) return;
    if (o.json) {
      fmt::print("{}\n", to_json(s).dump());
    } else {
      if (printed % 20 == 0) fmt::print("{}\n", stat_header());
      fmt::print("{}\n", stat_line(s));
    }
    std::fflush(stdout);
    printed++;
  };
  for (long n = 0; (o.count < 0 || n < o.count) && !stop; n++) {
    std::optional<Tick> tick;
    try {
      tick = source->next(interval);
    } catch (const Error&) {
      if (last) print(*last);  // what was read before the bad record still counts
      throw;
    }
    if (!tick) break;
    Snapshot snap = aggregator.update(*tick, *source);
    if (o.final_only)
      last = std::move(snap);
    else
      print(snap);
  }
  if (last) print(*last);
  return 0;
}

}  // namespace rcuwatch
