// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcuwatch kernel side: accounts memory pending in rcu_pending, per instance,
 * CPU and grace-period seq, and RCU/SRCU grace periods. One object, every
 * attach mode's programs; the loader loads only the chosen mode's
 * (userspace/bpf_loader.cpp):
 *
 *   accounting.bpf.h   the maps and the accounting all modes share
 *   tracepoint.bpf.h   "tracepoint": the rcu_pending tracepoints of kernel/patches/
 *   stock.bpf.h        stock kernels: the patch's events rebuilt from hooks
 *   stock_fentry.bpf.h "fentry": those hooks as fentry/fexit
 *   stock_kprobe.bpf.h "kprobe": those hooks as kprobes/kretprobes
 *   stock_test.bpf.h   raw_tp wrappers the BPF tests run the stock code with
 *   census.bpf.h       what rcu_pending holds when rcuwatch starts (bcachefs)
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "accounting.bpf.h"
#include "census.bpf.h"
#include "stock_fentry.bpf.h"
#include "stock_kprobe.bpf.h"
#include "stock_test.bpf.h"
#include "tracepoint.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static long refresh_flavor(struct bpf_map *map, __u64 *key, struct rw_gp_stats *g, void *ctx)
{
	__u64 gp_seq;

	if (flavor_gp_seq(*key, &gp_seq))
		gp_observe(g, *key, gp_seq);
	return 0;
}

/*
 * Run by userspace (BPF_PROG_TEST_RUN) before it reads the maps, in stock
 * modes: every watched flavor's counter as it is now, so a seq's state
 * (waiting for its grace period or not) is exact at the sample.
 */
SEC("raw_tp/rcuwatch_refresh")
int BPF_PROG(refresh)
{
	bpf_for_each_map_elem(&grace_periods, refresh_flavor, NULL, 0);
	return 0;
}
