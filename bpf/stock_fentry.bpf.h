/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attach mode "fentry": BPF trampolines on rcu_pending's functions (found
 * in bcachefs's BTF: module BTF when bcachefs is a module) and on the
 * RCU/SRCU grace-period functions of vmlinux. Needs CONFIG_DEBUG_INFO_BTF
 * (_MODULES) and a kernel that allows fentry. The loader loads only the
 * programs whose target exists.
 */
#ifndef RCUWATCH_STOCK_FENTRY_BPF_H
#define RCUWATCH_STOCK_FENTRY_BPF_H

#include "stock_decode.bpf.h"

/*
 * Argument @i of the traced function as a plain number. The verifier types
 * fentry arguments from the function's BTF (a struct rcu_head * is a
 * trusted pointer, which allows no arithmetic and no use as a map key):
 * bpf_get_func_arg() hands back the trampoline's copy as a scalar, and the
 * verifier inlines it (two loads and a bound check), where a
 * bpf_probe_read_kernel() of the same slot was a helper call, several per
 * enqueue. 0 for an argument the function does not have.
 */
static __always_inline __u64 arg(unsigned long long *ctx, int i)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, i, &v);
	return v;
}

/* What the traced function returned (fexit programs), inlined like arg(). */
static __always_inline __u64 ret(unsigned long long *ctx)
{
	__u64 v = 0;

	bpf_get_func_ret(ctx, &v);
	return v;
}

SEC("fentry/rcu_pending_enqueue")
int BPF_PROG(fentry_enqueue)
{
	enqueue_enter(ctx, arg(ctx, 0), arg(ctx, 1), 0);
	return 0;
}

SEC("fexit/rcu_pending_enqueue")
int BPF_PROG(fexit_enqueue)
{
	stock_enqueue_exit(bpf_get_smp_processor_id());
	return 0;
}

/* Kernels with our export patch only (the workload's kvfree mode). */
SEC("fentry/rcu_pending_kvfree")
int BPF_PROG(fentry_kvfree)
{
	enqueue_enter(ctx, arg(ctx, 0), arg(ctx, 1), arg(ctx, 2));
	return 0;
}

SEC("fexit/rcu_pending_kvfree")
int BPF_PROG(fexit_kvfree)
{
	stock_enqueue_exit(bpf_get_smp_processor_id());
	return 0;
}

SEC("fexit/get_state_synchronize_srcu")
int BPF_PROG(fexit_get_state_srcu)
{
	stock_cookie(arg(ctx, 0), ret(ctx), bpf_get_smp_processor_id());
	return 0;
}

SEC("fexit/get_state_synchronize_rcu")
int BPF_PROG(fexit_get_state_rcu)
{
	stock_cookie(0, ret(ctx), bpf_get_smp_processor_id());
	return 0;
}

SEC("fexit/poll_state_synchronize_srcu")
int BPF_PROG(fexit_poll_srcu)
{
	stock_poll(arg(ctx, 0), arg(ctx, 1), ret(ctx) & 1, bpf_get_smp_processor_id());
	return 0;
}

SEC("fexit/poll_state_synchronize_rcu")
int BPF_PROG(fexit_poll_rcu)
{
	stock_poll(0, arg(ctx, 0), ret(ctx) & 1, bpf_get_smp_processor_id());
	return 0;
}

SEC("fentry/call_srcu")
int BPF_PROG(fentry_call_srcu)
{
	stock_under_lock(arg(ctx, 0), bpf_get_smp_processor_id());
	return 0;
}

SEC("fentry/start_poll_synchronize_srcu")
int BPF_PROG(fentry_start_poll_srcu)
{
	stock_under_lock(arg(ctx, 0), bpf_get_smp_processor_id());
	return 0;
}

SEC("fentry/start_poll_synchronize_rcu")
int BPF_PROG(fentry_start_poll_rcu)
{
	stock_under_lock(0, bpf_get_smp_processor_id());
	return 0;
}

SEC("fentry/__process_finished_items")
int BPF_PROG(fentry_process)
{
	processing_enter(arg(ctx, 0), arg(ctx, 1));
	return 0;
}

SEC("fexit/__process_finished_items")
int BPF_PROG(fexit_process)
{
	stock_processing_exit();
	return 0;
}

SEC("fexit/rcu_pending_dequeue")
int BPF_PROG(fexit_dequeue)
{
	stock_dequeue_exit(arg(ctx, 0), ret(ctx), false);
	return 0;
}

SEC("fentry/rcu_pending_dequeue_from_all")
int BPF_PROG(fentry_dequeue_from_all)
{
	stock_dequeue_all_enter();
	return 0;
}

SEC("fexit/rcu_pending_dequeue_from_all")
int BPF_PROG(fexit_dequeue_from_all)
{
	stock_dequeue_exit(arg(ctx, 0), ret(ctx), true);
	return 0;
}

SEC("fexit/process_srcu")
int BPF_PROG(fexit_process_srcu)
{
	srcu_work_done(arg(ctx, 0));
	return 0;
}

SEC("fexit/srcu_gp_start")
int BPF_PROG(fexit_srcu_gp_start)
{
	gp_observe_watched(arg(ctx, 0));
	return 0;
}

SEC("fexit/rcu_gp_init")
int BPF_PROG(fexit_rcu_gp_init)
{
	gp_observe_watched(0);
	return 0;
}

SEC("fexit/rcu_gp_cleanup")
int BPF_PROG(fexit_rcu_gp_cleanup)
{
	gp_observe_watched(0);
	return 0;
}

#endif /* RCUWATCH_STOCK_FENTRY_BPF_H */
