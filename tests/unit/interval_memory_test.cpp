#include "interval_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rcuwatch {
namespace {

// /proc/buddyinfo of a 6.18 guest, and a second node.
constexpr const char* kBuddyinfo =
    R"(Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3
Node 0, zone    DMA32      4      1      2      2      2      2      1      4      4      2    752
Node 0, zone   Normal     93     68    224    678    648    400    263    193     95     41     52
Node 1, zone   Normal      1      1      1      1      1      1      1      1      1      7      0
)";

TEST(IntervalMemory, CountsFreeBlocksOfAnOrderAndAbove) {
  // Order 9: each order-10 block is two of them.
  EXPECT_EQ(free_blocks_of_order(kBuddyinfo, 9), (1 + 2 + 41 + 7) + 2 * (3 + 752 + 52 + 0));
  EXPECT_EQ(free_blocks_of_order(kBuddyinfo, 10), size_t(3 + 752 + 52));
  EXPECT_EQ(free_blocks_of_order(kBuddyinfo, 11), 0u);
  // Order 0 counts every free page: the first two lines.
  size_t pages = 0;
  const unsigned dma[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3},
                 dma32[] = {4, 1, 2, 2, 2, 2, 1, 4, 4, 2, 752};
  for (unsigned o = 0; o < 11; o++) pages += size_t(dma[o] + dma32[o]) << o;
  const std::string_view text(kBuddyinfo);
  const std::string_view two_lines = text.substr(0, text.find('\n', text.find('\n') + 1) + 1);
  EXPECT_EQ(free_blocks_of_order(two_lines, 0), pages);
}

TEST(IntervalMemory, TextItCannotReadCountsNothing) {
  EXPECT_EQ(free_blocks_of_order("", 9), 0u);
  EXPECT_EQ(free_blocks_of_order("no zones here\n", 9), 0u);
  EXPECT_EQ(free_blocks_of_order("Node 0, zone Normal\n", 0), 0u);
  // A line cut short counts what it has.
  EXPECT_EQ(free_blocks_of_order("Node 0, zone Normal 1 2 x 8\n", 1), 2u);
}

TEST(IntervalMemory, SparesTwiceTheNeedAndSixtyFourMegabytes) {
  EXPECT_TRUE(huge_pages_to_spare(10, 52));
  EXPECT_FALSE(huge_pages_to_spare(10, 51));
  EXPECT_FALSE(huge_pages_to_spare(1, 33));
  EXPECT_TRUE(huge_pages_to_spare(0, 32));
}

// Resident bytes of [begin, end), page by page (mincore: exact whatever
// mapping the kernel merged the range into), and its bytes in huge pages
// (/proc/self/smaps of the mappings wholly inside it: an advised range is
// a mapping of its own).
struct Resident {
  size_t rss = 0, huge = 0;
};
Resident resident_in(uintptr_t begin, uintptr_t end) {
  Resident r;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core((end - begin + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, in_core.data()) == 0)
    for (const unsigned char c : in_core) r.rss += (c & 1) ? page : 0;
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = lo >= begin && hi <= end;
      continue;
    }
    size_t kb = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %zu kB", &kb) == 1) r.huge += kb * 1024;
  }
  return r;
}

// The real thing: a buffer advised, then written, gets huge pages, and not
// a byte beyond what was advised and written is resident.
TEST(IntervalMemory, AdvisedBufferGetsHugePagesAndNothingMore) {
  constexpr size_t kMapped = 32u << 20, kUsed = 12u << 20;
  void* p = mmap(nullptr, kMapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  char* data = static_cast<char*>(p) + 4096 * 3;  // not aligned, as malloc's chunks
  const size_t advised = advise_huge_pages(data, kUsed);
  if (!advised) {
    munmap(p, kMapped);
    GTEST_SKIP() << "no huge pages advised here (THP not in madvise mode, or no 2 MiB blocks "
                    "to spare in /proc/buddyinfo)";
  }
  // Only whole 2 MiB blocks inside the range: 12 MiB from an unaligned
  // start holds 5 of them, or 6 when it happens to start on one.
  EXPECT_GE(advised, size_t(10u << 20));
  EXPECT_LE(advised, kUsed);
  EXPECT_EQ(advised % (2u << 20), 0u);
  std::memset(data, 1, kUsed);
  const Resident r = resident_in(uintptr_t(p), uintptr_t(p) + kMapped);
  std::cout << "advised " << (advised >> 20) << " MiB: resident " << r.rss / 1024
            << " KiB, in huge pages " << r.huge / 1024 << " KiB\n";
  // The kernel may still hand out small pages (a huge page it could not
  // find): what it must not do is make anything beyond the buffer resident.
  EXPECT_LE(r.rss, kUsed + 2 * 4096);
  EXPECT_GE(r.rss, kUsed);
  EXPECT_LE(r.huge, advised);
  EXPECT_GT(r.huge, 0u) << "advised, written, and still no huge page";
  munmap(p, kMapped);
}

// As the exporter runs: a fresh buffer is faulted in whole before it is
// written, and nothing around it.
TEST(IntervalMemory, PreparedBufferIsResidentBeforeItIsWritten) {
  constexpr size_t kMapped = 8u << 20, kUsed = 3u << 20;
  void* p = mmap(nullptr, kMapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  char* data = static_cast<char*>(p) + 4096 + 100;
  const uintptr_t lo = uintptr_t(p), hi = lo + kMapped;
  return_big_buffers_when_freed();
  prepare_for_filling(data, kUsed);
  const Resident r = resident_in(lo, hi);
  munmap(p, kMapped);
  if (r.rss == 0) GTEST_SKIP() << "MADV_POPULATE_WRITE not supported by this kernel (before 5.14)";
  // The whole pages inside the range: its first and last partial pages
  // are left to be faulted when written.
  EXPECT_GE(r.rss, kUsed - 2 * 4096);
  EXPECT_LE(r.rss, kUsed);
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// One interval's big buffers at 262144 entries (the sample, the rows'
// inputs, the rows), live together, each written whole, then freed.
void one_interval() {
  std::vector<std::unique_ptr<char[]>> buffers;
  for (const size_t mb : {13, 9, 15}) {
    const size_t bytes = mb << 20;
    buffers.emplace_back(new char[bytes]);
    std::memset(buffers.back().get(), int(mb), bytes);
    asm volatile("" : : "r"(buffers.back().get()) : "memory");  // written, for the compiler too
  }
}

// As top and stat run: after the first intervals, the next one finds its
// buffers in memory already faulted in. With glibc's default the heap's
// top (the three freed buffers, 37 MB) is beyond its trim threshold (twice
// the largest block freed) and goes back to the kernel after every
// interval, to be faulted in again: ~9 500 faults an interval.
TEST(IntervalMemory, KeptBuffersAreNotFaultedInAgain) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "SKIPPED: ASan's allocator replaces glibc's malloc and ignores mallopt";
#endif
  keep_big_buffers_between_intervals();
  for (int i = 0; i < 3; i++) one_interval();
  const long before = minor_faults();
  one_interval();
  const long faults = minor_faults() - before;
  std::cout << "page faults in an interval after three: " << faults << "\n";
  EXPECT_LT(faults, 100);
}

TEST(IntervalMemory, SmallBuffersAreLeftAlone) {
  // Under 2 MiB, or 2 MiB not on a block's boundary: no whole block in it.
  static char small[(2u << 20) - 4096];
  EXPECT_EQ(advise_huge_pages(small, sizeof(small)), 0u);
  alignas(4096) static char unaligned[(2u << 20) + 4096];
  char* off = reinterpret_cast<uintptr_t>(unaligned) % (2u << 20) ? unaligned : unaligned + 4096;
  EXPECT_EQ(advise_huge_pages(off, 2u << 20), 0u);
  EXPECT_EQ(advise_huge_pages(nullptr, 0), 0u);
}

}  // namespace
}  // namespace rcuwatch
