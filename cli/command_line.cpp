#include "command_line.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <ostream>

#include "attach_mode.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "version.hpp"

extern "C" {
#include "events.h"
}

namespace rcuwatch::cli {

namespace {

// A finite number from `min` to `max`. CLI11's Range lets NaN through (every
// comparison with it is false) and NonNegativeNumber's message prints
// DBL_MAX in 309 digits; this says what is wrong in a few words.
CLI::Validator finite_number(double min, double max = std::numeric_limits<double>::infinity()) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "'" + text + "' is not a number";
        if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
        if (v < min || v > max)
          return std::isinf(max) ? fmt::format("{} is below {:g}", text, min)
                                 : fmt::format("{} is not from {:g} to {:g}", text, min, max);
        return "";
      },
      std::isinf(max) ? fmt::format("NUMBER >= {:g}", min)
                      : fmt::format("NUMBER in [{:g}, {:g}]", min, max));
}

void add_source_flags(CLI::App* cmd, SourceOptions& so, bool replay_flag) {
  if (replay_flag)
    cmd->add_option("--replay", so.replay_file, "Read a recording instead of the live kernel")
        ->check(CLI::ExistingFile);
  cmd->add_option("--speed", so.replay_speed,
                  "Replay pacing: 0 as fast as possible, 1 recorded speed, 2 twice as fast")
      ->check(finite_number(0));
  cmd->add_option("--max-pending-entries", so.max_pending_entries,
                  "Live: entries of the BPF map of pending (instance, cpu, seq)")
      ->check(CLI::Range(64u, limits::kMaxPendingEntries));
  cmd->add_option_function<std::string>(
      "--instance",
      [&so](const std::string& addr) {
        size_t end = 0;
        try {
          so.instance_filter = std::stoull(addr, &end, 16);
        } catch (const std::exception&) {
          end = 0;
        }
        if (end == 0 || end != addr.size() || so.instance_filter == 0)
          throw CLI::ValidationError("--instance", "'" + addr + "' is not a hex kernel address");
      },
      "Live: watch only the rcu_pending instance at this address (hex, as in the JSON)");
  cmd->add_option_function<std::string>(
         "--attach",
         [&so](const std::string& mode) {
           if (!parse_attach_mode(mode, &so.attach))
             throw CLI::ValidationError("--attach",
                                        "'" + mode + "' is not auto, tracepoint, fentry or kprobe");
         },
         "Live: how to hook the kernel: auto (default: the first that works), tracepoint (our "
         "patch), fentry or kprobe (stock kernels)")
      ->type_name("MODE");
  cmd->add_option("--max-tracked-objects", so.max_tracked_objects,
                  "Live, fentry/kprobe: objects whose queue rcuwatch remembers for dequeues")
      ->check(CLI::Range(1024u, 1u << 24));
  cmd->add_option("--sample-bytes", so.call_site_sample_bytes,
                  "Live: call sites: a kernel stack per this many bytes enqueued on a CPU, on "
                  "average (e.g. 64KiB; 0: none)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t(0), uint64_t(1) << 40))
      ->capture_default_str();
  cmd->add_option("--ringbuf", so.ringbuf_bytes,
                  "Live: bytes of the BPF ring buffer of lifecycle events (a power of two, "
                  "4KiB to 1GiB; events that do not fit are counted as dropped)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            uint64_t v = 0;
            if (!CLI::detail::lexical_cast(text, v) || v < 4096 || v > (1u << 30) || (v & (v - 1)))
              return text + " bytes is not a power of two from 4KiB to 1GiB";
            return "";
          },
          "power of two"));
  cmd->add_option("--user", so.privileges.user,
                  "Once attached, run as this user (every capability is dropped anyway)");
}

// `top` and `stat` of an exporter elsewhere (userspace/remote_source.hpp).
// The password never comes from the command line, where `ps` shows it.
void add_connect_flags(CLI::App* cmd, SourceOptions& so) {
  const std::string group = "Remote (an rcuwatch exporter on another machine)";
  auto* connect =
      cmd->add_option("--connect", so.remote.url,
                      "Watch the exporter at this URL (http(s)://HOST:PORT) instead of this kernel")
          ->group(group);
  cmd->add_option("--connect-user", so.remote.user,
                  "Basic auth user; the password from RCUWATCH_PASSWORD or --connect-password-file")
      ->group(group)
      ->needs(connect);
  cmd->add_option_function<std::string>(
         "--connect-password-file",
         [&so](const std::string& path) {
           std::ifstream in(path);
           if (!in || !std::getline(in, so.remote.password))
             throw CLI::ValidationError("--connect-password-file", "cannot read '" + path + "'");
         },
         "File whose first line is the basic auth password")
      ->group(group)
      ->check(CLI::ExistingFile)
      ->needs(connect);
  cmd->add_option("--connect-ca", so.remote.ca_file,
                  "HTTPS: trust the CA certificates (PEM) in this file instead of the system's")
      ->group(group)
      ->check(CLI::ExistingFile)
      ->needs(connect);
  if (auto* replay = cmd->get_option_no_throw("--replay")) connect->excludes(replay);
}

// The password of --connect-user, when no file gave it: RCUWATCH_PASSWORD.
void connect_password(SourceOptions& so) {
  if (so.remote.user.empty() || !so.remote.password.empty()) return;
  const char* env = std::getenv("RCUWATCH_PASSWORD");
  if (!env)
    throw Error("--connect-user needs a password: set RCUWATCH_PASSWORD or --connect-password-file",
                kExitUsage);
  so.remote.password = env;
}

// A finite number from 0 to `max` (CLI::Range lets NaN through).
CLI::Validator number_up_to(double max, const std::string& what) {
  return CLI::Validator(
      [max, what](const std::string& text) -> std::string {
        double v = 0;
        size_t end = 0;
        try {
          v = std::stod(text, &end);
        } catch (const std::exception&) {
          end = 0;
        }
        if (end == 0 || end != text.size() || !std::isfinite(v) || v < 0 || v > max)
          return fmt::format("'{}' is not {} from 0 to {:.0f}", text, what, max);
        return "";
      },
      "");
}

void seconds_flag(CLI::App* cmd, const std::string& name, uint64_t& ns, const std::string& help) {
  cmd->add_option_function<double>(
         name, [&ns](double s) { ns = uint64_t(std::llround(s * 1e9)); },
         fmt::format("{} (default {:g})", help, double(ns) / 1e9))
      ->type_name("SECONDS")
      ->check(number_up_to(365 * 86400.0, "a number of seconds"));
}

// The detectors' limits (userspace/detection.hpp), on every command that
// evaluates them; 0 turns a detector off. docs/diagnosing.md.
void add_detector_flags(CLI::App* cmd, DetectorLimits& l) {
  const std::string group = "Detectors (0 turns one off; docs/diagnosing.md)";
  const auto in_group = [&](CLI::Option* o) { o->group(group); };
  seconds_flag(cmd, "--stranded-age", l.stranded_age_ns,
               "Pending this long (s) counts as stranded (stranded_bytes, report episodes)");
  in_group(cmd->get_option("--stranded-age"));
  in_group(cmd->add_option("--stranded-bytes", l.stranded_bytes,
                           "stranded_bytes: fires from this many stranded bytes (e.g. 1MiB)")
               ->transform(CLI::AsSizeValue(false))
               ->check(CLI::Range(int64_t(0), int64_t(1) << 50))
               ->capture_default_str());
  seconds_flag(cmd, "--stranded-for", l.stranded_for_ns,
               "stranded_bytes: ... held for this long (s)");
  in_group(cmd->get_option("--stranded-for"));
  seconds_flag(cmd, "--gp-limit", l.gp_ns,
               "gp_too_long: a grace period running this long (s), per RCU/SRCU flavor");
  in_group(cmd->get_option("--gp-limit"));
  in_group(cmd->add_option("--flood-rate", l.flood_objects_per_sec,
                           "callback_flood: objects queued per second on one CPU")
               ->check(number_up_to(1e12, "a rate"))
               ->capture_default_str());
  seconds_flag(cmd, "--lag-limit", l.lag_ns,
               "processing_lag: objects not processed this long (s) after their grace period");
  in_group(cmd->get_option("--lag-limit"));
  in_group(cmd->add_option("--list-fallback-objects", l.list_fallback_objects,
                           "list_fallback: objects put on the list in one interval")
               ->check(CLI::Range(uint64_t(0), uint64_t(1) << 40))
               ->capture_default_str());
  in_group(
      cmd->add_option("--loss-limit", l.losses, "losses: events or objects lost in one interval")
          ->check(CLI::Range(uint64_t(0), uint64_t(1) << 40))
          ->capture_default_str());
}

}  // namespace

std::variant<CommandLine, int> parse_command_line(int argc, const char* const* argv,
                                                  std::ostream& out, std::ostream& err) {
  CommandLine c;
  CLI::App app{
      "rcuwatch: memory the kernel holds in rcu_pending, waiting for RCU/SRCU grace periods"};
  app.require_subcommand(1);
  // One line for bug reports: what was built, which event ABI it reads and
  // writes (recordings carry it), and from which revision.
  app.set_version_flag("-V,--version",
                       fmt::format("rcuwatch {} (event ABI {}, git {})", RCUWATCH_VERSION,
                                   RW_ABI_VERSION, RCUWATCH_GIT_REVISION),
                       "Print the version, the event ABI version and the git revision, and exit");
  app.add_flag("-v,--verbose", c.verbose, "Debug logging (libbpf's log included)");

  auto* stat_cmd =
      app.add_subcommand("stat", "One line (or JSON object) per interval, like vmstat");
  stat_cmd->add_option("-i,--interval", c.stat.interval_seconds, "Seconds between lines")
      ->check(finite_number(0.01, 3600));
  stat_cmd->add_option("-n,--count", c.stat.count, "Number of lines, then exit")
      ->check(CLI::PositiveNumber);
  stat_cmd->add_flag("--json", c.stat.json, "One JSON object per interval");
  stat_cmd->add_flag("--final", c.stat.final_only, "Print only the last interval");
  add_source_flags(stat_cmd, c.stat.source, true);
  add_connect_flags(stat_cmd, c.stat.source);
  stat_cmd->add_option("--record", c.stat.source.record_file, "Also record to FILE");
  add_detector_flags(stat_cmd, c.stat.detectors);

  // replay and record fill c.stat too: one of the three runs.
  auto* replay_cmd = app.add_subcommand("replay", "Play a recording through the aggregator");
  replay_cmd->add_option("file", c.stat.source.replay_file, "Recording made by 'rcuwatch record'")
      ->required()
      ->check(CLI::ExistingFile);
  replay_cmd->add_flag("--json", c.stat.json, "One JSON object per interval");
  replay_cmd->add_flag("--final", c.stat.final_only, "Print only the last interval");
  replay_cmd->add_option("-n,--count", c.stat.count, "Stop after this many intervals")
      ->check(CLI::PositiveNumber);
  add_source_flags(replay_cmd, c.stat.source, false);
  add_detector_flags(replay_cmd, c.stat.detectors);

  auto* record_cmd = app.add_subcommand("record", "Record the live kernel to a file for replay");
  record_cmd->add_option("-o,--output", c.stat.source.record_file, "Recording to write")
      ->required();
  record_cmd->add_option("-i,--interval", c.stat.interval_seconds, "Seconds between samples")
      ->check(finite_number(0.01, 3600));
  record_cmd->add_option("-n,--count", c.stat.count, "Samples to record (default: until SIGINT)")
      ->check(CLI::PositiveNumber);
  bool record_stat = false;
  record_cmd->add_flag("--stat", record_stat, "Also print stat lines while recording");
  add_source_flags(record_cmd, c.stat.source, false);

  auto* top_cmd = app.add_subcommand("top", "Live top-style view");
  tui::TopOptions& top = c.top;
  top_cmd->add_option("-d,--delay", top.delay_seconds, "Seconds between refreshes")
      ->check(finite_number(0.1, 3600));
  top_cmd->add_option("-n,--iterations", top.iterations, "Refreshes, then exit")
      ->check(CLI::PositiveNumber);
  top_cmd->add_flag("-b,--batch", top.batch, "Plain text frames on stdout, no curses");
  top_cmd->add_option("--table", top.table, "Table shown first")
      ->check(CLI::IsMember({"cpu", "seq", "instance", "callsite"}));
  top_cmd->add_option("--sort", top.sort, "Sort by this column (its title)");
  top_cmd->add_flag("--reverse", top.reverse, "Reverse the sort order");
  top_cmd->add_option("--filter", top.filter, "Show only rows containing TEXT");
  top_cmd->add_flag("--no-color", top.no_color, "No colour (NO_COLOR does the same)");
  top_cmd
      ->add_option("--warn-bytes", top.warn_bytes, "Pending bytes shown as a warning (e.g. 16MiB)")
      ->transform(CLI::AsSizeValue(false));
  top_cmd->add_option("--crit-bytes", top.crit_bytes, "Pending bytes shown as critical")
      ->transform(CLI::AsSizeValue(false));
  top_cmd->add_option("--warn-age", top.warn_age_seconds, "Pending age (s) shown as a warning")
      ->check(finite_number(0));
  top_cmd->add_option("--crit-age", top.crit_age_seconds, "Pending age (s) shown as critical")
      ->check(finite_number(0));
  add_source_flags(top_cmd, top.source, true);
  add_connect_flags(top_cmd, top.source);
  add_detector_flags(top_cmd, top.detectors);

  auto* exporter_cmd = app.add_subcommand("exporter", "Serve Prometheus metrics over HTTP");
  ExporterOptions& exporter = c.exporter;
  exporter_cmd->add_option("--listen", exporter.listen, "ADDRESS:PORT to serve /metrics on")
      ->capture_default_str()
      ->check([](const std::string& s) {
        return parse_listen_address(s)
                   ? std::string()
                   : "'" + s + "' is not ADDRESS:PORT (e.g. 127.0.0.1:9640, [::1]:9640, :9640)";
      });
  exporter_cmd->add_option("-i,--interval", exporter.interval_seconds, "Seconds between snapshots")
      ->check(finite_number(0.01, 3600));
  exporter_cmd
      ->add_option("--max-seq-series", exporter.max_seq_series,
                   "Per-seq series for at most this many seqs, the oldest")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  exporter_cmd
      ->add_option("--per-cpu", exporter.per_cpu,
                   "Series per CPU; false folds them into a few (a bound on series: "
                   "docs/exporter.md)")
      ->capture_default_str();
  exporter_cmd
      ->add_option("--web.config.file", exporter.web_config_file,
                   "TLS and basic auth, in the Prometheus exporter-toolkit format "
                   "(docs/exporter.md)")
      ->check(CLI::ExistingFile);
  add_source_flags(exporter_cmd, exporter.source, true);
  add_detector_flags(exporter_cmd, exporter.detectors);

  auto* report_cmd =
      app.add_subcommand("report",
                         "One-page diagnostic report of a recording, for bug reports; exit status "
                         "3 when a detector fired, 0 when none did");
  ReportCommandOptions& report = c.report;
  report_cmd->add_option("file", report.source.replay_file, "Recording made by 'rcuwatch record'")
      ->check(CLI::ExistingFile);
  report_cmd->add_flag("--live", report.live,
                       "Watch the live kernel for --duration instead of FILE");
  report_cmd->add_option("--duration", report.duration_seconds, "--live: seconds to watch")
      ->capture_default_str()
      ->check(finite_number(0.01, 86400));
  report_cmd
      ->add_option("-i,--interval", report.interval_seconds, "--live: seconds between samples")
      ->check(finite_number(0.01, 3600));
  report_cmd->add_option("--record", report.source.record_file, "--live: also record to FILE");
  report_cmd->add_flag("--json", report.json,
                       "The report as one JSON object; exit status 3 when a detector fired");
  add_source_flags(report_cmd, report.source, false);
  add_detector_flags(report_cmd, report.detectors);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "rcuwatch: error: " << e.what() << " (see 'rcuwatch --help')\n";
    return kExitUsage;
  }

  try {
    connect_password(c.stat.source);
    connect_password(c.top.source);
  } catch (const Error& e) {
    err << "rcuwatch: error: " << e.what() << "\n";
    return e.exit_code();
  }

  if (*stat_cmd) {
    c.command = Command::Stat;
    c.stat.source.on_record_failure = RecordingFailure::KeepGoing;  // the lines go on
  }
  if (*replay_cmd) c.command = Command::Replay;
  if (*record_cmd) {
    c.command = Command::Record;
    c.stat.quiet = !record_stat;
  }
  if (*top_cmd) c.command = Command::Top;
  if (*exporter_cmd) c.command = Command::Exporter;
  if (*report_cmd) c.command = Command::Report;
  return c;
}

}  // namespace rcuwatch::cli
