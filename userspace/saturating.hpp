// Sums of signed counts from the kernel or a recording: a kernel bug or a
// crafted file can put any int64 there, and signed overflow is undefined
// behaviour. These clamp at the int64 range instead.
#pragma once

#include <cstdint>
#include <limits>

namespace rcuwatch {

inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

inline int64_t saturating_sub(int64_t a, int64_t b) {
  int64_t diff;
  if (!__builtin_sub_overflow(a, b, &diff)) return diff;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// a += b, clamped.
inline void add_to(int64_t& a, int64_t b) { a = saturating_add(a, b); }

}  // namespace rcuwatch
