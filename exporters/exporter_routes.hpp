// What `rcuwatch exporter` serves over HTTP: /metrics, /, /healthz,
// /api/v1/snapshot and /api/v1/recording, with basic auth and the error
// pages, set on a RequestProcessor (http_request.hpp). The command
// (exporter_command.cpp) feeds it; the fuzz harness of the request path
// (tests/fuzz/fuzz_http_request.cpp) drives the same routes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "exporter_command.hpp"
#include "http_request.hpp"
#include "prometheus_format.hpp"
#include "snapshot.hpp"
#include "tick_log.hpp"
#include "web_config.hpp"

namespace rcuwatch {

// The latest snapshot, written by the loop, read by the HTTP threads.
class LatestSnapshot {
 public:
  struct View {
    std::shared_ptr<const Snapshot> snapshot;  // null before the first interval
    double unix_seconds = 0;
    std::chrono::steady_clock::time_point published;
    bool ended = false;
  };
  void publish(Snapshot s);
  void mark_ended();
  View get() const;

 private:
  mutable std::mutex mutex_;
  View view_;
};

// What the routes serve from.
struct Served {
  const ExporterOptions& options;
  const LatestSnapshot& latest;
  const TickLog& ticks;
  const BasicAuth& auth;
  std::string source_description;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<uint64_t> scrapes{0};
};

// Routes, and the answers to what is not one: 401 without the right
// credentials (every path), 405 for methods other than GET and HEAD.
void configure_routes(RequestProcessor& http, Served& served, const PrometheusOptions& format);

}  // namespace rcuwatch
