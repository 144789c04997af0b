// `rcuwatch exporter`: a Snapshot as Prometheus text exposition format 0.0.4.
// Pure (no I/O, no clock) so the exact text is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "snapshot.hpp"

namespace rcuwatch {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// What the exporter knows besides the Snapshot, for the metrics about itself.
struct ExporterStatus {
  std::string version;               // rcuwatch_build_info{version}
  uint64_t scrapes = 0;              // /metrics requests served, this one included
  double snapshot_unix_seconds = 0;  // wall clock when the snapshot was published
  bool source_ended = false;         // the recording ended: the last snapshot stays
};

struct PrometheusOptions {
  // Per-seq series for at most this many seqs, the oldest first: seqs come
  // and go with every grace period, so they are bounded here, not in Prometheus.
  size_t max_seq_series = 20;
  // false (--per-cpu=false): no series per CPU; the per-CPU gauges and the
  // callback_flood detector's per-CPU series are folded into a few
  // machine-wide ones (the bound: docs/exporter.md).
  bool per_cpu = true;
};

// `snapshot` is null before the first interval: only self-metrics then.
std::string prometheus_text(const Snapshot* snapshot, const ExporterStatus& status,
                            const PrometheusOptions& options);

// A label value as written between the quotes: \ " and newline escaped,
// bytes that are not UTF-8 replaced by U+FFFD (Prometheus rejects them).
std::string prometheus_label_value(std::string_view value);

// A sample value: integers exactly, other doubles in shortest round-trip
// form, NaN and +Inf/-Inf spelled as Prometheus spells them.
std::string prometheus_value(double value);

}  // namespace rcuwatch
