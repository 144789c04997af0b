// A source of Ticks: the live kernel (live_source), a recording
// (replay_source). Views and the aggregator do not know which.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "sample.hpp"

namespace rcuwatch {

struct SourceInfo {
  std::string description;  // "live 6.12.117" or "replay FILE"
  std::string kernel_release;
  uint32_t nr_cpus = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const SourceInfo& info() const = 0;
  // The next tick, `interval` after the previous one (a replay source at
  // full speed returns at once). std::nullopt at the end of a recording.
  virtual std::optional<Tick> next(std::chrono::milliseconds interval) = 0;
  // Names of kernel addresses known so far (grows as instances appear).
  virtual const SymbolNames& names() const = 0;
  // Replay: fraction of the input consumed, -1 for live sources.
  virtual double progress() const { return -1; }
};

}  // namespace rcuwatch
