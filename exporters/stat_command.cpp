#include "stat_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "error.hpp"
#include "output.hpp"
#include "snapshot_json.hpp"
#include "snapshot_stream.hpp"
#include "stat_format.hpp"

namespace rcuwatch {

int run_stat(const StatOptions& o, const StopFlag& stop) {
  // Only the JSON has per (instance, cpu, seq) rows; lines and `record` do not.
  SnapshotStream stream(open_source(o.source), interval_from_seconds(o.interval_seconds), stop,
                        o.count, o.detectors, o.json ? SeqCpuRows::Keep : SeqCpuRows::Drop);
  long printed = 0;
  auto print = [&](const Snapshot& s) {
    if (o.quiet) return;
    if (o.json) {
      write_json_line(s, stdout);
    } else {
      if (printed % 20 == 0) fmt::print("{}\n", stat_header());
      fmt::print("{}\n", stat_line(s));
    }
    flush_stdout();  // a failed write ends the command, not just the line
    printed++;
  };
  std::optional<Snapshot> last;
  while (auto snap = stream.next()) {
    if (o.final_only)
      last = std::move(snap);
    else
      print(*snap);
  }
  if (last) print(*last);  // what was read before a bad record still counts
  stream.rethrow_error();
  // --record stopped (a full disk) while the lines went on: still an error.
  if (const std::string failure = stream.source().failure(); !failure.empty()) throw Error(failure);
  return kExitOk;
}

}  // namespace rcuwatch
