// `rcuwatch exporter`: a background loop (source -> aggregator -> latest
// Snapshot) and an HTTP(S) server (http_front.hpp) serving it: /metrics in
// the Prometheus text format (prometheus_format.hpp), /api/v1/snapshot as
// JSON, /healthz, and /api/v1/recording (the last ticks, for `--connect`).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "detection.hpp"
#include "sources.hpp"
#include "stop.hpp"

namespace rcuwatch {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal (no brackets)
  int port = 0;
};

// "127.0.0.1:9640", "[::1]:9640", ":9640" (every IPv4 interface). Hosts are
// IP literals: what is bound is what was asked, no name resolution.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

struct ExporterOptions {
  std::string listen = "127.0.0.1:9640";
  double interval_seconds = 1.0;  // -i: between snapshots
  size_t max_seq_series = 20;
  bool per_cpu = true;          // --per-cpu=false: per-CPU series folded (docs/exporter.md)
  std::string web_config_file;  // --web.config.file: TLS and basic auth (web_config.hpp)
  SourceOptions source;
  DetectorLimits detectors;
};

// Serves until `stop` (SIGINT/SIGTERM). A replay that ends keeps its last
// snapshot served. Throws rcuwatch::Error: usage (bad address), failure
// (cannot listen, source error) or no hooks (from open_source).
int run_exporter(const ExporterOptions& options, const StopFlag& stop);

// The same on a source opened by the caller (options.source is not used):
// the memory benchmark serves a recording looped for hours this way.
int run_exporter(const ExporterOptions& options, std::unique_ptr<Source> source,
                 const StopFlag& stop);

}  // namespace rcuwatch
