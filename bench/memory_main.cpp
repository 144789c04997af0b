// rcuwatch_memory_bench: resident size of a live-style loop (issue 11,
// target 4). `rcuwatch exporter`'s own loop (run_exporter: source, stream,
// aggregator, the latest snapshot, the HTTP server) serves a recording of
// scale_tick.hpp's intervals looped for an hour of simulated time, while
// /metrics is scraped; RSS is read from /proc/self/status at the start
// (after the first interval), once warm (a simulated minute: every HTTP
// worker has served a scrape and holds its malloc arena), in the middle and
// at the end. Flat means no growth from warm to the end.
//
//   rcuwatch_memory_bench [--cpus=N] [--seconds=S] [--dir=DIR] [--scrape-ms=MS]
//     --cpus       1024 (262144 pending entries: 1024 CPUs x 4 seqs x 64 instances)
//     --seconds    simulated seconds (3600), one interval each
//     --dir        where the recording is written (temp directory)
//     --scrape-ms  wall time between two scrapes of /metrics (200)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "error.hpp"
#include "exporter_command.hpp"
#include "looping_replay.hpp"
#include "recording.hpp"
#include "scale_tick.hpp"

namespace {

using namespace rcuwatch;
namespace fs = std::filesystem;

constexpr uint64_t kSec = 1'000'000'000;
constexpr int kTicksInRecording = 4;
constexpr double kTargetMb = 50;

struct Options {
  uint32_t cpus = 1024;
  uint64_t seconds = 3600;
  std::string dir = fs::temp_directory_path().string();
  int scrape_ms = 200;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::string f = std::string(flag) + "=";
      return a.rfind(f, 0) == 0 ? argv[i] + f.size() : nullptr;
    };
    if (const char* v = value("--cpus")) {
      o.cpus = uint32_t(std::strtoul(v, nullptr, 10));
    } else if (const char* v = value("--seconds")) {
      o.seconds = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--dir")) {
      o.dir = v;
    } else if (const char* v = value("--scrape-ms")) {
      o.scrape_ms = std::atoi(v);
    } else {
      throw Error(
          "usage: rcuwatch_memory_bench [--cpus=N] [--seconds=S] [--dir=DIR] "
          "[--scrape-ms=MS]",
          kExitUsage);
    }
  }
  if (o.cpus == 0 || o.seconds < 2 || o.scrape_ms <= 0) throw Error("bad option value", kExitUsage);
  return o;
}

struct Rss {
  double rss_mb = 0;
  double peak_mb = 0;  // VmHWM
};

Rss rss_now() {
  Rss r;
  std::ifstream in("/proc/self/status");
  std::string key;
  double kb;
  std::string unit;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kb >> unit) r.rss_mb = kb / 1024;
    if (key == "VmHWM:" && in >> kb >> unit) r.peak_mb = kb / 1024;
  }
  return r;
}

// K intervals of the scale shape, one second apart, as `rcuwatch record`
// writes them.
void write_recording(const std::string& path, uint32_t cpus) {
  RecordingHeader h;
  h.kernel_release = "bench";
  h.nr_cpus = cpus;
  RecordingWriter w(path, h);
  Tick t = bench::make_tick(bench::scale_shape(cpus));
  for (int i = 0; i < kTicksInRecording; i++) {
    w.write_tick(t);
    t.sample.time_ns += kSec;
    for (auto& p : t.sample.pending) p.val.first_enqueue_ns += kSec;
    for (auto& e : t.sample.instances) e.totals.enqueued_objects += 1000;
  }
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw Error("cannot find a free port on 127.0.0.1");
  close(fd);
  return ntohs(a.sin_port);
}

// One GET /metrics; the size of the answer, 0 if it failed.
size_t scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  size_t got = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req.data(), req.size()) == ssize_t(req.size())) {
      char buf[65536];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) got += size_t(n);
    }
  }
  close(fd);
  return got;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    const auto shape = bench::scale_shape(o.cpus);
    std::string path = (fs::path(o.dir) / "rcuwatch-memory-bench-XXXXXX").string();
    const int tmp = mkstemp(path.data());
    if (tmp < 0) throw Error(o.dir + ": cannot create a file there");
    close(tmp);
    struct Remove {
      std::string p;
      ~Remove() { std::remove(p.c_str()); }
    } remove_recording{path};
    // Written by a child process: the memory of building the intervals is
    // not this process's, which only runs the exporter, as `rcuwatch
    // exporter --replay` would.
    const pid_t child = fork();
    if (child < 0) throw Error("fork failed");
    if (child == 0) {
      try {
        write_recording(path, o.cpus);
        _exit(0);
      } catch (const std::exception& e) {
        std::cerr << "rcuwatch_memory_bench: " << e.what() << "\n";
        _exit(1);
      }
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw Error("writing the recording failed");
    std::cout << "recording: " << kTicksInRecording << " intervals of " << bench::describe(shape)
              << ", " << fs::file_size(path) / 1'000'000 << " MB\n";

    // RSS once the first interval has been aggregated and published (the
    // second tick is being read), warm, in the middle, at the end; and once
    // a simulated minute, for the range.
    const uint64_t total_ns = o.seconds * kSec;
    const uint64_t warm_ns = std::min<uint64_t>(60, o.seconds / 4) * kSec;
    Rss start, warm, middle, end;
    double low = 1e9, high = 0;
    auto on_tick = [&](uint64_t elapsed) {
      if (elapsed < kSec) return;
      const Rss r = rss_now();
      if (elapsed == kSec) start = r;
      if (elapsed == warm_ns) warm = r;
      if (elapsed == total_ns / 2 / kSec * kSec) middle = r;
      if (elapsed + kSec > total_ns) end = r;
      if (elapsed >= warm_ns && (elapsed % (60 * kSec) == 0 || elapsed + kSec > total_ns)) {
        low = std::min(low, r.rss_mb);
        high = std::max(high, r.rss_mb);
      }
    };
    auto source = std::make_unique<bench::LoopingReplay>(path, total_ns, on_tick);
    bench::LoopingReplay& loop = *source;

    const int port = free_port();
    ExporterOptions eo;
    eo.listen = "127.0.0.1:" + std::to_string(port);
    // The exporter's loop on this thread, as `rcuwatch exporter` runs it
    // (the main malloc arena); scrapes from another, as Prometheus would.
    StopFlag stop;
    std::atomic<uint64_t> scrapes{0}, scraped_bytes{0};
    const auto t0 = std::chrono::steady_clock::now();
    std::thread scraper([&] {
      while (!stop.requested()) {
        const size_t got = scrape(port);
        if (got) scrapes++;
        scraped_bytes += got;
        if (loop.ended() && scrapes) break;  // the last snapshot has been served
        stop.sleep_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(o.scrape_ms));
      }
      stop.request();
    });
    std::exception_ptr failure;
    try {
      run_exporter(eo, std::move(source), stop);
    } catch (...) {
      failure = std::current_exception();
    }
    stop.request();
    scraper.join();
    if (failure) std::rethrow_exception(failure);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Flat: no growth from warm to the middle and the end beyond 5% (and
    // a megabyte of allocator slack).
    const double slack = std::max(1.0, 0.05 * warm.rss_mb);
    const bool flat = middle.rss_mb <= warm.rss_mb + slack && end.rss_mb <= warm.rss_mb + slack;
    std::string verdict = "MET";
    if (end.peak_mb >= kTargetMb)
      verdict = "MISSED by " + std::to_string(end.peak_mb / kTargetMb).substr(0, 4) + "x";
    if (!flat) verdict += verdict == "MET" ? " for size; MISSED: not flat" : ", and not flat";
    if (verdict == "MET for size; MISSED: not flat") verdict = "MISSED: not flat";
    std::cout << "exporter loop: " << loop.ticks() << " intervals (" << o.seconds
              << " s simulated, " << loop.passes() << " passes over the recording) in " << int(wall)
              << " s, " << scrapes << " scrapes of /metrics ("
              << scraped_bytes / std::max<uint64_t>(scrapes, 1) / 1000 << " kB each)\n";
    std::printf(
        "  4 memory, %s: RSS at start %.1f MB, warm (%llu s) %.1f MB, middle %.1f MB, end %.1f "
        "MB; peak %.1f MB; %.1f to %.1f MB from warm on (target < %.0f MB and flat): %s\n",
        bench::describe(shape).c_str(), start.rss_mb, (unsigned long long)(warm_ns / kSec),
        warm.rss_mb, middle.rss_mb, end.rss_mb, end.peak_mb, low, high, kTargetMb, verdict.c_str());
    return 0;
  } catch (const Error& e) {
    std::cerr << "rcuwatch_memory_bench: " << e.what() << "\n";
    return e.exit_code() ? e.exit_code() : 1;
  } catch (const std::exception& e) {
    std::cerr << "rcuwatch_memory_bench: " << e.what() << "\n";
    return 1;
  }
}
