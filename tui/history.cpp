#include "history.hpp"

#include <algorithm>
#include <array>

namespace rcuwatch::tui {

void PendingHistory::add(HistoryPoint point) {
  if (capacity_ == 0) return;
  // Time going back: the source started over (a restarted remote exporter,
  // SnapshotStream's epoch), so the old points are another stream's.
  if (!points_.empty() && point.time_ns < points_.back().time_ns) points_.clear();
  if (points_.size() == capacity_) points_.pop_front();
  points_.push_back(point);
}

std::vector<int64_t> PendingHistory::latest_bytes(size_t count) const {
  count = std::min(count, points_.size());
  std::vector<int64_t> values;
  values.reserve(count);
  for (auto it = points_.end() - static_cast<std::ptrdiff_t>(count); it != points_.end(); ++it)
    values.push_back(it->pending_bytes);
  return values;
}

uint64_t PendingHistory::span_ns(size_t count) const {
  count = std::min(count, points_.size());
  if (count < 2) return 0;
  return points_.back().time_ns - points_[points_.size() - count].time_ns;
}

std::string sparkline(std::span<const int64_t> values, bool utf8) {
  static constexpr std::array<const char*, 8> kBlocks = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static constexpr std::string_view kAscii = "._-=+*#@";
  int64_t max = 0;
  for (int64_t v : values) max = std::max(max, v);
  std::string line;
  for (int64_t v : values) {
    size_t level = 0;
    if (max > 0 && v > 0) {
      // Ceil so any non-zero value rises above the baseline.
      level = static_cast<size_t>((static_cast<double>(v) * 7 + static_cast<double>(max) - 1) /
                                  static_cast<double>(max));
      level = std::min<size_t>(level, 7);
    }
    if (utf8)
      line += kBlocks[level];
    else
      line += kAscii[level];
  }
  return line;
}

}  // namespace rcuwatch::tui
