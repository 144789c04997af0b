#include "crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace rcuwatch {
namespace {

// RFC 3720 (iSCSI) B.4 and the common check value.
TEST(Crc32c, KnownValues) {
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_software(0, "123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xff');
  EXPECT_EQ(crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(0, ones.data(), ones.size()), 0x62A8AB43u);
  std::string up;
  for (int i = 0; i < 32; i++) up += char(i);
  EXPECT_EQ(crc32c(0, up.data(), up.size()), 0x46DD794Eu);
  EXPECT_EQ(crc32c(0, "", 0), 0u);
}

// The hardware path (three streams over long and short blocks, combined)
// against the plain table at every length around the block boundaries, at
// unaligned starts, and continued from a previous CRC.
TEST(Crc32c, HardwareMatchesSoftwareAtEveryBoundary) {
  if (!crc32c_hardware()) GTEST_SKIP() << "no SSE4.2 crc32 instruction";
  std::mt19937_64 rng(42);
  std::string bytes(4 * 3 * 8192, '\0');
  for (char& c : bytes) c = char(rng());
  for (size_t n : {0, 1, 7, 8, 9, 255, 256, 767, 768, 769, 3 * 256 + 7, 8191, 24575, 24576, 24577,
                   24576 + 768 + 5, 2 * 24576 + 1, 3 * 24576 + 63})
    for (size_t start : {0, 1, 3, 7})
      for (uint32_t seed : {0u, 0xDEADBEEFu})
        ASSERT_EQ(crc32c(seed, bytes.data() + start, n),
                  crc32c_software(seed, bytes.data() + start, n))
            << "n " << n << " start " << start << " seed " << seed;
  // Chained: the CRC of a+b is the CRC of b continued from that of a.
  const uint32_t a = crc32c(0, bytes.data(), 10000);
  EXPECT_EQ(crc32c(a, bytes.data() + 10000, 30000), crc32c(0, bytes.data(), 40000));
}

}  // namespace
}  // namespace rcuwatch
