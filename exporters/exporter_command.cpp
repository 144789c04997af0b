#include "exporter_command.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "error.hpp"
#include "prometheus_format.hpp"
#include "snapshot_stream.hpp"

#ifndef RCUWATCH_VERSION
#define RCUWATCH_VERSION "unknown"
#endif

namespace rcuwatch {

namespace {

constexpr const char* kIndexHtml =
    "<!DOCTYPE html>\n<html><head><title>rcuwatch exporter</title></head>\n"
    "<body><h1>rcuwatch exporter</h1>\n"
    "<p>Memory the kernel holds in rcu_pending, waiting for RCU/SRCU grace periods.</p>\n"
    "<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
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
    default:
      return "Error";
  }
}

// The latest snapshot, written by the loop, read by the HTTP threads.
class LatestSnapshot {
 public:
  struct View {
    std::shared_ptr<const Snapshot> snapshot;  // null before the first interval
    double unix_seconds = 0;
    bool ended = false;
  };
  void publish(Snapshot s) {
    auto p = std::make_shared<const Snapshot>(std::move(s));
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(mutex_);
    view_.snapshot = std::move(p);
    view_.unix_seconds = now;
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

// cpp-httplib's server on its own thread; stopped and joined on destruction.
class MetricsServer {
 public:
  static constexpr size_t kWorkers = 4;

  MetricsServer(const ListenAddress& address, std::function<std::string()> metrics)
      : metrics_(std::move(metrics)) {
    // A few workers, not cpp-httplib's default of 8 or more: scrapes come
    // every few seconds from one or two Prometheus servers, and every worker
    // keeps its own malloc arena (about 1.4 MB each after serving a
    // /metrics body at 1024 CPUs x 64 instances: docs/benchmarks.md).
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    // Slow or stuck clients time out instead of holding a worker thread.
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(5, 0);
    server_.set_keep_alive_timeout(5);
    server_.set_payload_max_length(4096);
    // SO_REUSEADDR only (restart while old connections linger), never
    // SO_REUSEPORT: a port already in use must be an error.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.method == "GET" || req.method == "HEAD")
        return httplib::Server::HandlerResponse::Unhandled;
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("405 Method Not Allowed: only GET\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_(), kPrometheusContentType);
    });
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kIndexHtml, "text/html; charset=utf-8");
    });
    // 404 (no route), 400 (request cpp-httplib could not parse), 413...: a
    // plain-text body naming the status, unless a handler wrote one.
    server_.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          res.set_content(fmt::format("{} {}\n", res.status, reason(res.status)),
                          "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }));
    server_.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            spdlog::error("{} {}: {}", req.method, req.path, x.what());
          } catch (...) {
            spdlog::error("{} {}: unknown exception", req.method, req.path);
          }
          res.status = 500;
          res.set_content("500 Internal Server Error\n", "text/plain; charset=utf-8");
        });
    server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      spdlog::debug("{} {} {} -> {}", req.remote_addr, req.method, req.path, res.status);
    });

    errno = 0;
    if (!server_.bind_to_port(address.host, address.port)) {
      // cpp-httplib reports only false; errno is still bind()'s or listen()'s.
      const int err = errno;
      throw Error(fmt::format("cannot listen on {}: {}", display(address),
                              err ? std::strerror(err) : "bind failed"));
    }
    thread_ = std::thread([this] {
      if (!server_.listen_after_bind() && !stopping_) failed_ = true;
    });
  }

  ~MetricsServer() {
    stopping_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  bool failed() const { return failed_; }

  static std::string display(const ListenAddress& a) {
    return a.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", a.host, a.port)
                                                 : fmt::format("{}:{}", a.host, a.port);
  }

 private:
  std::function<std::string()> metrics_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
};

ListenAddress listen_address(const ExporterOptions& o) {
  const auto address = parse_listen_address(o.listen);
  if (!address)
    throw Error(
        fmt::format("--listen {}: expected ADDRESS:PORT (e.g. 127.0.0.1:9640, [::1]:9640, :9640)",
                    o.listen),
        kExitUsage);
  return *address;
}

}  // namespace

int run_exporter(const ExporterOptions& o, const StopFlag& stop) {
  listen_address(o);  // a bad address is reported before the source is opened
  return run_exporter(o, open_source(o.source), stop);
}

int run_exporter(const ExporterOptions& o, std::unique_ptr<Source> source, const StopFlag& stop) {
  const ListenAddress address = listen_address(o);
  // Every interval allocates and frees buffers of megabytes (the sample,
  // the rows the detectors read: 29 MB at 262144 entries). glibc's default
  // raises its mmap threshold to the largest freed block, after which they
  // come from the heap and leave holes it keeps resident: 67 MB of RSS
  // where 48 MB are live at the peak (docs/benchmarks.md). A fixed
  // threshold maps them and gives them back when freed, for some page
  // faults per interval.
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  // The metrics never show per (instance, cpu, seq) rows.
  SnapshotStream stream(std::move(source), interval_from_seconds(o.interval_seconds), stop, -1,
                        o.detectors, SeqCpuRows::Drop);

  LatestSnapshot latest;
  std::atomic<uint64_t> scrapes{0};
  const PrometheusOptions format{o.max_seq_series};
  MetricsServer server(address, [&] {
    const LatestSnapshot::View v = latest.get();
    ExporterStatus status;
    status.version = RCUWATCH_VERSION;
    status.scrapes = ++scrapes;
    status.snapshot_unix_seconds = v.unix_seconds;
    status.source_ended = v.ended;
    return prometheus_text(v.snapshot.get(), status, format);
  });
  spdlog::info("serving http://{}/metrics from {}", MetricsServer::display(address),
               stream.source().info().description);

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

}  // namespace rcuwatch
