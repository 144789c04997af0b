#include "batch.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

#include "aggregator.hpp"
#include "error.hpp"
#include "header.hpp"
#include "layout.hpp"
#include "signals.hpp"

namespace rcuwatch::tui {

namespace {

void write_frame(const Frame& frame, std::ostream& out) {
  for (const Line& line : frame) {
    std::string text = line.plain();
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  }
}

}  // namespace

int run_batch(Source& source, const TopOptions& options, const ViewState& view,
              const Thresholds& thresholds, std::ostream& out) {
  TerminationSignals signals;
  Aggregator aggregator;
  const std::chrono::milliseconds interval{std::llround(view.delay_seconds * 1000)};
  uint64_t first_time_ns = 0;
  for (long frames = 0; options.iterations < 0 || frames < options.iterations; ++frames) {
    if (signals.received()) break;
    std::optional<Tick> tick = source.next(interval);
    if (!tick) break;
    const Snapshot snapshot = aggregator.update(*tick, source);
    if (frames == 0) first_time_ns = snapshot.time_ns;
    ScreenInput input;
    input.snapshot = &snapshot;
    input.view = &view;
    input.thresholds = &thresholds;
    input.clock = clock_label(snapshot, first_time_ns, std::time(nullptr));
    if (frames > 0) out << '\n';
    write_frame(compose_batch(input), out);
    out.flush();
    if (!out) throw Error("cannot write to standard output");
  }
  return kExitOk;
}

}  // namespace rcuwatch::tui
