/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-object hot path of tracepoint mode, apart from the programs'
 * general path (tracepoint.bpf.h). Nearly every enqueue and dequeue of a
 * busy filesystem finds its instance in this CPU's slot cache, among the
 * first RW_CPU_STATE_TOTALS slots, on the CPU whose queue it names, in a
 * radix-tree seq that holds a pending slot in the instance's home row,
 * with the call-site sampler not yet due. For that case alone these functions first check everything,
 * writing nothing, then make the event's few adds. Any other case returns
 * false having changed nothing, and the program's general path then counts
 * the event from scratch, as it would have without this one.
 *
 * Why apart: the general path's calls (the slot cache's fill, the sampler,
 * a correction for another CPU, a seq's opening) are rare, but clang keeps
 * every argument live across them, spilling to the stack what its four
 * callee-saved registers cannot hold. Here the only calls are the lookups
 * the verifier inlines (the queue's slots, the CPU's state,
 * the CPU number), and the arguments are read from the context where they
 * are used, one load each, instead of loaded at entry and spilled.
 *
 * The queue's slots are found in the instance's home row, computed from
 * its address (accounting.bpf.h, pending_slots), not through the CPU's
 * state nor through anything read first: their reads and the state's run
 * side by side instead of one after the other. Only a row's owner ever
 * writes its slots, so a slot found there counts only if its key names
 * the event's instance, seq and CPU; an instance whose home row another
 * owns finds no such key and takes the general path. Read without the
 * owner's lock, a key may be half written, but a key's instance is one
 * aligned word: half of a write never names another instance.
 *
 * The int arguments (cpu, where) are compared as the 64-bit words of ctx,
 * without the casts' shifts: a raw tracepoint zero-extends them, and a word
 * with high bits set would only fail a check here and go to the general
 * path, which takes them as ints.
 *
 * The adds are those the general path makes for the same event; an event
 * of either program is counted exactly once, by one path or the other.
 */
#ifndef RCUWATCH_HOT_PATH_BPF_H
#define RCUWATCH_HOT_PATH_BPF_H

#include "accounting.bpf.h"
#include "call_sites.bpf.h"

/*
 * @instance's totals on this CPU (@st) in *@totals, if the slot cache
 * holds the instance and its totals are in @st; else false. Read as
 * cached_ref() reads a way (a program that interrupted a fill leaves a way
 * that no longer names @instance).
 */
static __always_inline bool hot_totals(struct rw_cpu_state *st, __u64 instance,
				       struct rw_instance_totals **totals)
{
	struct rw_instance_totals *t;
	struct rw_instance_ref ref;
	__u32 slot;

	if (instance_filter && instance != instance_filter)
		return false;
	if (!cached_ref(slot_cache_way(st, instance), instance, &ref))
		return false;
	slot = ref.slot;
	if (slot >= RW_CPU_STATE_TOTALS)
		return false;
	t = &st->totals[slot];
	/* Made here, under the bound's check: clang would sink the multiply
	 * to the adds, past what the verifier knows of the bound. */
	barrier_var(t);
	*totals = t;
	return true;
}

/* Where a program's arguments are in ctx. */
struct rw_hot_args {
	int pending, cpu, seq, bytes, where;
};

/* (struct rcu_pending *, srcu, process, int cpu, unsigned long seq, void *obj, size_t bytes, int where) */
static const struct rw_hot_args enqueue_args = {
	.pending = 0, .cpu = 3, .seq = 4, .bytes = 6, .where = 7
};
/* (struct rcu_pending *, int cpu, unsigned long seq, void *obj, size_t bytes, int where) */
static const struct rw_hot_args dequeue_args = {
	.pending = 0, .cpu = 1, .seq = 2, .bytes = 4, .where = 5
};

/*
 * The hot path's case, up to the seq: a radix-tree seq holding a pending
 * slot, of an instance the slot cache holds with its totals in this CPU's
 * state. Its slot, with the state and the totals in *@state and *@totals;
 * else NULL. The queue is in the instance's home row, computed from its
 * address, not read from the state, and the arguments are read where
 * used, so that little is kept across the lookups.
 */
static __always_inline struct rw_pending_slot *hot_seq(unsigned long long *ctx,
						       const struct rw_hot_args *a,
						       struct rw_cpu_state **state,
						       struct rw_instance_totals **totals)
{
	struct rw_pending_slot *s;
	struct rw_cpu_state *st;
	struct rw_queue_slots *q;
	__u32 idx, free;

	if (ctx[a->where] != RW_WHERE_RADIX)
		return NULL;
	/* A CPU without queues is past the array's end, or wraps to a queue
	 * whose keys name another CPU (the check below). */
	idx = rw_queue_index(ctx[a->cpu], rw_slot_home_row(ctx[a->pending]));
	q = bpf_map_lookup_elem(&pending_slots, &idx);
	if (!q)
		return NULL;
	st = cpu_state_here();
	if (!st || !hot_totals(st, ctx[a->pending], totals))
		return NULL;
	s = slot_find(q, ctx[a->pending], ctx[a->seq], &free);
	if (!s || s->key.cpu != ctx[a->cpu])
		return NULL;
	*state = st;
	return s;
}

/*
 * The enqueue of an object into a live radix-tree seq; false: not that
 * case, nothing counted. The CPU is checked first, when only ctx is live
 * across the (inlined) call.
 */
static __always_inline bool enqueue_hot(unsigned long long *ctx)
{
	struct rw_instance_totals *t;
	struct rw_pending_slot *s;
	struct rw_cpu_state *st;
	__u64 period, bytes, sampled;

	if (ctx[enqueue_args.cpu] != bpf_get_smp_processor_id())
		return false;
	s = hot_seq(ctx, &enqueue_args, &st, &t);
	if (!s)
		return false;
	bytes = ctx[enqueue_args.bytes];
	period = call_site_sample_bytes;
	sampled = st->sampler.bytes + bytes;
	if (period && sampled >= st->sampler.threshold)
		return false;
	st->events++;
	t->enqueued_objects++;
	t->enqueued_bytes += bytes;
	if (period) {
		st->sampler.bytes = sampled;
		st->sampler.objects++;
	}
	s->val.objects++;
	s->val.bytes += bytes;
	return true;
}

/*
 * The dequeue of an object rcuwatch saw enter a radix-tree seq that holds
 * a slot; false: not that case, nothing counted.
 */
static __always_inline bool dequeue_hot(unsigned long long *ctx)
{
	struct rw_instance_totals *t;
	struct rw_pending_slot *s;
	struct rw_cpu_state *st;
	__u64 bytes;

	s = hot_seq(ctx, &dequeue_args, &st, &t);
	if (!s || s->val.objects <= 0)
		return false;
	bytes = ctx[dequeue_args.bytes];
	st->events++;
	s->val.objects--;
	s->val.bytes -= bytes;
	t->dequeued_objects++;
	t->dequeued_bytes += bytes;
	return true;
}

#endif /* RCUWATCH_HOT_PATH_BPF_H */
