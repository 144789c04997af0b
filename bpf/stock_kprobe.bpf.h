/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attach mode "kprobe": the same hooks as stock_fentry.bpf.h through
 * kprobes and kretprobes (CONFIG_KPROBES), for kernels that refuse fentry
 * or lack BTF for the functions. A kretprobe sees only the return value, so
 * each entry probe keeps the arguments its return needs in the task's
 * entry (struct rw_task).
 */
#ifndef RCUWATCH_STOCK_KPROBE_BPF_H
#define RCUWATCH_STOCK_KPROBE_BPF_H

#include "stock_decode.bpf.h"

SEC("kprobe/rcu_pending_enqueue")
int BPF_KPROBE(kprobe_enqueue, void *pending, void *head)
{
	enqueue_enter((__u64)pending, (__u64)head, 0);
	return 0;
}

SEC("kretprobe/rcu_pending_enqueue")
int BPF_KRETPROBE(kretprobe_enqueue)
{
	stock_enqueue_exit(bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/rcu_pending_kvfree")
int BPF_KPROBE(kprobe_kvfree, void *pending, void *head, void *ptr)
{
	enqueue_enter((__u64)pending, (__u64)head, (__u64)ptr);
	return 0;
}

SEC("kretprobe/rcu_pending_kvfree")
int BPF_KRETPROBE(kretprobe_kvfree)
{
	stock_enqueue_exit(bpf_get_smp_processor_id());
	return 0;
}

/* Entry probes of the RCU/SRCU functions only note arguments for tasks rcuwatch follows. */
static __always_inline void note_args(__u64 ssp, __u64 cookie)
{
	struct rw_task *t = task_get(false);

	if (t) {
		t->arg_ssp = ssp;
		t->arg_cookie = cookie;
	}
}

SEC("kprobe/get_state_synchronize_srcu")
int BPF_KPROBE(kprobe_get_state_srcu, void *ssp)
{
	note_args((__u64)ssp, 0);
	return 0;
}

SEC("kretprobe/get_state_synchronize_srcu")
int BPF_KRETPROBE(kretprobe_get_state_srcu, unsigned long cookie)
{
	struct rw_task *t = task_get(false);

	if (t)
		stock_cookie(t->arg_ssp, cookie, bpf_get_smp_processor_id());
	return 0;
}

SEC("kretprobe/get_state_synchronize_rcu")
int BPF_KRETPROBE(kretprobe_get_state_rcu, unsigned long cookie)
{
	stock_cookie(0, cookie, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/poll_state_synchronize_srcu")
int BPF_KPROBE(kprobe_poll_srcu, void *ssp, unsigned long cookie)
{
	note_args((__u64)ssp, cookie);
	return 0;
}

SEC("kretprobe/poll_state_synchronize_srcu")
int BPF_KRETPROBE(kretprobe_poll_srcu, bool elapsed)
{
	struct rw_task *t = task_get(false);

	if (t)
		stock_poll(t->arg_ssp, t->arg_cookie, elapsed, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/poll_state_synchronize_rcu")
int BPF_KPROBE(kprobe_poll_rcu, unsigned long cookie)
{
	note_args(0, cookie);
	return 0;
}

SEC("kretprobe/poll_state_synchronize_rcu")
int BPF_KRETPROBE(kretprobe_poll_rcu, bool elapsed)
{
	struct rw_task *t = task_get(false);

	if (t)
		stock_poll(0, t->arg_cookie, elapsed, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/call_srcu")
int BPF_KPROBE(kprobe_call_srcu, void *ssp)
{
	stock_under_lock((__u64)ssp, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/start_poll_synchronize_srcu")
int BPF_KPROBE(kprobe_start_poll_srcu, void *ssp)
{
	stock_under_lock((__u64)ssp, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/start_poll_synchronize_rcu")
int BPF_KPROBE(kprobe_start_poll_rcu)
{
	stock_under_lock(0, bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/__process_finished_items")
int BPF_KPROBE(kprobe_process, void *pending, void *pcpu)
{
	processing_enter((__u64)pending, (__u64)pcpu);
	return 0;
}

SEC("kretprobe/__process_finished_items")
int BPF_KRETPROBE(kretprobe_process)
{
	stock_processing_exit();
	return 0;
}

SEC("kprobe/rcu_pending_dequeue")
int BPF_KPROBE(kprobe_dequeue, void *pending)
{
	struct rw_task *t = task_get(true);

	if (t)
		t->arg_pending = (__u64)pending;
	return 0;
}

SEC("kretprobe/rcu_pending_dequeue")
int BPF_KRETPROBE(kretprobe_dequeue, void *ret)
{
	struct rw_task *t = task_get(false);

	if (t)
		stock_dequeue_exit(t->arg_pending, (__u64)ret, false);
	return 0;
}

SEC("kprobe/rcu_pending_dequeue_from_all")
int BPF_KPROBE(kprobe_dequeue_from_all, void *pending)
{
	struct rw_task *t;

	stock_dequeue_all_enter();
	t = task_get(false);
	if (t)
		t->arg_pending = (__u64)pending;
	return 0;
}

SEC("kretprobe/rcu_pending_dequeue_from_all")
int BPF_KRETPROBE(kretprobe_dequeue_from_all, void *ret)
{
	struct rw_task *t = task_get(false);

	if (t)
		stock_dequeue_exit(t->arg_pending, (__u64)ret, true);
	return 0;
}

/* rcu_pending_enqueue_list() is a .constprop clone on distribution kernels:
 * attached by the loader to whatever kallsyms calls it (its arguments are
 * not trusted: only that it runs). */
SEC("kprobe")
int BPF_KPROBE(kprobe_enqueue_list)
{
	stock_list_enter(bpf_get_smp_processor_id());
	return 0;
}

SEC("kprobe/process_srcu")
int BPF_KPROBE(kprobe_process_srcu, void *work)
{
	struct rw_task *t = task_get(true);

	if (t)
		t->arg_work = (__u64)work;
	return 0;
}

SEC("kretprobe/process_srcu")
int BPF_KRETPROBE(kretprobe_process_srcu)
{
	struct rw_task *t = task_get(false);

	if (t && t->arg_work) {
		srcu_work_done(t->arg_work);
		t->arg_work = 0;
	}
	return 0;
}

SEC("kretprobe/rcu_gp_init")
int BPF_KRETPROBE(kretprobe_rcu_gp_init)
{
	gp_observe_watched(0);
	return 0;
}

SEC("kretprobe/rcu_gp_cleanup")
int BPF_KRETPROBE(kretprobe_rcu_gp_cleanup)
{
	gp_observe_watched(0);
	return 0;
}

#endif /* RCUWATCH_STOCK_KPROBE_BPF_H */
