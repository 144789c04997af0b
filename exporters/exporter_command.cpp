#include "exporter_command.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "error.hpp"
#include "exporter_routes.hpp"
#include "http_front.hpp"
#include "interval_memory.hpp"
#include "privileges.hpp"
#include "snapshot_stream.hpp"
#include "tick_log.hpp"
#include "web_config.hpp"

namespace rcuwatch {

namespace {

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
  // the rows the detectors read: 29 MB at 262144 entries): given back to
  // the kernel when freed, and faulted in again, in huge pages where the
  // kernel has them to spare (interval_memory.hpp).
  return_big_buffers_when_freed();
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
  configure_routes(http, served, PrometheusOptions{o.max_seq_series, o.per_cpu});
  HttpFront server(address, HttpLimits{}, web.tls ? make_tls_context(*web.tls) : nullptr, http);
  // Bound: nothing left that needs a capability (privileges.hpp). The
  // source dropped them all before the server's threads started, unless
  // the port is below 1024: those threads keep CAP_NET_BIND_SERVICE only.
  drop_privileges({});
  spdlog::info("serving {}://{}/metrics from {}", web.tls ? "https" : "http",
               HttpFront::display(address), stream.source().info().description);

  while (auto snap = stream.next()) {
    latest.publish(std::move(*snap));
    // The interval's smaller allocations (below the threshold: detector
    // contributions, names, /metrics parts in the workers' arenas) leave
    // free pages in the heaps; given back here, 1.3 MB of RSS at 262144
    // entries, for ~0.2 ms per interval.
    malloc_trim(0);
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
