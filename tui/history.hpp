// The recent trend of total pending bytes, for the sparkline under the
// header: a bounded ring, so hours of `top` hold constant memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace rcuwatch::tui {

struct HistoryPoint {
  uint64_t time_ns = 0;  // Snapshot::time_ns
  int64_t pending_bytes = 0;
};

class PendingHistory {
 public:
  // 600 points: ten minutes at the default one-second interval.
  explicit PendingHistory(size_t capacity = 600) : capacity_(capacity) {}

  // A point older than the newest starts the history afresh.
  void add(HistoryPoint point);
  const std::deque<HistoryPoint>& points() const { return points_; }
  size_t capacity() const { return capacity_; }

  // The newest `count` points' pending bytes, oldest first.
  std::vector<int64_t> latest_bytes(size_t count) const;
  // Time covered by the newest `count` points.
  uint64_t span_ns(size_t count) const;

 private:
  size_t capacity_;
  std::deque<HistoryPoint> points_;
};

// One character per value, scaled from 0 to the largest value: block
// elements (U+2581..U+2588) in a UTF-8 terminal, else ASCII ramp " ._-=+*#".
// Zero maps to the lowest glyph so an empty stretch still shows.
std::string sparkline(std::span<const int64_t> values, bool utf8);

}  // namespace rcuwatch::tui
