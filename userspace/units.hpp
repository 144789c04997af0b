// Human units for every view (top, stat, report): bytes in KiB/MiB/GiB,
// counts, rates, ages. Pure functions, so all views read the same.
#pragma once

#include <cstdint>
#include <string>

namespace rcuwatch {

// "0 B", "512 B", "1.50 KiB", "12.3 MiB", "123 MiB"; negative values keep
// their sign (pending bytes can dip below zero when objects were untracked).
std::string format_bytes(int64_t bytes);

// A change per second with its sign: "+1.20 MiB/s", "-512 B/s", "0 B/s".
std::string format_bytes_rate(double bytes_per_sec);

// A flow, never negative: "42.0 KiB/s", "0 B/s".
std::string format_bytes_per_sec(double bytes_per_sec);

// "999", "1.2k", "12.3M": counts that must stay narrow in a column.
std::string format_count(double count);

// Age or duration: "-" for 0 (none seen), "850us", "12.3ms", "1.23s",
// "42.0s", "2m05s", "1h02m".
std::string format_duration_ns(uint64_t ns);

// The refresh interval as the user typed it: "1s", "0.5s", "2.5s".
std::string format_seconds(double seconds);

// Fraction 0..1 as "45%"; empty for a negative (unknown) fraction.
std::string format_percent(double fraction);

}  // namespace rcuwatch
