// The last ticks a source produced, kept as a recording in memory, for
// viewers on other machines (`rcuwatch top --connect`, remote_source.hpp):
// the exporter serves them on /api/v1/recording. A viewer runs them through
// its own Aggregator, as a replay would, so what it shows is what a local
// command on the same ticks shows. Bounded in ticks and bytes; call-site
// stacks are all kept (a stack never changes; the BPF stack map bounds them)
// and sent with every slice.
//
// Most exporters are only scraped and never watched: while no viewer has
// asked lately, the log keeps at most `idle_bytes` of ticks (none of a
// 1024-CPU machine's 12 MB ticks) and does not even encode a tick that
// cannot fit. A viewer's first request makes it keep everything again from
// the next tick on: a viewer that comes to an idle log of big ticks gets its
// first tick one interval later, and every tick after that.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "recording.hpp"
#include "source.hpp"

namespace rcuwatch {

class TickLog {
 public:
  struct Limits {
    // While a viewer follows:
    size_t max_ticks = 120;
    size_t max_bytes = size_t{16} << 20;  // the newest tick is kept whatever its size
    // While none does (none ever asked, or the last request is older than
    // both idle_ticks ticks and idle_time): at most idle_bytes (and
    // max_bytes), the newest tick not excepted. 4 MiB holds a tick of ~80k pending entries.
    size_t idle_bytes = size_t{4} << 20;
    uint64_t idle_ticks = 5;
    std::chrono::steady_clock::duration idle_time = std::chrono::seconds(10);
  };
  TickLog(RecordingHeader header, Limits limits);

  // Thread-safe, like everything here: the source's thread appends, HTTP
  // threads read.
  // `last`: the source says no tick follows (a replay at the end of its
  // file): kept as while a viewer follows, for viewers that come later.
  void append(const SymbolNames& new_names, const CallStacks& new_stacks, const Tick& tick,
              bool last = false);
  void mark_ended();

  struct Slice {
    std::string recording;  // header, then the NAMES and TICK records
    uint64_t first = 0;     // tick numbers in it (from 1); 0 when it has none
    uint64_t last = 0;
    uint64_t newest = 0;  // the newest tick appended so far
    bool ended = false;   // the source ended: no tick will follow `newest`
  };
  // The ticks after tick number `after` that are still kept, as a whole
  // recording: its header names what was known before its first tick.
  // Every call-site stack known follows the header (a STACKS record).
  // A request: a viewer follows from now on (see Limits).
  Slice after(uint64_t after) const;

  // Random, chosen at construction: a viewer that sees it change knows the
  // exporter restarted and its tick numbers with it.
  const std::string& stream_id() const { return stream_id_; }

 private:
  struct Entry {
    uint64_t number;
    SymbolNames new_names;  // named with this tick
    std::string records;    // NAMES (when there are new names), then TICK
  };
  bool followed() const;  // a viewer asked lately; under mutex_
  size_t idle_bytes() const { return std::min(limits_.idle_bytes, limits_.max_bytes); }
  // The oldest entries go until the log is within `bytes` and max_ticks
  // (all of them may go); what they named stays known to the header.
  void drop_oldest(size_t bytes, size_t keep_at_least);
  const Limits limits_;
  const std::string stream_id_;
  mutable std::mutex mutex_;
  RecordingHeader header_;  // names: what was known before entries_.front()
  CallStacks stacks_;       // every stack appended
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
  uint64_t newest_ = 0;
  bool ended_ = false;
  // The last request: when, and the newest tick then. Requests are reads,
  // hence mutable.
  mutable bool asked_ = false;
  mutable uint64_t asked_at_tick_ = 0;
  mutable std::chrono::steady_clock::time_point asked_at_;
};

// Passes a source's ticks through, appending each (and the names that came
// with it) to a TickLog.
class TickLogTee : public Source {
 public:
  TickLogTee(std::unique_ptr<Source> inner, TickLog::Limits limits);
  const SourceInfo& info() const override { return inner_->info(); }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return inner_->names(); }
  const CallStacks& stacks() const override { return inner_->stacks(); }
  double progress() const override { return inner_->progress(); }
  std::shared_ptr<const TickLog> log() const { return log_; }

 private:
  std::unique_ptr<Source> inner_;
  std::shared_ptr<TickLog> log_;
  SymbolNames logged_;               // names already in the log
  std::set<int32_t> stacks_logged_;  // ids of the stacks in the log
};

}  // namespace rcuwatch
