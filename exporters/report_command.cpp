#include "report_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "error.hpp"
#include "output.hpp"
#include "report.hpp"
#include "report_json.hpp"
#include "report_text.hpp"
#include "snapshot_json.hpp"
#include "snapshot_stream.hpp"

namespace rcuwatch {

int run_report(const ReportCommandOptions& o, const StopFlag& stop) {
  if (!o.live && o.source.replay_file.empty())
    throw Error("report needs a recording FILE, or --live to watch the running kernel", kExitUsage);
  if (o.live && !o.source.replay_file.empty())
    throw Error("report takes a recording FILE or --live, not both", kExitUsage);
  SnapshotStream stream(open_source(o.source), interval_from_seconds(o.interval_seconds), stop, -1,
                        o.detectors);
  ReportOptions ro;
  ro.stranded_age_ns = o.detectors.stranded_age_ns;
  ReportBuilder builder(ro);
  builder.set_source(stream.source().info().description, stream.source().info().kernel_release);
  const auto deadline =
      std::chrono::steady_clock::now() + interval_from_seconds(o.duration_seconds);
  while (!o.live || std::chrono::steady_clock::now() < deadline) {
    auto snap = stream.next();
    if (!snap) break;
    builder.add(*snap);
  }
  if (stream.produced() == 0) {
    stream.rethrow_error();
    throw Error("no samples to report on");
  }
  // The records before a bad one still make a report; the error follows it.
  if (stream.failed()) builder.set_error(stream.error_message());
  const Report r = builder.finish();
  if (o.json)
    fmt::print("{}\n", json_text(to_json(r)));
  else
    fmt::print("{}", format_report(r));
  flush_stdout();
  stream.rethrow_error();
  return r.any_detector_fired() ? kExitDetectorFired : kExitOk;
}

}  // namespace rcuwatch
