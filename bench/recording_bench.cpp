#include "recording_bench.hpp"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

#include "aggregator.hpp"
#include "crc32c.hpp"
#include "error.hpp"
#include "recording.hpp"
#include "scale_tick.hpp"

namespace rcuwatch::bench {

namespace {

namespace fs = std::filesystem;

// Ticks per file: the writers start a new file after this many, so a run
// writes a bounded amount (~40 MB per file at 100 seqs/CPU).
constexpr int kTicksPerFile = 8;
constexpr uint32_t kSeqsPerCpu = 100;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_file(const fs::path& p, const char* mode) {
  File f(std::fopen(p.c_str(), mode));
  if (!f) throw Error(p.string() + ": cannot open");
  return f;
}

// A fresh directory for this run's files, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const fs::path& parent) {
    std::string templ = (parent / "rcuwatch-bench-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw Error(parent.string() + ": cannot create a directory there");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Everything the four benchmarks share: the Tick, and a recording of
// kTicksPerFile of it (read by both readers).
struct Fixture {
  TempDir dir;
  Tick tick;
  RecordingHeader header;
  fs::path recording;
  uint64_t header_bytes = 0;  // before the first record
  uint64_t record_bytes = 0;  // one TICK record: type, length, payload, crc

  explicit Fixture(const fs::path& parent)
      : dir(parent), tick(make_tick(TickShape{.seqs_per_cpu = kSeqsPerCpu})) {
    header.kernel_release = "bench";
    header.nr_cpus = 256;
    recording = dir.path() / "read.rwrec";
    {
      RecordingWriter w(recording.string(), header);
      header_bytes = fs::file_size(recording);
      for (int i = 0; i < kTicksPerFile; i++) w.write_tick(tick);
    }
    record_bytes = (fs::file_size(recording) - header_bytes) / kTicksPerFile;
    // `rcuwatch record` aggregates every tick it writes. Doing so once here
    // leaves glibc's malloc in the state it has in that process (its mmap and
    // trim thresholds rise after big frees), whichever benchmarks ran
    // before; otherwise write_tick's fresh multi-MB buffers are mmapped and
    // page-faulted anew on every tick when it runs alone, and the ratio
    // depends on the --benchmark_filter.
    Aggregator agg;
    benchmark::DoNotOptimize(agg.update(tick, SourceInfo{"bench", "bench", 256, {}}, header.names));
  }

  void set_throughput(benchmark::State& state) const {
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(tick.sample.pending.size()));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(record_bytes));
    state.counters["record_bytes"] = double(record_bytes);
  }
};

// Names a new file per kTicksPerFile records and deletes the previous one.
// Not truncate-and-rewrite: ext4 (auto_da_alloc) flushes a file truncated to
// zero and rewritten, which would put disk writeback inside the timing;
// unlinked dirty pages are simply dropped.
class RotatingPath {
 public:
  RotatingPath(const fs::path& dir, std::string stem) : dir_(dir), stem_(std::move(stem)) {}
  ~RotatingPath() { remove_current(); }
  RotatingPath(const RotatingPath&) = delete;
  RotatingPath& operator=(const RotatingPath&) = delete;
  std::string next() {
    remove_current();
    current_ = dir_ / (stem_ + std::to_string(n_++));
    return current_.string();
  }

 private:
  void remove_current() {
    std::error_code ec;
    if (!current_.empty()) fs::remove(current_, ec);
  }
  fs::path dir_;
  std::string stem_;
  fs::path current_;
  uint64_t n_ = 0;
};

void write_tick(benchmark::State& state, const Fixture& fx) {
  RotatingPath path(fx.dir.path(), "write-");
  std::optional<RecordingWriter> w;
  int in_file = kTicksPerFile;
  for (auto _ : state) {
    if (in_file++ == kTicksPerFile) {
      state.PauseTiming();
      w.reset();
      w.emplace(path.next(), fx.header);
      in_file = 1;
      state.ResumeTiming();
    }
    w->write_tick(fx.tick);
  }
  w.reset();
  fx.set_throughput(state);
}

// Baseline: the same bytes, one fwrite + fflush per record, as write_tick
// does one write() and flush per record.
void fwrite_bytes(benchmark::State& state, const Fixture& fx) {
  RotatingPath path(fx.dir.path(), "fwrite-");
  const std::string bytes(fx.record_bytes, '\x5a');
  File f;
  int in_file = kTicksPerFile;
  for (auto _ : state) {
    if (in_file++ == kTicksPerFile) {
      state.PauseTiming();
      f.reset();
      f = open_file(path.next(), "wb");
      in_file = 1;
      state.ResumeTiming();
    }
    if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size() ||
        std::fflush(f.get()) != 0) {
      state.SkipWithError("fwrite failed");
      break;
    }
  }
  f.reset();
  fx.set_throughput(state);
}

void read_next(benchmark::State& state, const Fixture& fx) {
  std::optional<RecordingReader> r(std::in_place, fx.recording.string());
  int in_file = 0;
  for (auto _ : state) {
    if (in_file++ == kTicksPerFile) {
      state.PauseTiming();
      r.emplace(fx.recording.string());
      in_file = 1;
      state.ResumeTiming();
    }
    auto rec = r->next();
    benchmark::DoNotOptimize(rec);
  }
  fx.set_throughput(state);
}

// Baselines: fread of the same records from the same file (page cache),
// and that followed by CRC-32C of each record on this CPU's fastest
// CRC-32C (what a reader that verifies the file must at least do).
void fread_records(benchmark::State& state, const Fixture& fx, bool checksum) {
  std::string buf(fx.record_bytes, '\0');
  File f = open_file(fx.recording, "rb");
  int in_file = kTicksPerFile;
  for (auto _ : state) {
    if (in_file++ == kTicksPerFile) {
      state.PauseTiming();
      std::fseek(f.get(), long(fx.header_bytes), SEEK_SET);
      in_file = 1;
      state.ResumeTiming();
    }
    if (std::fread(buf.data(), 1, buf.size(), f.get()) != buf.size()) {
      state.SkipWithError("fread came up short");
      break;
    }
    if (checksum) benchmark::DoNotOptimize(crc32c(0, buf.data(), buf.size() - 4));
    benchmark::DoNotOptimize(buf.data());
  }
  fx.set_throughput(state);
}
void fread_bytes(benchmark::State& state, const Fixture& fx) { fread_records(state, fx, false); }
void fread_crc32c(benchmark::State& state, const Fixture& fx) { fread_records(state, fx, true); }

// The checksums alone, on the same bytes in memory: format 2's CRC-32C
// and format 1's zlib CRC-32.
void checksum_only(benchmark::State& state, const Fixture& fx, bool zlib) {
  std::string buf(fx.record_bytes, '\x5a');
  for (auto _ : state)
    benchmark::DoNotOptimize(
        zlib ? uint32_t(crc32(0, reinterpret_cast<const Bytef*>(buf.data()), uInt(buf.size())))
             : crc32c(0, buf.data(), buf.size()));
  fx.set_throughput(state);
}
void crc32c_only(benchmark::State& state, const Fixture& fx) { checksum_only(state, fx, false); }
void zlib_crc32_only(benchmark::State& state, const Fixture& fx) { checksum_only(state, fx, true); }

}  // namespace

class RecordingBench {
 public:
  explicit RecordingBench(std::string parent) : parent_(std::move(parent)) {}

  void run(benchmark::State& state, void (*bench)(benchmark::State&, const Fixture&)) {
    try {
      if (!fixture_) fixture_ = std::make_unique<Fixture>(parent_);
      bench(state, *fixture_);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

 private:
  std::string parent_;
  std::unique_ptr<Fixture> fixture_;  // made by the first benchmark that runs
};

void RecordingBenchDeleter::operator()(RecordingBench* b) const { delete b; }

RecordingBenchPtr register_recording_benchmarks(const std::string& parent) {
  RecordingBenchPtr b(new RecordingBench(parent));
  RecordingBench* p = b.get();
  const std::pair<const char*, void (*)(benchmark::State&, const Fixture&)> all[] = {
      {"recording/fwrite", fwrite_bytes},        {"recording/write_tick", write_tick},
      {"recording/fread", fread_bytes},          {"recording/next", read_next},
      {"recording/fread_crc32c", fread_crc32c},  {"recording/crc32c", crc32c_only},
      {"recording/zlib_crc32", zlib_crc32_only},
  };
  for (const auto& [name, fn] : all)
    benchmark::RegisterBenchmark(name, [p, fn = fn](benchmark::State& s) {
      p->run(s, fn);
    })->Unit(benchmark::kMillisecond);
  return b;
}

void summarize_recording(const Results& r, std::ostream& out) {
  auto pair = [&](const char* what, const char* name, const char* base_name, const char* base) {
    auto t = r.find(name);
    auto b = r.find(base_name);
    if (t == r.end() || b == r.end()) return;
    const double bytes = t->second.counter("record_bytes");
    out << "  " << what << ": " << ratio(t->second.ns_per_iteration, b->second.ns_per_iteration)
        << " " << base << " of the same " << size(bytes) << " ("
        << duration(t->second.ns_per_iteration) << " vs " << duration(b->second.ns_per_iteration)
        << " per tick; " << fmt::format("{:.0f}", bytes / t->second.ns_per_iteration * 1e3)
        << " MB/s)\n";
  };
  if (r.count("recording/write_tick") || r.count("recording/next"))
    out << "Recording, one Tick of 256 CPUs x " << kSeqsPerCpu
        << " seqs x 4 instances per record (baseline: plain stdio on the same bytes, same "
           "directory)\n";
  pair("RecordingWriter::write_tick", "recording/write_tick", "recording/fwrite", "fwrite+fflush");
  pair("RecordingReader::next", "recording/next", "recording/fread", "fread");
  pair("RecordingReader::next", "recording/next", "recording/fread_crc32c",
       "fread + CRC-32C (its checksum work at this CPU's speed)");
  auto speed = [&](const char* what, const char* name) {
    auto t = r.find(name);
    if (t == r.end()) return;
    out << "  " << what << ": "
        << fmt::format("{:.1f} GB/s",
                       t->second.counter("record_bytes") / t->second.ns_per_iteration)
        << " (" << duration(t->second.ns_per_iteration) << " per tick)\n";
  };
  speed(crc32c_hardware() ? "CRC-32C, SSE4.2 crc32 instruction (format 2)"
                          : "CRC-32C, software (format 2)",
        "recording/crc32c");
  speed("zlib crc32 (format 1)", "recording/zlib_crc32");
}

}  // namespace rcuwatch::bench
