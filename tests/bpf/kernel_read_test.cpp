// What the stock modes read of kernel memory (bpf/kernel_read.bpf.h), run
// on this kernel's own memory: object_bytes() of the task_struct the test
// run executes in, a slab object, against its cache's figures in
// /sys/kernel/slab. Elsewhere only the VM tests reach these reads.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "test_run.hpp"

namespace rcuwatch {
namespace {

// A number from /sys/kernel/slab/<cache>/<file>: its first word.
std::optional<uint64_t> slab_figure(const std::string& cache, const std::string& file) {
  std::ifstream in("/sys/kernel/slab/" + cache + "/" + file);
  uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

TEST(KernelRead, ObjectBytesOfASlabObjectIsItsCachesStride) {
  std::string why;
  if (!test::can_load_bpf(&why)) GTEST_SKIP() << "SKIPPED: " << why;
  const auto stride = slab_figure("task_struct", "slab_size");
  if (!stride) GTEST_SKIP() << "SKIPPED: no /sys/kernel/slab/task_struct (SLUB sysfs)";
  // slab_ksize() is the stride only without debugging or RCU-typesafe flags.
  for (const char* flag : {"red_zone", "poison", "store_user", "destroy_by_rcu"})
    if (slab_figure("task_struct", flag).value_or(0))
      GTEST_SKIP() << "SKIPPED: task_struct's cache has " << flag << " set";
  static const Kallsyms none("/dev/null");
  LoaderOptions o;
  o.for_tests = true;
  BpfLoader loader(o, none);
  bpf_program* prog = loader.program("test_object_bytes");
  // The first run reads the memory layout's bases, the second the copy it kept
  // (on kernels with those symbols; without, both use the folded fallbacks).
  EXPECT_EQ(test::run_raw_tp(prog, {}, -1), *stride);
  EXPECT_EQ(test::run_raw_tp(prog, {}, -1), *stride);
}

}  // namespace
}  // namespace rcuwatch
