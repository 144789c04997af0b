/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OOM killer chose a victim (tracepoint oom:mark_victim, mm/oom_kill.c
 * mark_oom_victim(); in stock kernels since 4.x): counted, and announced to
 * userspace at once (a forced ring-buffer wakeup), which samples the maps
 * right away, so what rcu_pending held at that moment is recorded. Loaded
 * in every attach mode where the tracepoint exists; it only signals.
 */
#ifndef RCUWATCH_OOM_BPF_H
#define RCUWATCH_OOM_BPF_H

#include "accounting.bpf.h"

SEC("raw_tp/mark_victim")
int BPF_PROG(oom_mark_victim, struct task_struct *task)
{
	struct rw_event *e;

	stat_add(RW_STAT_OOM_KILLS, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(RW_STAT_RINGBUF_DROPS, 1); /* userspace still sees RW_STAT_OOM_KILLS grow */
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = RW_EV_OOM_KILL;
	e->cpu = bpf_get_smp_processor_id();
	e->ts_ns = bpf_ktime_get_ns();
	e->instance = BPF_CORE_READ(task, tgid); /* 0 if unreadable (BPF_PROG_TEST_RUN) */
	bpf_core_read_str(&e->nr_radix, 2 * sizeof(e->nr_radix), &task->comm);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

#endif /* RCUWATCH_OOM_BPF_H */
