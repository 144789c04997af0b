// A recording played back through the same aggregator as the live kernel:
// as fast as possible, or paced by the recorded timestamps.
#pragma once

#include <string>

#include "recording.hpp"
#include "source.hpp"

namespace rcuwatch {

class ReplaySource : public Source {
 public:
  // speed: 0 as fast as possible, 1 recorded speed, 2 twice as fast...
  ReplaySource(const std::string& path, double speed);
  const SourceInfo& info() const override { return info_; }
  // Returns the next recorded tick (the recorded interval is kept: the
  // `interval` argument only matters for pacing at speed > 0).
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return names_; }
  const CallStacks& stacks() const override { return stacks_; }
  double progress() const override;

 private:
  RecordingReader reader_;
  double speed_;
  SourceInfo info_;
  SymbolNames names_;
  CallStacks stacks_;
  uint64_t prev_tick_ns_ = 0;
  bool ended_ = false;
  std::chrono::steady_clock::time_point prev_wall_;
};

}  // namespace rcuwatch
