// Reads the BPF maps into a Sample (per-CPU values summed). Used by the
// live source each interval and by the BPF tests, so both see the same
// numbers.
#pragma once

#include <optional>
#include <vector>

#include "kallsyms.hpp"
#include "sample.hpp"

struct rcuwatch_bpf;

namespace rcuwatch {

// Stamped with the time the reading ended, so that every kernel timestamp
// in it (first enqueue, grace-period end) is at or before the sample time.
Sample read_sample(rcuwatch_bpf& skel);

// The stack of a call site (map stacks), innermost frame first; std::nullopt
// for RW_NO_STACK or an id the map does not hold.
std::optional<std::vector<uint64_t>> read_stack(rcuwatch_bpf& skel, int32_t stack_id);

// What the census learned of an instance (bpf/census.bpf.h), if anything.
std::optional<InstanceLabel> read_instance_label(rcuwatch_bpf& skel, uint64_t instance);

// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() uses.
uint64_t monotonic_ns();

}  // namespace rcuwatch
