/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Decoding rcu_pending's structs for the stock handlers, shared by the
 * fentry and kprobe modes.
 */
#ifndef RCUWATCH_STOCK_DECODE_BPF_H
#define RCUWATCH_STOCK_DECODE_BPF_H

#include "kernel_types.bpf.h"
#include "stock.bpf.h"

struct list_walk {
	struct callback_head *cur;
	__u64 n;
};

static long list_step(__u32 i, void *ctx)
{
	struct list_walk *w = ctx;
	struct callback_head *cur = w->cur;

	if (!cur)
		return 1;
	w->n++;
	w->cur = BPF_CORE_READ(cur, next);
	return 0;
}

/* Objects on an rcu_pending_list (singly linked through rcu_head.next). */
static __always_inline __u64 list_length(struct callback_head *head)
{
	struct list_walk w = { .cur = head };

	if (!head)
		return 0;
	bpf_loop(1 << 20, list_step, &w, 0);
	if (w.cur)
		stat_add(RW_STAT_PROCESS_MISMATCH, 1); /* longer than we walk */
	return w.n;
}

/* Addresses are plain numbers here (see arg() in stock_fentry.bpf.h); @ctx: the hook's. */
static __always_inline void enqueue_enter(void *ctx, __u64 pending, __u64 head, __u64 ptr)
{
	struct rcu_pending___rw *rp = (void *)pending;
	struct rw_new_object o = {
		.instance = pending,
		.srcu = (__u64)BPF_CORE_READ(rp, srcu),
		.process = (__u64)BPF_CORE_READ(rp, process),
		.obj = ptr ? ptr : head,
		.head = head,
	};

	o.bytes = object_bytes(o.obj);
	stock_enqueue(ctx, &o);
}

/* __process_finished_items(pending, p): entered with p->lock held. */
static __always_inline void processing_enter(__u64 pending, __u64 pcpu)
{
	struct rcu_pending_pcpu___rw *p = (void *)pcpu;
	struct rcu_pending_seq___rw *data = BPF_CORE_READ(p, objs.data);
	struct callback_head *l0 = BPF_CORE_READ(p, lists[0].head),
			     *l1 = BPF_CORE_READ(p, lists[1].head),
			     *l2 = BPF_CORE_READ(p, lists[2].head);
	struct rw_pcpu_state ps = {
		.instance = pending,
		.srcu = (__u64)BPF_CORE_READ((struct rcu_pending___rw *)pending, srcu),
		.nseq = BPF_CORE_READ(p, objs.nr),
		.cpu = BPF_CORE_READ(p, cpu),
		.list_seq = { BPF_CORE_READ(p, lists[0].seq), BPF_CORE_READ(p, lists[1].seq) },
		.list_nr = { list_length(l0), list_length(l1) },
		.expired_nr = list_length(l2),
		.list_head = { (__u64)l0, (__u64)l1, (__u64)l2 },
	};

	if (ps.nseq && data) {
		ps.seq0 = BPF_CORE_READ(data, seq);
		ps.nr0 = BPF_CORE_READ(data, nr);
		ps.root0 = (__u64)BPF_CORE_READ(data, objs.tree.root);
	}
	stock_processing_enter(&ps);
}

/* process_srcu(work) of srcu_usage->work: that flavor's counter now. */
static __always_inline void srcu_work_done(__u64 work)
{
	struct srcu_usage *sup = (void *)(work - bpf_core_field_offset(struct srcu_usage, work));

	gp_observe_watched((__u64)BPF_CORE_READ(sup, srcu_ssp));
}

#endif /* RCUWATCH_STOCK_DECODE_BPF_H */
