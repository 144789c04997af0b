/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Decoding rcu_pending's structs for the stock handlers, shared by the
 * fentry and kprobe modes.
 */
#ifndef RCUWATCH_STOCK_DECODE_BPF_H
#define RCUWATCH_STOCK_DECODE_BPF_H

#include "kernel_types.bpf.h"
#include "stock.bpf.h"

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
		.expired_nr = list_length((__u64)l2),
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
