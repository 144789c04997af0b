// A recording played again and again, each pass shifted later in time than
// the one before, until a simulated duration has passed: an hour of a live
// loop out of a recording of a few seconds. The memory benchmark serves it
// through `rcuwatch exporter`'s own loop (run_exporter with a source).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "replay_source.hpp"

namespace rcuwatch::bench {

class LoopingReplay : public Source {
 public:
  // on_tick(simulated ns since the first tick) is called before each tick
  // is handed out, so the caller can look at the process between intervals.
  LoopingReplay(std::string path, uint64_t simulated_ns,
                std::function<void(uint64_t elapsed_ns)> on_tick);

  const SourceInfo& info() const override { return info_; }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return replay_->names(); }
  double progress() const override;

  // Whether the simulated duration has passed (next() returned nullopt).
  bool ended() const { return ended_; }
  uint64_t passes() const { return passes_; }
  uint64_t ticks() const { return ticks_; }

 private:
  std::string path_;
  uint64_t simulated_ns_;
  std::function<void(uint64_t)> on_tick_;
  std::unique_ptr<ReplaySource> replay_;
  SourceInfo info_;
  uint64_t first_ns_ = 0;    // the first tick's time, first pass
  uint64_t last_ns_ = 0;     // the last tick's time as recorded, this pass
  uint64_t step_ns_ = 0;     // between the recording's first two ticks
  uint64_t offset_ns_ = 0;   // added to every timestamp of this pass
  uint64_t elapsed_ns_ = 0;  // of the last tick handed out
  uint64_t passes_ = 1;
  uint64_t ticks_ = 0;
  std::atomic<bool> ended_{false};  // read by the thread that ends the run
};

}  // namespace rcuwatch::bench
