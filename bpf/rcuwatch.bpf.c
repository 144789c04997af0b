// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcuwatch kernel side: accounts memory pending in rcu_pending, per instance,
 * CPU and grace-period seq, from the rcu_pending tracepoints of
 * kernel/patches/ (0003), and RCU/SRCU grace periods.
 *
 * Per-object work (enqueue, dequeue) only updates maps, so pending totals
 * stay exact whatever happens to the ring buffer. Only low-rate lifecycle
 * events (seq opened, seq processed, list expired, grace period start/end)
 * are sent to userspace through the ring buffer; a full ring buffer is
 * counted in RW_STAT_RINGBUF_DROPS.
 *
 * All handlers are raw_tp programs so the same bytecode loads on any
 * kernel and runs under BPF_PROG_TEST_RUN in tests (ctx = u64 arguments).
 * The rcu_pending events fire under the rcu_pending_pcpu lock (see the
 * patch), so events of one (instance, cpu) arrive serialized; atomics keep
 * counts exact where another CPU touches the same entry.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load (rodata). */
const volatile __u64 instance_filter = 0; /* only this struct rcu_pending *, 0 = all */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, struct rw_pending_key);
	__type(value, struct rw_pending_val);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct rw_instance_totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct rw_instance_info);
} instances SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct rw_gp_stats);
} grace_periods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024); /* resized by the loader */
} events SEC(".maps");

static const struct rw_instance_totals zero_totals;
static const struct rw_gp_stats zero_gp;

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

static __always_inline bool skip_instance(__u64 instance)
{
	stat_add(RW_STAT_EVENTS, 1);
	return instance_filter && instance != instance_filter;
}

static __always_inline struct rw_instance_totals *totals_of(__u64 instance)
{
	struct rw_instance_totals *t = bpf_map_lookup_elem(&totals, &instance);

	if (t)
		return t;
	bpf_map_update_elem(&totals, &instance, &zero_totals, BPF_NOEXIST);
	return bpf_map_lookup_elem(&totals, &instance);
}

static __always_inline void emit(__u32 type, __u32 cpu, __u64 instance, __u64 seq,
				 __u32 where, __u64 nr_radix, __u64 nr_list,
				 __s64 objects, __s64 bytes)
{
	struct rw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_add(RW_STAT_RINGBUF_DROPS, 1);
		return;
	}
	e->type = type;
	e->cpu = cpu;
	e->ts_ns = bpf_ktime_get_ns();
	e->instance = instance;
	e->seq = seq;
	e->where = where;
	e->pad = 0;
	e->nr_radix = nr_radix;
	e->nr_list = nr_list;
	e->objects = objects;
	e->bytes = bytes;
	bpf_ringbuf_submit(e, 0);
}

/* The pending entry for @key, created (and announced) if absent. */
static __always_inline struct rw_pending_val *pending_get(struct rw_pending_key *key)
{
	struct rw_pending_val *v = bpf_map_lookup_elem(&pending, key);
	struct rw_pending_val init = {};

	if (v)
		return v;
	init.first_enqueue_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&pending, key, &init, BPF_NOEXIST) == 0)
		emit(RW_EV_SEQ_OPEN, key->cpu, key->instance, key->seq, key->where, 0, 0, 0, 0);
	v = bpf_map_lookup_elem(&pending, key);
	if (!v)
		stat_add(RW_STAT_PENDING_MAP_FULL, 1);
	return v;
}

/* Removes @key's entry; returns what it held (zeros if absent). */
static __always_inline struct rw_pending_val pending_take(struct rw_pending_key *key)
{
	struct rw_pending_val out = {};
	struct rw_pending_val *v = bpf_map_lookup_elem(&pending, key);

	if (v) {
		out = *v;
		bpf_map_delete_elem(&pending, key);
	}
	return out;
}

static __always_inline void note_instance(__u64 instance, __u64 srcu, __u64 process)
{
	struct rw_instance_info info = {};

	if (bpf_map_lookup_elem(&instances, &instance))
		return;
	info.srcu = srcu;
	info.process = process;
	info.first_seen_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&instances, &instance, &info, BPF_NOEXIST);
}

SEC("raw_tp/rcu_pending_enqueue")
int BPF_PROG(rcu_pending_enqueue, void *pending_ptr, void *srcu, void *process, int cpu,
	     unsigned long seq, void *obj, size_t bytes, int where)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_instance_totals *t;
	struct rw_pending_key key = {};
	struct rw_pending_val *v;

	if (skip_instance(instance))
		return 0;
	note_instance(instance, (__u64)srcu, (__u64)process);
	t = totals_of(instance);
	if (t) {
		t->enqueued_objects++;
		t->enqueued_bytes += bytes;
	}
	if (where == RW_WHERE_IMMEDIATE) {
		/* Grace period already over: freed at once, never pending. */
		if (t) {
			t->immediate_objects++;
			t->immediate_bytes += bytes;
			t->processed_objects++;
			t->processed_bytes += bytes;
		}
		return 0;
	}
	if (where == RW_WHERE_LIST && t)
		t->list_objects++;

	key.instance = instance;
	key.seq = seq;
	key.cpu = cpu;
	key.where = where == RW_WHERE_LIST ? RW_WHERE_LIST : RW_WHERE_RADIX;
	v = pending_get(&key);
	if (v) {
		__sync_fetch_and_add(&v->objects, 1);
		__sync_fetch_and_add(&v->bytes, bytes);
	}
	return 0;
}

SEC("raw_tp/rcu_pending_dequeue")
int BPF_PROG(rcu_pending_dequeue, void *pending_ptr, int cpu, unsigned long seq, void *obj,
	     size_t bytes, int where)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_instance_totals *t;
	struct rw_pending_key key = {};
	struct rw_pending_val *v;

	if (skip_instance(instance))
		return 0;
	t = totals_of(instance);
	if (t) {
		t->dequeued_objects++;
		t->dequeued_bytes += bytes;
	}
	key.instance = instance;
	key.cpu = cpu;
	key.where = where;
	key.seq = where == RW_WHERE_EXPIRED ? 0 : seq;
	v = bpf_map_lookup_elem(&pending, &key);
	if (!v) {
		if (t)
			t->untracked_objects++;
		return 0;
	}
	__sync_fetch_and_add(&v->bytes, -(__s64)bytes);
	if (__sync_fetch_and_add(&v->objects, -1) == 1)
		bpf_map_delete_elem(&pending, &key); /* last one: the seq is empty */
	return 0;
}

SEC("raw_tp/rcu_pending_list_expired")
int BPF_PROG(rcu_pending_list_expired, void *pending_ptr, int cpu, unsigned long seq, size_t nr)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_pending_key key = {};
	struct rw_pending_val moved, *v;

	if (skip_instance(instance))
		return 0;
	key.instance = instance;
	key.cpu = cpu;
	key.seq = seq;
	key.where = RW_WHERE_LIST;
	moved = pending_take(&key);

	key.seq = 0;
	key.where = RW_WHERE_EXPIRED;
	v = pending_get(&key);
	if (v) {
		__sync_fetch_and_add(&v->objects, moved.objects);
		__sync_fetch_and_add(&v->bytes, moved.bytes);
		/* The expired list is as old as its oldest object. */
		if (moved.first_enqueue_ns && moved.first_enqueue_ns < v->first_enqueue_ns)
			v->first_enqueue_ns = moved.first_enqueue_ns;
	}
	emit(RW_EV_LIST_EXPIRED, cpu, instance, seq, RW_WHERE_LIST, 0, nr, moved.objects, moved.bytes);
	return 0;
}

SEC("raw_tp/rcu_pending_process")
int BPF_PROG(rcu_pending_process, void *pending_ptr, int cpu, unsigned long seq, size_t nr_radix,
	     size_t nr_list)
{
	__u64 instance = (__u64)pending_ptr;
	struct rw_instance_totals *t;
	struct rw_pending_key key = {};
	struct rw_pending_val radix = {}, list = {};
	__s64 tracked;

	if (skip_instance(instance))
		return 0;
	key.instance = instance;
	key.cpu = cpu;
	if (nr_radix) {
		key.seq = seq;
		key.where = RW_WHERE_RADIX;
		radix = pending_take(&key);
	}
	if (nr_list) {
		key.seq = 0;
		key.where = RW_WHERE_EXPIRED;
		list = pending_take(&key);
	}
	tracked = radix.objects + list.objects;
	if (tracked != (__s64)(nr_radix + nr_list))
		stat_add(RW_STAT_PROCESS_MISMATCH, 1);

	t = totals_of(instance);
	if (t) {
		/* The kernel's counts are exact; bytes are known for tracked objects. */
		t->processed_objects += nr_radix + nr_list;
		t->processed_bytes += radix.bytes + list.bytes;
		if ((__s64)(nr_radix + nr_list) > tracked)
			t->untracked_objects += nr_radix + nr_list - tracked;
	}
	emit(RW_EV_SEQ_PROCESS, cpu, instance, seq, RW_WHERE_RADIX, nr_radix, nr_list, tracked,
	     radix.bytes + list.bytes);
	return 0;
}

static __always_inline __u32 log2_bucket(__u64 us)
{
	__u32 b = 0;

	for (int i = 0; i < RW_GP_HIST_BUCKETS - 1; i++) {
		if (us < 2)
			break;
		us >>= 1;
		b++;
	}
	return b;
}

/* Wrap-safe a < b for grace-period sequence numbers (ULONG_CMP_LT). */
static __always_inline bool seq_before(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

/*
 * Grace-period events for flavor @key (0: RCU, else the srcu_struct):
 * "start" and "end" count grace periods and time them; the gp_seq of "end"
 * and of RCU's "endpoll" (our patch: rcu_state.gp_seq_polled completing,
 * which expedited grace periods advance too) is the completed cookie that
 * rcu_pending's seqs are compared against. Cookies only move forward.
 */
static __always_inline void grace_period(__u64 key, __u64 gp_seq, const char *gpevent)
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

	g = bpf_map_lookup_elem(&grace_periods, &key);
	if (!g) {
		bpf_map_update_elem(&grace_periods, &key, &zero_gp, BPF_NOEXIST);
		g = bpf_map_lookup_elem(&grace_periods, &key);
		if (!g)
			return;
	}
	/* One GP kthread (RCU) or workqueue (per srcu_struct) drives these: no races. */
	if (start) {
		g->started++;
		g->last_start_ns = now;
		g->last_start_gp_seq = gp_seq;
		emit(RW_EV_GP_START, bpf_get_smp_processor_id(), key, gp_seq, 0, 0, 0, 0, 0);
		return;
	}
	if (!g->last_end_gp_seq || seq_before(g->last_end_gp_seq, gp_seq))
		g->last_end_gp_seq = gp_seq;
	if (endpoll)
		return;
	g->completed++;
	g->last_end_ns = now;
	if (g->last_start_ns && g->last_start_ns <= now) {
		__u64 d = now - g->last_start_ns;
		__u32 b = log2_bucket(d / 1000);

		g->last_duration_ns = d;
		g->duration_sum_ns += d;
		if (b < RW_GP_HIST_BUCKETS)
			g->duration_hist[b]++;
		emit(RW_EV_GP_END, bpf_get_smp_processor_id(), key, gp_seq, 0, 0, 0, 0, d);
	} else {
		emit(RW_EV_GP_END, bpf_get_smp_processor_id(), key, gp_seq, 0, 0, 0, 0, 0);
	}
}

SEC("raw_tp/rcu_grace_period")
int BPF_PROG(rcu_grace_period, const char *rcuname, unsigned long gp_seq, const char *gpevent)
{
	grace_period(0, gp_seq, gpevent);
	return 0;
}

SEC("raw_tp/srcu_grace_period")
int BPF_PROG(srcu_grace_period, void *ssp, unsigned long gp_seq, const char *gpevent)
{
	grace_period((__u64)ssp, gp_seq, gpevent);
	return 0;
}
