// rcuwatch: memory held in rcu_pending, live. Command-line entry point:
// parses flags (command_line.cpp) and hands off to a command; errors end as
// one line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "command_line.hpp"
#include "error.hpp"
#include "interval_memory.hpp"
#include "output.hpp"
#include "stop.hpp"

namespace {

int run(const rcuwatch::cli::CommandLine& c, const rcuwatch::StopFlag& stop) {
  using rcuwatch::cli::Command;
  // The interval's buffers stay faulted in from one interval to the next,
  // except in the exporter, which gives them back (interval_memory.hpp).
  if (c.command != Command::Exporter) rcuwatch::keep_big_buffers_between_intervals();
  switch (c.command) {
    case Command::Stat:
    case Command::Replay:
    case Command::Record:
      return rcuwatch::run_stat(c.stat, stop);
    case Command::Top:
      return rcuwatch::tui::run_top(c.top, stop);
    case Command::Exporter:
      return rcuwatch::run_exporter(c.exporter, stop);
    case Command::Report:
      return rcuwatch::run_report(c.report, stop);
  }
  return rcuwatch::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = rcuwatch::cli::parse_command_line(argc, argv, std::cout, std::cerr);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const auto& command_line = std::get<rcuwatch::cli::CommandLine>(parsed);

  auto logger = spdlog::stderr_color_mt("rcuwatch");
  logger->set_pattern("rcuwatch: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(command_line.verbose ? spdlog::level::trace : spdlog::level::warn);
  rcuwatch::install_stop_signals();

  try {
    const int rc = run(command_line, rcuwatch::process_stop());
    rcuwatch::flush_stdout();  // the last word on stdout, as coreutils checks it
    return rc;
  } catch (const rcuwatch::Error& e) {
    std::fprintf(stderr, "rcuwatch: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rcuwatch: error: %s\n", e.what());
    return rcuwatch::kExitFailure;
  }
}
