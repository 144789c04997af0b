/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The census: what rcu_pending holds when rcuwatch starts. Hooks only see
 * what happens after they attach; an SRE starts rcuwatch because memory is
 * stranded now. Run once by userspace after attaching (BPF_PROG_TEST_RUN):
 * it walks every mounted bcachefs (bch_fs_list, whose address userspace
 * finds in kallsyms), notes its key cache's two instances with their
 * filesystem's name and index (instance_labels), and counts the objects
 * already queued on every CPU: per seq radix tree and list, each object
 * sized and remembered for its dequeue, as if enqueued when rcuwatch
 * attached (rw_instance_totals.preexisting_*).
 *
 * Unlocked reads of queues that keep changing: an object queued or taken
 * during the walk can be counted twice or missed. A seq counted twice is
 * taken whole when processed (a process mismatch, no stale bytes); a missed
 * object shows as untracked when it leaves.
 */
#ifndef RCUWATCH_CENSUS_BPF_H
#define RCUWATCH_CENSUS_BPF_H

#include "kernel_read.bpf.h"
#include "kernel_types.bpf.h"
#include "stock.bpf.h"

extern const unsigned long this_cpu_off __ksym; /* per CPU: that CPU's per-CPU offset */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64); /* struct rcu_pending * */
	__type(value, struct rw_instance_label);
} instance_labels SEC(".maps");

#define RW_CENSUS_KNOWN (~0ULL) /* census_object(): placed by a hook already */

struct census_queue {
	__u64 instance;
	__u64 seq;
	__u64 root; /* radix: the genradix root; list: the next node */
	__u32 cpu;
	__u32 where;
	__u64 objects;
	__u64 bytes;
};

/*
 * One object found queued: sized, remembered for its dequeue; its bytes.
 * RW_CENSUS_KNOWN when a hook already placed it there (queued after
 * rcuwatch attached): counted twice, it would outlive its dequeue.
 */
RW_GLOBAL __u64 census_object(const struct census_queue *q, __u64 obj)
{
	struct rw_object_place loc = {}, *known = bpf_map_lookup_elem(&objects, &obj);

	if (!q)
		return 0;
	if (known && known->instance == q->instance && known->seq == q->seq &&
	    known->cpu == q->cpu && known->where == q->where)
		return RW_CENSUS_KNOWN;
	loc.instance = q->instance;
	loc.seq = q->seq;
	loc.cpu = q->cpu;
	loc.where = q->where;
	loc.bytes = sized(object_bytes(obj));
	bpf_map_update_elem(&objects, &obj, &loc, BPF_ANY);
	return loc.bytes;
}

static __always_inline void census_count(struct census_queue *q, __u64 obj)
{
	__u64 bytes = census_object(q, obj);

	if (bytes == RW_CENSUS_KNOWN)
		return;
	q->bytes += bytes;
	q->objects++;
}

static long census_radix_step(__u32 i, void *ctx)
{
	struct census_queue *q = ctx;
	__u64 obj = genradix_elem(q->root, i);

	if (obj)
		census_count(q, obj);
	return 0;
}

static long census_list_step(__u32 i, void *ctx)
{
	struct census_queue *q = ctx;
	struct callback_head *cur = (void *)q->root;

	if (!cur)
		return 1;
	census_count(q, (__u64)cur);
	q->root = (__u64)BPF_CORE_READ(cur, next);
	return 0;
}

/* The objects of one queue become a pending entry, as if enqueued now. */
RW_GLOBAL int census_seed(const struct census_queue *q)
{
	struct rw_pending_key key = {};
	struct rw_pending_val *v;
	struct rw_instance_totals *t;

	if (!q || !q->objects)
		return 0;
	pending_key(&key, q->instance, q->cpu, q->seq, q->where);
	v = pending_get(&key);
	if (v) {
		__sync_fetch_and_add(&v->objects, q->objects);
		__sync_fetch_and_add(&v->bytes, q->bytes);
	}
	t = totals_of(q->instance);
	if (t) {
		t->preexisting_objects += q->objects;
		t->preexisting_bytes += q->bytes;
	}
	return 0;
}

/* A per-seq list (or the expired list) starting at @head. */
RW_GLOBAL int census_list(__u64 instance, __u32 cpu, __u64 seq, __u32 where, __u64 head)
{
	struct census_queue q = {
		.instance = instance, .seq = seq, .root = head, .cpu = cpu, .where = where,
	};

	if (!head)
		return 0;
	bpf_loop(1 << 20, census_list_step, &q, 0);
	census_seed(&q);
	return 0;
}

struct census_pcpu {
	__u64 instance;
	__u64 p; /* this CPU's struct rcu_pending_pcpu */
	__u32 cpu;
};

static long census_seq_step(__u32 k, void *ctx)
{
	struct census_pcpu *c = ctx;
	struct rcu_pending_pcpu___rw *p = (void *)c->p;
	struct rcu_pending_seq___rw *data = BPF_CORE_READ(p, objs.data);
	struct rcu_pending_seq___rw *s =
		(void *)((__u64)data + k * bpf_core_type_size(struct rcu_pending_seq___rw));
	struct census_queue q = { .instance = c->instance, .cpu = c->cpu, .where = RW_WHERE_RADIX };
	__u64 nr = BPF_CORE_READ(s, nr);

	if (k >= BPF_CORE_READ(p, objs.nr))
		return 1;
	q.seq = BPF_CORE_READ(s, seq);
	q.root = (__u64)BPF_CORE_READ(s, objs.tree.root);
	bpf_loop(nr < (1 << 20) ? nr : (1 << 20), census_radix_step, &q, 0);
	census_seed(&q);
	return 0;
}

RW_GLOBAL int census_pcpu_queues(__u64 instance, __u64 pcpu, __u32 cpu)
{
	struct rcu_pending_pcpu___rw *p = (void *)pcpu;
	struct census_pcpu c = { .instance = instance, .p = pcpu, .cpu = cpu };

	bpf_loop(64, census_seq_step, &c, 0);
	census_list(instance, cpu, BPF_CORE_READ(p, lists[0].seq), RW_WHERE_LIST,
		    (__u64)BPF_CORE_READ(p, lists[0].head));
	census_list(instance, cpu, BPF_CORE_READ(p, lists[1].seq), RW_WHERE_LIST,
		    (__u64)BPF_CORE_READ(p, lists[1].head));
	census_list(instance, cpu, 0, RW_WHERE_EXPIRED, (__u64)BPF_CORE_READ(p, lists[2].head));
	return 0;
}

/*
 * One CPU's queues of the instance at @instance. Userspace runs it for every
 * CPU of every instance the filesystem walk labelled and no hook has seen
 * yet (see BpfLoader::census()); the last run notes the instance.
 */
SEC("raw_tp/rcuwatch_census_queues")
int BPF_PROG(census_queues, __u64 instance, __u64 cpu, __u64 last)
{
	struct rcu_pending___rw *rp = (void *)instance;
	__u64 percpu = (__u64)BPF_CORE_READ(rp, p), srcu;
	const unsigned long *off = bpf_per_cpu_ptr(&this_cpu_off, cpu);

	if (!percpu || skip_instance(instance))
		return 0;
	if (off)
		census_pcpu_queues(instance, percpu + *off, cpu);
	if (last) {
		srcu = (__u64)BPF_CORE_READ(rp, srcu);
		note_instance(instance, srcu, (__u64)BPF_CORE_READ(rp, process));
		watch_flavor(srcu);
		totals_of(instance); /* listed from now on, even if idle */
	}
	return 0;
}

struct census_fs_walk {
	__u64 head; /* &bch_fs_list */
	__u64 node;
};

static __always_inline void label(__u64 fs, __u64 instance, __u32 index)
{
	struct rw_instance_label l = { .index = index };

	bpf_probe_read_kernel_str(l.fs, sizeof(l.fs), ((struct bch_fs___rw *)fs)->name);
	bpf_map_update_elem(&instance_labels, &instance, &l, BPF_ANY);
}

static long census_fs_step(__u32 i, void *ctx)
{
	struct census_fs_walk *w = ctx;
	struct list_head *node = (void *)w->node; /* not w->node inside the macro: CO-RE would relocate it */
	__u64 fs, pending0;

	if (!w->node || w->node == w->head)
		return 1;
	fs = w->node - bpf_core_field_offset(struct bch_fs___rw, list);
	pending0 = fs + bpf_core_field_offset(struct bch_fs___rw, btree_key_cache) +
		   bpf_core_field_offset(struct btree_key_cache___rw, pending);
	label(fs, pending0, 0);
	label(fs, pending0 + bpf_core_type_size(struct rcu_pending___rw), 1);
	w->node = (__u64)BPF_CORE_READ(node, next);
	return 0;
}

/* ctx: the address of bch_fs_list. Labels every mounted filesystem's key-cache instances. */
SEC("raw_tp/rcuwatch_census")
int BPF_PROG(census, __u64 fs_list)
{
	struct census_fs_walk w = { .head = fs_list };

	if (!fs_list)
		return 0;
	w.node = (__u64)BPF_CORE_READ((struct list_head *)fs_list, next);
	bpf_loop(256, census_fs_step, &w, 0);
	return 0;
}

#endif /* RCUWATCH_CENSUS_BPF_H */
