#include "options.hpp"

#include <fmt/format.h>

#include <cmath>

#include "error.hpp"

namespace rcuwatch::tui {

namespace {

uint64_t seconds_to_ns(double seconds, const char* flag) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9)
    throw Error(fmt::format("{} must be a number of seconds, got {}", flag, seconds), kExitUsage);
  return static_cast<uint64_t>(std::llround(seconds * 1e9));
}

}  // namespace

Thresholds thresholds_from(const TopOptions& options) {
  Thresholds t;
  t.warn_bytes = options.warn_bytes;
  t.crit_bytes = options.crit_bytes;
  t.warn_age_ns = seconds_to_ns(options.warn_age_seconds, "--warn-age");
  t.crit_age_ns = seconds_to_ns(options.crit_age_seconds, "--crit-age");
  if (t.warn_bytes < 0 || t.crit_bytes < t.warn_bytes)
    throw Error("--warn-bytes and --crit-bytes must satisfy 0 <= warn <= crit", kExitUsage);
  if (t.crit_age_ns < t.warn_age_ns)
    throw Error("--warn-age must not exceed --crit-age", kExitUsage);
  return t;
}

ViewState view_state_from(const TopOptions& options) {
  if (!std::isfinite(options.delay_seconds) || options.delay_seconds < kMinDelaySeconds ||
      options.delay_seconds > kMaxDelaySeconds)
    throw Error(fmt::format("-d must be from {} to {} seconds", kMinDelaySeconds, kMaxDelaySeconds),
                kExitUsage);
  if (options.iterations == 0 || options.iterations < -1)
    throw Error("-n must be a positive number of iterations", kExitUsage);
  const auto table = parse_table(options.table);
  if (!table)
    throw Error("--table must be cpu, seq or instance, not \"" + options.table + "\"", kExitUsage);
  std::optional<size_t> sort_column;
  if (!options.sort.empty()) {
    sort_column = find_column(*table, options.sort);
    if (!sort_column) {
      std::string titles;
      for (size_t i = 0; i < column_count(*table); ++i)
        titles += (i ? ", " : "") + std::string(column_title(*table, i));
      throw Error(fmt::format("--sort: the {} table has no column \"{}\" (columns: {})",
                              table_name(*table), options.sort, titles),
                  kExitUsage);
    }
  }
  ViewState view = initial_view_state(*table, sort_column, options.reverse, options.delay_seconds);
  view.filter = options.filter;
  return view;
}

}  // namespace rcuwatch::tui
