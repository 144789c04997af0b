// The command line, parsed (CLI11) into one command and its options. A
// function of its own so that tests and the flag fuzzer (tests/fuzz/) run the
// very parse main() runs.
#pragma once

#include <iosfwd>
#include <variant>

#include "exporter_command.hpp"
#include "report_command.hpp"
#include "stat_command.hpp"
#include "top.hpp"

namespace rcuwatch::cli {

enum class Command { Stat, Replay, Record, Top, Exporter, Report };

struct CommandLine {
  Command command = Command::Stat;
  bool verbose = false;
  StatOptions stat;  // stat, replay and record
  tui::TopOptions top;
  ExporterOptions exporter;
  ReportCommandOptions report;
};

// The parsed command, or the exit code when there is nothing to run: help
// (0, printed on `out`) or a bad command line (64, one line on `err`).
std::variant<CommandLine, int> parse_command_line(int argc, const char* const* argv,
                                                  std::ostream& out, std::ostream& err);

}  // namespace rcuwatch::cli
