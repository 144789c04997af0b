// What the views add to an interval at scale: one `rcuwatch top` frame
// (tui compose_screen) and one /metrics body (prometheus_text) of a
// Snapshot of each size of scale_tick.hpp.
#pragma once

#include <iosfwd>

#include "layout.hpp"
#include "prometheus_format.hpp"
#include "results.hpp"
#include "snapshot.hpp"

namespace rcuwatch::bench {

// The views of one interval, as `top` and `exporter` hold them.
class IntervalViews {
 public:
  // One `top` frame of a 200x60 terminal, default table (seqs by age);
  // returns the frame's lines, for DoNotOptimize.
  size_t top_frame(const Snapshot& snapshot);
  // One /metrics body; returns its size.
  size_t metrics_body(const Snapshot& snapshot);

 private:
  tui::PendingHistory history_;
  tui::ViewState view_ = tui::initial_view_state(tui::TableKind::Seqs, {}, false, 1);
  tui::Thresholds thresholds_;
  ExporterStatus status_{"bench", 0, 0, false};
  PrometheusOptions prometheus_;
};

// A Snapshot of scale_shape(cpus) in steady state (rates computed).
Snapshot scale_snapshot(uint32_t cpus);

void register_view_benchmarks();
void summarize_views(const Results& results, std::ostream& out);

}  // namespace rcuwatch::bench
