#include "interval_memory.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cstdint>
#include <string>

namespace rcuwatch {

namespace {

// A small /proc or /sys file, whole; empty when it cannot be read.
std::string read_small_file(const char* path) {
  std::string text;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (;;) {
    const ssize_t got = read(fd, buf, sizeof(buf));
    if (got <= 0) break;
    text.append(buf, size_t(got));
  }
  close(fd);
  return text;
}

// What this kernel offers, read once: the huge page's size when THP is in
// `madvise` mode (0 otherwise: `never` gives none, `always` gives them
// without being asked and without making the kernel compact for them).
struct ThpPolicy {
  size_t huge_page = 0;
  unsigned order = 0;  // of a huge page, in base pages
};

ThpPolicy read_policy() {
  ThpPolicy p;
  const std::string enabled = read_small_file("/sys/kernel/mm/transparent_hugepage/enabled");
  if (enabled.find("[madvise]") == std::string::npos) return p;
  const std::string size = read_small_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
  size_t huge = 0;
  std::from_chars(size.data(), size.data() + size.size(), huge);
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || huge <= size_t(page) || !std::has_single_bit(huge)) return p;
  p.huge_page = huge;
  p.order = unsigned(std::countr_zero(huge) - std::countr_zero(size_t(page)));
  return p;
}

// Set once the big buffers are mapped fresh for each interval: only then
// is preparing them worth its cost. Memory glibc keeps in its heap is
// mostly resident already, and MADV_POPULATE_WRITE still walks every page
// of it (+2 ms an interval at 65536 entries, for nothing).
std::atomic<bool> fresh_big_buffers{false};

}  // namespace

void return_big_buffers_when_freed() {
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  fresh_big_buffers = true;
}

void keep_big_buffers_between_intervals() {
  // Buffers below glibc's largest mmap threshold (32 MiB on 64-bit: every
  // buffer up to ~570 000 entries) come from the heap, and up to 256 MiB of
  // free heap is kept. Setting either also stops glibc adjusting them.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

size_t free_blocks_of_order(std::string_view buddyinfo, unsigned order) {
  // "Node 0, zone   Normal     93     68 ...": after the zone's name, the
  // free blocks of order 0, 1, 2, ...
  size_t blocks = 0;
  while (!buddyinfo.empty()) {
    const size_t eol = buddyinfo.find('\n');
    std::string_view line = buddyinfo.substr(0, eol);
    buddyinfo = eol == std::string_view::npos ? std::string_view{} : buddyinfo.substr(eol + 1);
    const size_t zone = line.find("zone");
    if (zone == std::string_view::npos) continue;
    line.remove_prefix(zone + 4);
    line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
    line.remove_prefix(std::min(line.find(' '), line.size()));  // the zone's name
    for (unsigned o = 0;; o++) {
      line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
      if (line.empty()) break;
      uint64_t count = 0;
      const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), count);
      if (ec != std::errc{}) break;
      line.remove_prefix(size_t(end - line.data()));
      if (o >= order && o - order < 32) blocks += size_t(count) << (o - order);
    }
  }
  return blocks;
}

bool huge_pages_to_spare(size_t blocks, size_t free_blocks) {
  return free_blocks >= 2 * blocks + 32;
}

size_t advise_huge_pages(void* data, size_t bytes) {
  static const ThpPolicy policy = read_policy();
  const size_t huge = policy.huge_page;
  if (!huge || bytes < huge) return 0;
  const uintptr_t start = (uintptr_t(data) + huge - 1) & ~uintptr_t(huge - 1);
  const uintptr_t end = (uintptr_t(data) + bytes) & ~uintptr_t(huge - 1);
  if (end <= start) return 0;
  const size_t blocks = (end - start) / huge;
  if (!huge_pages_to_spare(blocks,
                           free_blocks_of_order(read_small_file("/proc/buddyinfo"), policy.order)))
    return 0;
  if (madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE) != 0) return 0;
  return end - start;
}

size_t prepare_for_filling(void* data, size_t bytes) {
  constexpr size_t kSmall = 64 * 1024;
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14; older kernels say EINVAL
#endif
  if (bytes < kSmall || !fresh_big_buffers.load(std::memory_order_relaxed)) return 0;
  const size_t huge = advise_huge_pages(data, bytes);
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t start = (uintptr_t(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (uintptr_t(data) + bytes) & ~(page - 1);
  // Errors (an old kernel, memory short) leave the pages to be faulted one
  // by one as they are written, as without it.
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
  return huge;
}

}  // namespace rcuwatch
