// The interactive loop: take snapshots from the feed, draw the frame, answer
// keys. Everything it shows is composed by pure functions (layout.cpp).
#include "top.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iostream>

#include "batch.hpp"
#include "error.hpp"
#include "header.hpp"
#include "history.hpp"
#include "layout.hpp"
#include "log_capture.hpp"
#include "options.hpp"
#include "screen.hpp"
#include "snapshot_feed.hpp"
#include "units.hpp"

namespace rcuwatch::tui {

namespace {

// How long a key wait lasts: the latency of a new snapshot reaching the
// screen, and of a signal ending the loop.
constexpr std::chrono::milliseconds kKeyTimeout{100};

int run_interactive(std::unique_ptr<Source> source, const TopOptions& options, ViewState view,
                    const Thresholds& thresholds, const StopFlag& stop) {
  // Destroyed in reverse: the feed's thread stops, the terminal is given
  // back, then captured log lines reach stderr.
  LogCapture log;
  Screen screen(color_wanted(options.no_color));
  SnapshotFeed feed(std::move(source), options.iterations,
                    interval_from_seconds(view.delay_seconds), options.detectors);
  PendingHistory history;
  std::shared_ptr<const Snapshot> shown;
  uint64_t first_time_ns = 0;
  std::string drawn_clock;
  std::string problem;  // the source's, as last drawn
  bool dirty = true;
  size_t page_rows = 0;
  // A replay (or a remote exporter) sets its own pace; -d paces live sampling.
  const bool remote = !options.source.remote.url.empty();
  const bool replay = !options.source.replay_file.empty() || remote;

  while (!view.quit) {
    if (stop.requested()) {
      spdlog::debug("rcuwatch top: signal {}, leaving", stop_signal());
      break;
    }
    // Read finished before taking, so the last snapshot is never missed.
    const bool finished = feed.finished();
    if (!view.paused) {
      SnapshotFeed::Update update = feed.take();
      for (const HistoryPoint& point : update.history) {
        if (history.points().empty() && !shown) first_time_ns = point.time_ns;
        history.add(point);
      }
      if (update.latest) {
        shown = std::move(update.latest);
        dirty = true;
      }
    }
    if (std::string now = feed.source_problem(); now != problem) {
      problem = std::move(now);
      dirty = true;
    }
    if (std::string line = log.take_new_line(); !line.empty()) {
      view.message = std::move(line);
      dirty = true;
    }
    const std::string clock = shown ? clock_label(*shown, first_time_ns, std::time(nullptr))
                                    : clock_label(Snapshot{}, 0, std::time(nullptr));
    if (dirty || clock != drawn_clock) {
      ScreenInput input{shown.get(), &history,      &view,
                        &thresholds, clock,         finished && !view.paused,
                        problem,     screen.utf8(), remote};
      ScreenFrame frame = compose_screen(input, screen.size());
      view.first_row = frame.first_row;
      page_rows = frame.page_rows;
      screen.draw(frame.frame);
      drawn_clock = clock;
      dirty = false;
    }
    // -n: like top, leave after the last iteration was shown.
    if (finished && options.iterations > 0 && !view.paused) break;

    std::optional<Key> key = screen.read_key(kKeyTimeout);
    if (!key) continue;
    const ViewState before = view;
    handle_key(view, *key, page_rows);
    if (view.delay_seconds != before.delay_seconds) {
      feed.set_interval(interval_from_seconds(view.delay_seconds));
      if (replay)
        view.message =
            "Interval " + format_seconds(view.delay_seconds) +
            (remote ? " applies to live sampling; the remote exporter keeps its own"
                    : " applies to live sampling; a replay keeps the recorded intervals");
    }
    if (view.paused != before.paused) feed.set_paused(view.paused);
    dirty = true;
  }
  return kExitOk;
}

}  // namespace

int run_top(const TopOptions& options, const StopFlag& stop) {
  // Bad options and an unopenable source are reported before the terminal
  // is taken, as plain one-line errors.
  const Thresholds thresholds = thresholds_from(options);
  const ViewState view = view_state_from(options);
  std::unique_ptr<Source> source = open_source(options.source);
  if (options.batch) {
    SnapshotStream stream(std::move(source), interval_from_seconds(view.delay_seconds), stop,
                          options.iterations, options.detectors, SeqCpuRows::Drop);
    return run_batch(stream, view, thresholds, !options.source.remote.url.empty(), std::cout);
  }
  return run_interactive(std::move(source), options, view, thresholds, stop);
}

}  // namespace rcuwatch::tui
