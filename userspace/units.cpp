#include "units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace rcuwatch {

namespace {

// Three significant digits at most, so columns keep their width.
std::string three_digits(double value) {
  if (value < 9.995) return fmt::format("{:.2f}", value);
  if (value < 99.95) return fmt::format("{:.1f}", value);
  return fmt::format("{:.0f}", value);
}

std::string magnitude_bytes(double bytes) {
  static constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  size_t unit = 0;
  // Round first so 1023.99 KiB is shown as 1.00 MiB, not "1024 KiB".
  while (unit + 1 < kUnits.size() && bytes >= 1023.5) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{} {}", three_digits(bytes), kUnits[unit]);
}

}  // namespace

std::string format_bytes(int64_t bytes) {
  const double magnitude = std::abs(static_cast<double>(bytes));
  // fmt rather than `const char* + std::string`: GCC 12 at -O3 reports a
  // false -Wrestrict inside that operator+ (GCC bug 105329).
  return fmt::format("{}{}", bytes < 0 ? "-" : "", magnitude_bytes(magnitude));
}

std::string format_bytes_rate(double bytes_per_sec) {
  const double rounded = std::round(bytes_per_sec);
  if (rounded == 0) return "0 B/s";
  return fmt::format("{}{}/s", rounded < 0 ? "-" : "+", magnitude_bytes(std::abs(rounded)));
}

std::string format_bytes_per_sec(double bytes_per_sec) {
  return fmt::format("{}/s", magnitude_bytes(std::max(std::round(bytes_per_sec), 0.0)));
}

std::string format_count(double count) {
  const char* sign = count < 0 ? "-" : "";
  count = std::abs(count);
  if (count < 999.5) return fmt::format("{}{:.0f}", sign, count);
  static constexpr std::array<const char*, 4> kUnits = {"k", "M", "G", "T"};
  size_t unit = 0;
  count /= 1000;
  while (unit + 1 < kUnits.size() && count >= 999.5) {
    count /= 1000;
    ++unit;
  }
  return fmt::format("{}{:.1f}{}", sign, count, kUnits[unit]);
}

std::string format_duration_ns(uint64_t ns) {
  if (ns == 0) return "-";
  constexpr uint64_t kUs = 1000, kMs = 1000 * kUs, kSec = 1000 * kMs;
  if (ns < kMs) return fmt::format("{}us", ns / kUs);
  if (ns < kSec) {
    const double ms = static_cast<double>(ns) / kMs;
    return ms < 99.95 ? fmt::format("{:.1f}ms", ms) : fmt::format("{:.0f}ms", ms);
  }
  if (ns < 60 * kSec) {
    const double s = static_cast<double>(ns) / kSec;
    return s < 9.995 ? fmt::format("{:.2f}s", s) : fmt::format("{:.1f}s", s);
  }
  const uint64_t seconds = ns / kSec;
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h{:02}m", seconds / 3600, seconds / 60 % 60);
}

std::string format_seconds(double seconds) { return fmt::format("{:g}s", seconds); }

std::string format_percent(double fraction) {
  if (fraction < 0) return "";
  return fmt::format("{:.0f}%", std::min(fraction, 1.0) * 100);
}

}  // namespace rcuwatch
