// Runs a raw_tp program once with BPF_PROG_TEST_RUN: ctx = the tracepoint's
// arguments as u64s (the kernel builds the context of a raw_tp test run
// from ctx_in, at most 12 arguments), on a chosen CPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct bpf_program;

namespace rcuwatch::test {

// Returns the program's return value; throws std::runtime_error on failure.
// cpu < 0: on the calling CPU, in the calling process's context (needed when
// the program reads user memory: on another CPU it runs from an IPI).
uint32_t run_raw_tp(bpf_program* prog, const std::vector<uint64_t>& args, int cpu = 0);

// Whether this process may load BPF programs (else tests print SKIPPED).
bool can_load_bpf(std::string* why);

}  // namespace rcuwatch::test
