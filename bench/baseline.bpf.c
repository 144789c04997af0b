// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The baseline of the BPF benchmarks: an empty raw_tp program, driven by
 * BPF_PROG_TEST_RUN exactly like rcuwatch's programs. Its cost is what every
 * program pays anyway (the run-time accounting, the call, the syscall), so
 * "enqueue is N x the empty program" is a ratio that survives a noisy host.
 * The tracepoint does not exist: a raw_tp program loads regardless (the
 * name is only resolved at attach time), and this one is never attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tp/rcuwatch_bench_noop")
int noop(void *ctx)
{
	return 0;
}
