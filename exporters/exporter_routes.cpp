#include "exporter_routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "snapshot_json.hpp"
#include "source.hpp"

#ifndef RCUWATCH_VERSION
#define RCUWATCH_VERSION "unknown"
#endif

namespace rcuwatch {

namespace {

constexpr const char* kIndexHtml =
    "<!DOCTYPE html>\n<html><head><title>rcuwatch exporter</title></head>\n"
    "<body><h1>rcuwatch exporter</h1>\n"
    "<p>Memory the kernel holds in rcu_pending, waiting for RCU/SRCU grace periods.</p>\n"
    "<p><a href=\"/metrics\">Metrics</a> (Prometheus), "
    "<a href=\"/api/v1/snapshot\">the latest snapshot</a> (JSON), "
    "<a href=\"/healthz\">health</a></p>\n</body></html>\n";

// /api/v1/snapshot's "version": it changes when a key changes meaning or goes.
constexpr int kSnapshotApiVersion = 1;

const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void text(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/plain; charset=utf-8");
}

// /healthz: 200 while snapshots keep coming (or the recording ended and its
// last one is served), 503 when none came for three intervals and 5 s.
void healthz(const Served& s, httplib::Response& res) {
  const LatestSnapshot::View v = s.latest.get();
  const auto now = std::chrono::steady_clock::now();
  const auto allowed = std::max<std::chrono::steady_clock::duration>(
      3 * interval_from_seconds(s.options.interval_seconds), std::chrono::seconds(5));
  const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  if (v.ended) return text(res, 200, "ok: the recording ended; its last snapshot is served\n");
  if (!v.snapshot) {
    if (now - s.started <= allowed) return text(res, 503, "starting: no snapshot yet\n");
    return text(
        res, 503,
        fmt::format("stuck: no snapshot in {:.1f} s since start\n", seconds(now - s.started)));
  }
  if (now - v.published > allowed)
    return text(
        res, 503,
        fmt::format("stale: the last snapshot is {:.1f} s old\n", seconds(now - v.published)));
  text(res, 200, "ok\n");
}

// /api/v1/snapshot: the Snapshot as `stat --json` prints it, versioned.
void snapshot_api(const Served& s, httplib::Response& res) {
  const LatestSnapshot::View v = s.latest.get();
  nlohmann::json j = {{"version", kSnapshotApiVersion}};
  if (!v.snapshot) {
    j["error"] = "no snapshot yet";
    res.status = 503;
  } else {
    j["snapshot"] = to_json(*v.snapshot);
    j["snapshot_unix_seconds"] = v.unix_seconds;
    j["source_ended"] = v.ended;
  }
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

// /api/v1/recording?after=N: the ticks after N still kept, as a recording
// (remote_source.hpp reads it); the numbers in headers.
void recording_api(const Served& s, const httplib::Request& req, httplib::Response& res) {
  uint64_t after = 0;
  if (req.has_param("after")) {
    const std::string a = req.get_param_value("after");
    auto [p, ec] = std::from_chars(a.data(), a.data() + a.size(), after);
    if (a.empty() || ec != std::errc() || p != a.data() + a.size())
      return text(res, 400, "400 Bad Request: after=N, N a tick number\n");
  }
  TickLog::Slice slice = s.ticks.after(after);
  res.set_header("X-Rcuwatch-Stream", s.ticks.stream_id());
  res.set_header("X-Rcuwatch-First-Tick", std::to_string(slice.first));
  res.set_header("X-Rcuwatch-Last-Tick", std::to_string(slice.last));
  res.set_header("X-Rcuwatch-Newest-Tick", std::to_string(slice.newest));
  res.set_header("X-Rcuwatch-Ended", slice.ended ? "1" : "0");
  res.set_header("X-Rcuwatch-Source", s.source_description);
  res.set_content(std::move(slice.recording), "application/octet-stream");
}

}  // namespace

void LatestSnapshot::publish(Snapshot s) {
  auto p = std::make_shared<const Snapshot>(std::move(s));
  std::lock_guard lock(mutex_);
  view_.snapshot = std::move(p);
  view_.unix_seconds = unix_now();
  view_.published = std::chrono::steady_clock::now();
}

void LatestSnapshot::mark_ended() {
  std::lock_guard lock(mutex_);
  view_.ended = true;
}

LatestSnapshot::View LatestSnapshot::get() const {
  std::lock_guard lock(mutex_);
  return view_;
}

void configure_routes(RequestProcessor& http, Served& s, const PrometheusOptions& format) {
  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    // Whole resources only: cpp-httplib 0.11 answers every range of a Range
    // header with its own copy of the body, so 2700 ranges in one 8 KB
    // header made an 18 KB /metrics a 50 MB response (and a tick log of
    // megabytes gigabytes). RFC 9110 lets a server ignore Range; the
    // request is cpp-httplib's own non-const object, handed here as const.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (s.auth.enabled() && !s.auth.allows(req.get_header_value("Authorization"))) {
      res.set_header("WWW-Authenticate", "Basic realm=\"rcuwatch\", charset=\"UTF-8\"");
      text(res, 401, "401 Unauthorized\n");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "GET" || req.method == "HEAD")
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("Allow", "GET, HEAD");
    text(res, 405, "405 Method Not Allowed: only GET\n");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.Get("/metrics", [&s, format](const httplib::Request&, httplib::Response& res) {
    const LatestSnapshot::View v = s.latest.get();
    ExporterStatus status;
    status.version = RCUWATCH_VERSION;
    status.scrapes = ++s.scrapes;
    status.snapshot_unix_seconds = v.unix_seconds;
    status.source_ended = v.ended;
    res.set_content(prometheus_text(v.snapshot.get(), status, format), kPrometheusContentType);
  });
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndexHtml, "text/html; charset=utf-8");
  });
  http.Get("/healthz", [&s](const httplib::Request&, httplib::Response& res) { healthz(s, res); });
  http.Get("/api/v1/snapshot",
           [&s](const httplib::Request&, httplib::Response& res) { snapshot_api(s, res); });
  http.Get("/api/v1/recording", [&s](const httplib::Request& req, httplib::Response& res) {
    recording_api(s, req, res);
  });
  // 404 (no route), 400 (request cpp-httplib could not parse), 413...: a
  // plain-text body naming the status, unless a handler wrote one.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        res.set_content(fmt::format("{} {}\n", res.status, reason(res.status)),
                        "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("{} {}: {}", req.method, req.path, x.what());
        } catch (...) {
          spdlog::error("{} {}: unknown exception", req.method, req.path);
        }
        text(res, 500, "500 Internal Server Error\n");
      });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("{} {} {} -> {}", req.remote_addr, req.method, req.path, res.status);
  });
}

}  // namespace rcuwatch
