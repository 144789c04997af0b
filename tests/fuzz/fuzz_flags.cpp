// libFuzzer: arbitrary command lines through the very parse main() runs
// (cli/command_line.cpp). Input: arguments separated by NUL bytes. Help
// and errors go to a null stream. Whatever parses must hold what the
// commands rely on: finite numbers within their ranges.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace {

struct NullBuffer : std::streambuf {
  int overflow(int c) override { return c; }
};

void require(bool ok) {
  if (!ok) std::abort();
}

void check_source(const rcuwatch::SourceOptions& s) {
  require(std::isfinite(s.replay_speed) && s.replay_speed >= 0);
  require(s.max_pending_entries >= 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static NullBuffer null_buffer;
  static std::ostream null(&null_buffer);
  std::vector<std::string> args{"rcuwatch"};
  std::string arg;
  for (size_t i = 0; i < size && args.size() < 64; i++) {
    if (data[i] == 0) {
      args.push_back(arg);
      arg.clear();
    } else {
      arg += char(data[i]);
    }
  }
  if (!arg.empty()) args.push_back(arg);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  auto parsed = rcuwatch::cli::parse_command_line(int(args.size()), argv.data(), null, null);
  if (const int* rc = std::get_if<int>(&parsed)) {
    require(*rc == 0 || *rc == 64);
    return 0;
  }
  const auto& c = std::get<rcuwatch::cli::CommandLine>(parsed);
  for (double seconds :
       {c.stat.interval_seconds, c.exporter.interval_seconds, c.report.interval_seconds})
    require(std::isfinite(seconds) && seconds >= 0.01 && seconds <= 3600);
  require(std::isfinite(c.top.delay_seconds) && c.top.delay_seconds >= 0.1);
  require(std::isfinite(c.report.duration_seconds) && c.report.duration_seconds > 0);
  constexpr uint64_t kYearNs = 365 * 86400 * 1'000'000'000ull;  // seconds_flag's bound
  for (const auto* l :
       {&c.stat.detectors, &c.top.detectors, &c.exporter.detectors, &c.report.detectors})
    require(std::isfinite(l->flood_objects_per_sec) && l->flood_objects_per_sec >= 0 &&
            l->stranded_age_ns <= kYearNs && l->stranded_bytes >= 0 && l->gp_ns <= kYearNs);
  require(std::isfinite(c.top.warn_age_seconds) && std::isfinite(c.top.crit_age_seconds));
  check_source(c.stat.source);
  check_source(c.top.source);
  check_source(c.exporter.source);
  check_source(c.report.source);
  return 0;
}
