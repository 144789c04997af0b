#include "test_run.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace rcuwatch::test {

uint32_t run_raw_tp(bpf_program* prog, const std::vector<uint64_t>& args, int cpu) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
              .ctx_size_in = uint32_t(args.size() * sizeof(uint64_t)),
              .flags = cpu < 0 ? 0u : uint32_t(BPF_F_TEST_RUN_ON_CPU),
              .cpu = cpu < 0 ? 0u : uint32_t(cpu));
  int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  if (err)
    throw std::runtime_error(std::string("BPF_PROG_TEST_RUN of ") + bpf_program__name(prog) +
                             " failed: " + std::strerror(-err));
  return opts.retval;
}

bool can_load_bpf(std::string* why) {
  if (geteuid() != 0) {
    *why = "not root: loading BPF programs needs CAP_BPF and CAP_PERFMON";
    return false;
  }
  return true;
}

}  // namespace rcuwatch::test
