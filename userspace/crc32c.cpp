#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace rcuwatch {

namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // CRC-32C, reflected

// Slicing-by-8 tables: kTable[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<uint32_t, 256>, 8>;
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int i = 0; i < 8; i++) c = c & 1 ? (c >> 1) ^ kPoly : c >> 1;
    t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; b++)
    for (size_t k = 1; k < 8; k++) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}
constexpr Tables kTables = make_tables();

uint64_t load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only, like the recording format
  return v;
}

#if defined(__x86_64__)

// Appending n zero bytes to a message is a linear map of its CRC over GF(2):
// a 32x32 bit matrix, one uint32_t per column. Squaring the map for one zero
// bit gives those for 2, 4, 8... zero bits.
using Matrix = std::array<uint32_t, 32>;

uint32_t times(const Matrix& m, uint32_t v) {
  uint32_t sum = 0;
  for (size_t i = 0; v; i++, v >>= 1)
    if (v & 1) sum ^= m[i];
  return sum;
}

Matrix square(const Matrix& m) {
  Matrix sq{};
  for (size_t i = 0; i < 32; i++) sq[i] = times(m, m[i]);
  return sq;
}

// The map for `bytes` zero bytes (a power of two), as four byte-indexed
// tables so that applying it costs four lookups.
struct ZerosTable {
  std::array<std::array<uint32_t, 256>, 4> t{};
  explicit ZerosTable(size_t bytes) {
    Matrix m{};
    m[0] = kPoly;  // one zero bit
    for (size_t i = 1; i < 32; i++) m[i] = uint32_t(1) << (i - 1);
    for (size_t bits = 1; bits < bytes * 8; bits *= 2) m = square(m);
    for (uint32_t b = 0; b < 256; b++)
      for (size_t k = 0; k < 4; k++) t[k][b] = times(m, b << (8 * k));
  }
  uint32_t shift(uint32_t crc) const {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
  }
};

constexpr size_t kLong = 8192;  // bytes per stream in the long blocks
constexpr size_t kShort = 256;  // and in the short ones

// Three streams over three consecutive blocks of `block` bytes, then the
// first two shifted past the blocks after them and combined.
__attribute__((target("sse4.2"))) const unsigned char* three_streams(uint64_t& crc,
                                                                     const unsigned char* p,
                                                                     size_t block,
                                                                     const ZerosTable& zeros) {
  uint64_t c0 = crc, c1 = 0, c2 = 0;
  for (const unsigned char* end = p + block; p < end; p += 8) {
    c0 = _mm_crc32_u64(c0, load64(p));
    c1 = _mm_crc32_u64(c1, load64(p + block));
    c2 = _mm_crc32_u64(c2, load64(p + 2 * block));
  }
  c0 = zeros.shift(uint32_t(c0)) ^ c1;
  crc = zeros.shift(uint32_t(c0)) ^ c2;
  return p + 2 * block;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const void* data, size_t n) {
  static const ZerosTable long_zeros(kLong), short_zeros(kShort);
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  for (; n >= 3 * kLong; n -= 3 * kLong) p = three_streams(c, p, kLong, long_zeros);
  for (; n >= 3 * kShort; n -= 3 * kShort) p = three_streams(c, p, kShort, short_zeros);
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load64(p));
  for (; n; n--, p++) c = _mm_crc32_u8(uint32_t(c), *p);
  return ~uint32_t(c);
}

#endif

}  // namespace

uint32_t crc32c_software(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    const uint64_t v = load64(p) ^ c;
    c = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
        kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^ kTables[2][(v >> 40) & 0xff] ^
        kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
  }
  for (; n; n--, p++) c = (c >> 8) ^ kTables[0][(c ^ *p) & 0xff];
  return ~c;
}

bool crc32c_hardware() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
#else
  return false;
#endif
}

uint32_t crc32c(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (crc32c_hardware()) return crc32c_sse42(crc, data, n);
#endif
  return crc32c_software(crc, data, n);
}

}  // namespace rcuwatch
