#include "exporter_command.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>

#include "error.hpp"
#include "http_front.hpp"
#include "privileges.hpp"
#include "prometheus_format.hpp"
#include "snapshot_json.hpp"
#include "snapshot_stream.hpp"
#include "tick_log.hpp"
#include "web_config.hpp"

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

// The latest snapshot, written by the loop, read by the HTTP threads.
class LatestSnapshot {
 public:
  struct View {
    std::shared_ptr<const Snapshot> snapshot;  // null before the first interval
    double unix_seconds = 0;
    std::chrono::steady_clock::time_point published;
    bool ended = false;
  };
  void publish(Snapshot s) {
    auto p = std::make_shared<const Snapshot>(std::move(s));
    std::lock_guard lock(mutex_);
    view_.snapshot = std::move(p);
    view_.unix_seconds = unix_now();
    view_.published = std::chrono::steady_clock::now();
  }
  void mark_ended() {
    std::lock_guard lock(mutex_);
    view_.ended = true;
  }
  View get() const {
    std::lock_guard lock(mutex_);
    return view_;
  }

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

// Routes, and the answers to what is not one: 401 without the right
// credentials (every path), 405 for methods other than GET and HEAD.
void configure(RequestProcessor& http, Served& s, const PrometheusOptions& format) {
  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
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

ListenAddress listen_address(const ExporterOptions& o) {
  const auto address = parse_listen_address(o.listen);
  if (!address)
    throw Error(
        fmt::format("--listen {}: expected ADDRESS:PORT (e.g. 127.0.0.1:9640, [::1]:9640, :9640)",
                    o.listen),
        kExitUsage);
  return *address;
}

// A bad web config stops the exporter before anything else is opened.
WebConfig web_config(const ExporterOptions& o) {
  return o.web_config_file.empty() ? WebConfig{} : load_web_config(o.web_config_file);
}

int serve(const ExporterOptions& o, const ListenAddress& address, const WebConfig& web,
          std::unique_ptr<Source> source, const StopFlag& stop) {
  // Every interval allocates and frees buffers of megabytes (the sample,
  // the rows the detectors read: 29 MB at 262144 entries). glibc's default
  // raises its mmap threshold to the largest freed block, after which they
  // come from the heap and leave holes it keeps resident: 67 MB of RSS
  // where 48 MB were live at the peak (docs/benchmarks.md). A fixed
  // threshold maps them and gives them back when freed, for some page
  // faults per interval.
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  const BasicAuth auth(web.basic_auth_users);
  auto tee = std::make_unique<TickLogTee>(std::move(source), TickLog::Limits{});
  const std::shared_ptr<const TickLog> ticks = tee->log();
  // The metrics and /api/v1/snapshot never show per (instance, cpu, seq)
  // rows; a remote viewer aggregates the ticks itself and has them.
  SnapshotStream stream(std::move(tee), interval_from_seconds(o.interval_seconds), stop, -1,
                        o.detectors, SeqCpuRows::Drop);

  LatestSnapshot latest;
  Served served{o, latest, *ticks, auth, stream.source().info().description};
  RequestProcessor http;
  configure(http, served, PrometheusOptions{o.max_seq_series, o.per_cpu});
  HttpFront server(address, HttpLimits{}, web.tls ? make_tls_context(*web.tls) : nullptr, http);
  // Bound: nothing left that needs a capability (privileges.hpp). The
  // source dropped them all before the server's threads started, unless
  // the port is below 1024: those threads keep CAP_NET_BIND_SERVICE only.
  drop_privileges({});
  spdlog::info("serving {}://{}/metrics from {}", web.tls ? "https" : "http",
               HttpFront::display(address), stream.source().info().description);

  while (auto snap = stream.next()) {
    latest.publish(std::move(*snap));
    if (server.failed()) break;
  }
  stream.rethrow_error();
  if (!stop.requested() && !server.failed()) {
    latest.mark_ended();
    spdlog::info("the recording ended; serving its last snapshot until stopped");
    while (!server.failed() && !stop.requested())
      stop.sleep_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
  }
  if (server.failed()) throw Error("the HTTP server stopped unexpectedly");
  return kExitOk;
}

}  // namespace

int run_exporter(const ExporterOptions& o, const StopFlag& stop) {
  // A bad address or web config is reported before the source is opened; a
  // port below 1024 needs CAP_NET_BIND_SERVICE to bind, kept past the drop
  // at attach.
  const ListenAddress address = listen_address(o);
  const WebConfig web = web_config(o);
  SourceOptions source = o.source;
  if (address.port < 1024) source.privileges.keep.push_back(kCapNetBindService);
  return serve(o, address, web, open_source(source), stop);
}

int run_exporter(const ExporterOptions& o, std::unique_ptr<Source> source, const StopFlag& stop) {
  const ListenAddress address = listen_address(o);
  return serve(o, address, web_config(o), std::move(source), stop);
}

}  // namespace rcuwatch
