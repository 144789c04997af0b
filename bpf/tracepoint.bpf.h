/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attach mode "tracepoint": the rcu_pending tracepoints of kernel/patches/
 * (0003) and the RCU/SRCU grace-period
 * tracepoints. The rcu_pending events fire under the rcu_pending_pcpu lock
 * (see the patch), so events of one (instance, cpu) arrive serialized;
 * atomics keep counts exact where another CPU touches the same entry.
 *
 * raw_tp programs: the same bytecode loads on any kernel (the tracepoint is
 * resolved at attach time) and runs under BPF_PROG_TEST_RUN in tests (ctx =
 * the tracepoint's arguments as u64s).
 */
#ifndef RCUWATCH_TRACEPOINT_BPF_H
#define RCUWATCH_TRACEPOINT_BPF_H

#include "accounting.bpf.h"
#include "call_sites.bpf.h"
#include "hot_path.bpf.h"

/* An enqueue, any case: the general path (hot_path.bpf.h). */
static __always_inline int enqueue_traced(unsigned long long *ctx, void *pending_ptr, int cpu,
					  unsigned long seq, size_t bytes, int where)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_instance_totals *t;
	struct rw_instance_ref ref;
	struct rw_slot_cache *c;
	struct rw_cpu_state *st;

	st = cpu_state_here();
	if (!st || skip_instance_in(st, instance))
		return 0;
	c = slot_cache_way(st, instance);
	if (!__builtin_expect(cached_ref(c, instance, &ref), 1)) {
		/*
		 * The instance is noted when this CPU's cache did not name it:
		 * after that, the cache serves both (the hot path's saving of
		 * the instances map). srcu and process are read from the
		 * context here only, not kept through the hot path.
		 */
		note_instance(instance, ctx[1], ctx[2]);
		ref = fill_ref(st, c, instance);
	}
	t = totals_in(st, ref.slot);
	if (t) {
		t->enqueued_objects++;
		t->enqueued_bytes += bytes;
	}
	/* Per queue CPU: t is per-CPU (see queues in accounting.bpf.h). */
	if (t && __builtin_expect((__u32)cpu != bpf_get_smp_processor_id(), 0))
		count_queued_elsewhere(instance, cpu, bpf_get_smp_processor_id(), bytes);
	sample_call_site_in(ctx, st, instance, cpu, bytes);
	if (__builtin_expect(where == RW_WHERE_IMMEDIATE, 0)) {
		if (t) {
			t->immediate_objects++;
			t->immediate_bytes += bytes;
			t->processed_objects++;
			t->processed_bytes += bytes;
		}
		return 0;
	}
	if (__builtin_expect(where == RW_WHERE_LIST, 0)) {
		struct rw_pending_val add = { .objects = 1, .bytes = bytes };

		if (t)
			t->list_objects++;
		if (!slot_add_val(ref, instance, cpu, seq, RW_WHERE_LIST, &add))
			pending_add_to(instance, cpu, seq, RW_WHERE_LIST, bytes, true);
	} else if (!slot_add(ref, instance, cpu, seq, bytes)) {
		pending_add_to(instance, cpu, seq, RW_WHERE_RADIX, bytes, true);
	}
	return 0;
}

/* The arguments are read from ctx where they are used (hot_path.bpf.h), not by BPF_PROG at entry. */
SEC("raw_tp/rcu_pending_enqueue")
int rcu_pending_enqueue(unsigned long long *ctx)
{
	if (__builtin_expect(enqueue_hot(ctx), 1))
		return 0;
	return enqueue_traced(ctx, (void *)ctx[enqueue_args.pending], ctx[enqueue_args.cpu],
			      ctx[enqueue_args.seq], ctx[enqueue_args.bytes], ctx[enqueue_args.where]);
}

/* A dequeue, any case: the general path (hot_path.bpf.h). */
static __always_inline int dequeue_traced(void *pending_ptr, int cpu, unsigned long seq,
					  size_t bytes, int where)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_cpu_state *st = cpu_state_here();
	struct rw_instance_ref ref;
	int tracked = -1;

	if (!st || skip_instance_in(st, instance))
		return 0;
	ref = instance_ref_in(st, instance);
	/* Twice, so that the radix-tree case compiles with its constant. */
	if (__builtin_expect(where == RW_WHERE_RADIX, 1))
		tracked = slot_sub(ref, instance, cpu, seq, RW_WHERE_RADIX, bytes);
	else
		tracked = slot_sub(ref, instance, cpu, seq, where, bytes);
	if (tracked < 0)
		tracked = pending_sub_from(instance, cpu, seq, where, bytes, true);
	count_dequeued_in(totals_in(st, ref.slot), bytes, tracked);
	return 0;
}

SEC("raw_tp/rcu_pending_dequeue")
int rcu_pending_dequeue(unsigned long long *ctx)
{
	if (__builtin_expect(dequeue_hot(ctx), 1))
		return 0;
	return dequeue_traced((void *)ctx[dequeue_args.pending], ctx[dequeue_args.cpu],
			      ctx[dequeue_args.seq], ctx[dequeue_args.bytes], ctx[dequeue_args.where]);
}

SEC("raw_tp/rcu_pending_list_expired")
int BPF_PROG(rcu_pending_list_expired, void *pending_ptr, int cpu, unsigned long seq, size_t nr)
{
	__u64 instance = (__u64)pending_ptr;

	if (skip_instance(instance))
		return 0;
	list_expired(instance, cpu, seq, nr);
	return 0;
}

SEC("raw_tp/rcu_pending_process")
int BPF_PROG(rcu_pending_process, void *pending_ptr, int cpu, unsigned long seq, size_t nr_radix,
	     size_t nr_list)
{
	__u64 instance = (__u64)pending_ptr;

	if (skip_instance(instance))
		return 0;
	processed_batch(instance, cpu, seq, nr_radix, nr_list);
	return 0;
}

/*
 * Grace-period events for flavor @key (0: RCU, else the srcu_struct):
 * "start" and "end" count grace periods and time them; the gp_seq of "end"
 * and of RCU's "endpoll" (our patch: rcu_state.gp_seq_polled completing,
 * which expedited grace periods advance too) is the completed cookie that
 * rcu_pending's seqs are compared against.
 */
static __always_inline void grace_period_event(__u64 key, __u64 gp_seq, const char *gpevent)
{
	char ev[8] = {};
	struct rw_gp_stats *g;
	__u64 now = bpf_ktime_get_ns();
	bool start, end, endpoll;

	stat_add(RW_STAT_EVENTS, 1);
	/* Kernel string normally; a user string when driven by BPF_PROG_TEST_RUN. */
	if (bpf_probe_read_kernel_str(ev, sizeof(ev), gpevent) < 0 &&
	    bpf_probe_read_user_str(ev, sizeof(ev), gpevent) < 0)
		return;
	start = ev[0] == 's' && ev[1] == 't' && ev[2] == 'a' && ev[3] == 'r' && ev[4] == 't' && !ev[5];
	end = ev[0] == 'e' && ev[1] == 'n' && ev[2] == 'd' && !ev[3];
	endpoll = ev[0] == 'e' && ev[1] == 'n' && ev[2] == 'd' && ev[3] == 'p' && ev[4] == 'o' &&
		  ev[5] == 'l' && ev[6] == 'l' && !ev[7];
	if (!start && !end && !endpoll)
		return; /* cpustart, cpuqs, ...: per-CPU detail we do not need */

	g = gp_stats_of(key);
	if (!g)
		return;
	/* One GP kthread (RCU) or workqueue (per srcu_struct) drives these: no races. */
	if (start)
		gp_started(g, key, gp_seq, now);
	else if (endpoll)
		gp_completed_to(g, gp_seq);
	else
		gp_ended(g, key, gp_seq, now);
}

SEC("raw_tp/rcu_grace_period")
int BPF_PROG(rcu_grace_period, const char *rcuname, unsigned long gp_seq, const char *gpevent)
{
	grace_period_event(0, gp_seq, gpevent);
	return 0;
}

SEC("raw_tp/srcu_grace_period")
int BPF_PROG(srcu_grace_period, void *ssp, unsigned long gp_seq, const char *gpevent)
{
	grace_period_event((__u64)ssp, gp_seq, gpevent);
	return 0;
}

#endif /* RCUWATCH_TRACEPOINT_BPF_H */
