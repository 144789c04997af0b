#include "report_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "aggregator.hpp"
#include "error.hpp"
#include "report.hpp"

namespace rcuwatch {

int run_report(const ReportCommandOptions& o, const std::atomic<bool>& stop) {
  if (o.live == !o.source.replay_file.empty())
    throw Error("report needs a recording FILE or --live, not both", kExitUsage);
  auto source = open_source(o.source);
  ReportOptions ro;
  ro.stranded_age_ns = uint64_t(o.stranded_age_seconds * 1e9);
  ReportBuilder builder(ro);
  builder.set_source(source->info().description, source->info().kernel_release);
  Aggregator aggregator;
  const auto interval = std::chrono::milliseconds(long(o.interval_seconds * 1000));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(long(o.duration_seconds * 1000));
  auto print = [&] {
    const Report r = builder.finish();
    if (o.json)
      fmt::print("{}\n", to_json(r).dump());
    else
      fmt::print("{}", format_report(r));
    std::fflush(stdout);
  };
  bool any = false;
  while (!stop && (!o.live || std::chrono::steady_clock::now() < deadline)) {
    std::optional<Tick> tick;
    try {
      tick = source->next(interval);
    } catch (const Error& e) {
      if (any) {  // the records before the bad one still make a report
        builder.set_error(e.what());
        print();
      }
      throw;
    }
    if (!tick) break;
    builder.add(aggregator.update(*tick, *source));
    any = true;
  }
  if (!any) throw Error("no samples to report on");
  print();
  return 0;
}

}  // namespace rcuwatch
