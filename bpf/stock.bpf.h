/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stock kernels (no rcuwatch patch): the same accounting as the
 * tracepoints, rebuilt from function hooks (fentry/fexit or
 * kprobe/kretprobe, see stock_fentry.bpf.h and stock_kprobe.bpf.h). The
 * handlers here take decoded values, so the BPF tests drive them with
 * BPF_PROG_TEST_RUN through raw_tp wrappers (stock_test.bpf.h).
 *
 * What the patch reports at the moment an object joins a queue (under the
 * rcu_pending_pcpu lock) has no tracepoint here. The rcu_pending code
 * (fs/bcachefs/rcu_pending.c, 6.12: __rcu_pending_enqueue) computes the
 * object's cookie once, with the lock held, by calling
 * get_state_synchronize_[s]rcu(); the fexit of that call gives the exact
 * cookie and CPU. The object is placed there, still under the lock, unless
 * the enqueue first processes finished items (__process_finished_items(),
 * which drops the lock): then it is taken back out, and placed again at
 * the next hook that runs under the new lock (a poll_state_synchronize_*()
 * of process_finished_items(), or the call_srcu()/start_poll_*() that
 * starts its grace period), or processed at once if check_expired's poll
 * says its grace period is over. Only when no hook runs under that lock is
 * it placed when rcu_pending_enqueue() returns (RW_STAT_LATE_PLACEMENTS).
 *
 * Processing: __process_finished_items() is entered with the lock held. It
 * takes objs.data[0] if that seq's grace period elapsed, merges expired
 * lists and takes the expired list. Its decisions are the return values of
 * the poll_state_synchronize_*() calls it makes under the lock, in a known
 * order (data[0], lists[0], lists[1]); the batch is accounted when the last
 * of them returns, still under the lock.
 *
 * Dequeue: rcu_pending_dequeue*() return the object; where it sat comes
 * from the object map filled when it was placed.
 */
#ifndef RCUWATCH_STOCK_BPF_H
#define RCUWATCH_STOCK_BPF_H

#include "accounting.bpf.h"
#include "call_sites.bpf.h"
#include "kernel_read.bpf.h"

/* Where an object sits, from when it was placed until it leaves. */
struct rw_object_place {
	__u64 instance;
	__u64 seq;
	__u64 bytes;
	__u32 cpu;
	__u32 where;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* resized by the loader */
	__type(key, __u64);          /* what the queue holds: rcu_head *, or the kvfree pointer */
	__type(value, struct rw_object_place);
} objects SEC(".maps");

enum rw_enqueue_state {
	RW_ENQ_IDLE = 0,
	RW_ENQ_WANT_SEQ,  /* entered, the cookie not seen yet */
	RW_ENQ_PLACED,    /* placed under the current lock hold */
	RW_ENQ_RESTART,   /* lock dropped to process finished items: not placed */
	RW_ENQ_RELOCK,    /* its grace period not over: waiting for the next lock */
	RW_ENQ_DONE,      /* processed at once */
};

struct rw_enqueue {
	__u64 instance;
	__u64 srcu;
	__u64 obj;      /* what a radix tree holds: ptr ?: head */
	__u64 list_obj; /* what a list holds: head */
	__u64 bytes;
	__u64 seq;
	__u32 cpu;
	__u32 where;
	__u32 state;
	__u32 pad;
};

#define RW_PFI_POLLS 3 /* objs.data[0], lists[0], lists[1] */

struct rw_processing {
	__u64 instance;
	__u64 srcu;
	__u64 seq0;                        /* objs.data[0].seq */
	__u64 nr0;                         /* objs.data[0].nr */
	__u64 cookie[RW_PFI_POLLS];        /* the cookies polled, in order */
	__u64 list_nr[RW_PFI_POLLS];       /* objects of lists[0], lists[1] (once taken), expired */
	__u64 root0;                       /* objs.data[0]'s genradix root */
	__u64 list_head[RW_PFI_POLLS];     /* the first objects of lists[0], lists[1], expired */
	__u32 what[RW_PFI_POLLS];          /* 0: data[0], 1: lists[0], 2: lists[1] */
	__u32 decided[RW_PFI_POLLS];       /* each poll's answer */
	__u32 polls, seen;
	__u32 cpu;
	__u32 active;
};

/* Per task: an enqueue (and one nested in its processing), a processing, dequeue_from_all depth. */
struct rw_task {
	struct rw_enqueue enq[2];
	struct rw_processing pfi;
	__u32 depth;         /* enqueues in progress, at most 2 tracked */
	__u32 dequeue_depth; /* inside rcu_pending_dequeue_from_all() */
	/* kprobe mode: a function's arguments, from its entry to its kretprobe */
	__u64 arg_ssp, arg_cookie, arg_pending, arg_work;
};

/*
 * A task's entry stays when it goes idle (every field the handlers test is
 * back at zero then): its next hook finds it with one lookup, where an
 * insert and a delete per enqueue cost twice the rest of the hot path
 * (bench/bpf_bench.cpp, bpf/stock_enqueue). The LRU recycles the entries
 * of tasks that stopped enqueueing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct rw_task);
} tasks SEC(".maps");

static const struct rw_task zero_task;

static __always_inline struct rw_task *task_get(bool create)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rw_task *t = bpf_map_lookup_elem(&tasks, &id);

	if (t || !create)
		return t;
	bpf_map_update_elem(&tasks, &id, &zero_task, BPF_NOEXIST);
	return bpf_map_lookup_elem(&tasks, &id);
}

/* The innermost enqueue in progress on this task, or NULL. */
static __always_inline struct rw_enqueue *enqueue_of(struct rw_task *t)
{
	if (!t || !t->depth)
		return NULL;
	return t->depth > 1 ? &t->enq[1] : &t->enq[0];
}

/*
 * Grace periods without the rcu tracepoints: flavor @key's counter as read
 * now (rcu_seq, kernel/rcu/rcu.h: the low 2 bits are the state, 0 when
 * idle; each grace period's end adds 4 above them). Ends and starts since
 * the last reading are counted; an end is timed only from a start seen.
 * A start's reading always has state bits, so last_start_gp_seq 0 means
 * none seen; last_end_gp_seq may be any value, 0 included, and SRCU's
 * counter starts 100 grace periods below zero (SRCU_GP_SEQ_INITIAL_VAL).
 */
static __always_inline void gp_observe(struct rw_gp_stats *g, __u64 key, __u64 gp_seq)
{
	__u64 now = bpf_ktime_get_ns(), last = g->last_end_gp_seq, ends;

	if (g->last_start_gp_seq && seq_before(last, g->last_start_gp_seq))
		last = g->last_start_gp_seq;
	if (!seq_before(last, gp_seq))
		return;
	ends = ((gp_seq & ~3ULL) - (last & ~3ULL)) >> 2; /* wrap-safe: last is before gp_seq */
	if (ends) {
		/* The one that ended last started unseen: after the last end
		 * read, or after another end between two readings. */
		if (!(last & 3) || ends > 1)
			g->last_start_ns = 0;
		g->completed += ends - 1;
		gp_ended(g, key, gp_seq & ~3ULL, now);
	}
	/* A start read together with an end came after it: 1 ns later, so that
	 * "started after the last end" (a grace period in progress) holds. */
	if ((gp_seq & 3) && (ends || !(last & 3)))
		gp_started(g, key, gp_seq, ends ? now + 1 : now);
	g->started = g->completed + ((gp_seq & 3) != 0);
}

/* Flavor @key's counter read now, if rcuwatch watches that flavor. */
static __always_inline void gp_observe_watched(__u64 key)
{
	struct rw_gp_stats *g = bpf_map_lookup_elem(&grace_periods, &key);
	__u64 gp_seq;

	if (g && flavor_gp_seq(key, &gp_seq))
		gp_observe(g, key, gp_seq);
}

/*
 * A flavor's first reading, built here and inserted whole: another CPU
 * that finds the flavor watched finds it where it stood, never at zero
 * (from which its next reading would count every grace period since boot).
 * The histogram is never written: it stays zero.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_gp_stats);
} gp_first_sight SEC(".maps");

/* Watch flavor @key from now on, first read at @gp_seq: where it stands,
 * nothing counted (a running grace period's start is unknown). */
static __always_inline void gp_watch(__u64 key, __u64 gp_seq)
{
	__u32 zero = 0;
	struct rw_gp_stats *f = bpf_map_lookup_elem(&gp_first_sight, &zero);

	if (!f)
		return;
	f->completed = 0;
	f->started = (gp_seq & 3) != 0;
	f->last_start_ns = 0;
	f->last_end_ns = 0;
	f->last_start_gp_seq = (gp_seq & 3) ? gp_seq : 0;
	f->last_end_gp_seq = gp_seq & ~3ULL;
	f->last_duration_ns = 0;
	f->duration_sum_ns = 0;
	bpf_map_update_elem(&grace_periods, &key, f, BPF_NOEXIST);
}

/* An instance seen with its flavor: watch the flavor from now on. */
static __always_inline void watch_flavor(__u64 srcu)
{
	__u64 gp_seq;

	if (!bpf_map_lookup_elem(&grace_periods, &srcu) && flavor_gp_seq(srcu, &gp_seq))
		gp_watch(srcu, gp_seq);
}

static __always_inline __u64 sized(__u64 bytes)
{
	if (!bytes)
		stat_add(RW_STAT_UNSIZED_OBJECTS, 1);
	return bytes;
}

static __always_inline void place(struct rw_enqueue *e, __u32 cpu, __u32 where)
{
	struct rw_object_place loc = {
		.instance = e->instance, .seq = e->seq, .bytes = e->bytes, .cpu = cpu, .where = where,
	};

	pending_add(e->instance, cpu, e->seq, where, e->bytes);
	bpf_map_update_elem(&objects, where == RW_WHERE_LIST ? &e->list_obj : &e->obj, &loc, BPF_ANY);
	if (where == RW_WHERE_LIST)
		count_list_object(e->instance);
	e->cpu = cpu;
	e->where = where;
	e->state = RW_ENQ_PLACED;
}

/* The object was not placed after all (the lock was dropped first). */
static __always_inline void unplace(struct rw_enqueue *e)
{
	pending_sub(e->instance, e->cpu, e->seq, e->where, e->bytes);
	bpf_map_delete_elem(&objects, e->where == RW_WHERE_LIST ? &e->list_obj : &e->obj);
}

/*
 * rcu_pending_enqueue(pending, head) entered, or rcu_pending_kvfree(pending,
 * head, ptr): @obj is what a radix tree will hold (ptr ?: head), @head what
 * a list will; @bytes what the object holds.
 */
struct rw_new_object {
	__u64 instance;
	__u64 srcu;
	__u64 process;
	__u64 obj;
	__u64 head;
	__u64 bytes;
};

RW_GLOBAL int stock_enqueue_enter(const struct rw_new_object *o)
{
	if (!o)
		return 0;
	__u64 instance = o->instance, srcu = o->srcu;
	struct rw_task *t;
	struct rw_enqueue *e;

	if (skip_instance(instance))
		return 0;
	if (!bpf_map_lookup_elem(&instances, &instance)) {
		note_instance(instance, srcu, o->process);
		watch_flavor(srcu);
	}
	count_enqueued(instance, o->bytes);
	t = task_get(true);
	if (!t)
		return 0;
	if (t->depth >= 2) {
		/* Deeper than we track: it will show as untracked when it leaves. */
		stat_add(RW_STAT_NESTED_ENQUEUES, 1);
		count_queued(instance, bpf_get_smp_processor_id(), o->bytes);
		t->depth++;
		return 0;
	}
	t->depth++;
	e = enqueue_of(t);
	if (!e)
		return 0;
	e->instance = instance;
	e->srcu = srcu;
	e->obj = o->obj;
	e->list_obj = o->head;
	e->bytes = sized(o->bytes);
	e->seq = 0;
	e->state = RW_ENQ_WANT_SEQ;
	return 0;
}

/*
 * The enqueue hook of every stock mode (and of its test wrapper): its call
 * site (@ctx: the hook's context, for the stack), then the accounting. The
 * call site's CPU is the one enqueueing: the queue is known only later.
 */
static __always_inline void stock_enqueue(void *ctx, const struct rw_new_object *o)
{
	if (!instance_filter || o->instance == instance_filter)
		sample_call_site(ctx, o->instance, bpf_get_smp_processor_id(), o->bytes);
	stock_enqueue_enter(o);
}

/* get_state_synchronize_[s]rcu(@ssp) returned @cookie on @cpu (lock held, IRQs off). */
RW_GLOBAL int stock_cookie(__u64 ssp, __u64 cookie, __u32 cpu)
{
	struct rw_enqueue *e = enqueue_of(task_get(false));

	if (!e || e->state != RW_ENQ_WANT_SEQ || e->srcu != ssp)
		return 0;
	e->seq = cookie;
	place(e, cpu, RW_WHERE_RADIX);
	return 0;
}

/* Before the lock is taken again, or at a start-of-grace-period call under it. */
RW_GLOBAL int stock_under_lock(__u64 ssp, __u32 cpu)
{
	struct rw_enqueue *e = enqueue_of(task_get(false));

	if (e && e->state == RW_ENQ_RELOCK && e->srcu == ssp)
		place(e, cpu, RW_WHERE_RADIX);
	return 0;
}

/* rcu_pending_enqueue_list() entered (lock held): the object goes on a per-seq list. */
RW_GLOBAL int stock_list_enter(__u32 cpu)
{
	struct rw_enqueue *e = enqueue_of(task_get(false));

	if (!e)
		return 0;
	if (e->state == RW_ENQ_PLACED && e->where == RW_WHERE_RADIX) {
		unplace(e);
		place(e, e->cpu, RW_WHERE_LIST);
	} else if (e->state == RW_ENQ_RELOCK) {
		place(e, cpu, RW_WHERE_LIST);
	}
	return 0;
}

/* rcu_pending_enqueue() returns on @cpu. */
RW_GLOBAL int stock_enqueue_exit(__u32 cpu)
{
	struct rw_task *t = task_get(false);
	struct rw_enqueue *e = enqueue_of(t);

	if (!t)
		return 0;
	if (t->depth > 2) {
		t->depth--;
		return 0;
	}
	if (e && e->state != RW_ENQ_PLACED && e->state != RW_ENQ_DONE) {
		__u64 gp_seq = 0;

		/* Its cookie was never seen: rcu_seq_snap() of the counter now. */
		if (e->state == RW_ENQ_WANT_SEQ && flavor_gp_seq(e->srcu, &gp_seq))
			e->seq = (gp_seq + 7) & ~3ULL;
		stat_add(RW_STAT_LATE_PLACEMENTS, 1);
		place(e, cpu, RW_WHERE_RADIX);
	}
	/* Placed (e->cpu: the queue that took it) or processed at once. */
	if (e)
		count_queued(e->instance, e->cpu, e->bytes);
	if (t->depth)
		t->depth--;
	return 0;
}

/*
 * Objects on an rcu_pending_list (singly linked through rcu_head.next),
 * counted with the queue's lock held: the expired list when processing
 * begins, and lists[0] or lists[1] only once its poll says it is taken
 * (its own tail still ends it then: the merge comes after the poll). A
 * list that is not taken is not walked: under memory pressure the newest
 * list grows while the older seqs are processed.
 */
struct list_walk {
	__u64 cur;
	__u64 n;
};

static long list_step(__u32 i, void *ctx)
{
	struct list_walk *w = ctx;
	struct callback_head *cur = (struct callback_head *)w->cur;

	if (!cur)
		return 1;
	w->n++;
	w->cur = (__u64)BPF_CORE_READ(cur, next);
	return 0;
}

static __always_inline __u64 list_length(__u64 head)
{
	struct list_walk w = { .cur = head };

	if (!head)
		return 0;
	bpf_loop(1 << 20, list_step, &w, 0);
	if (w.cur)
		stat_add(RW_STAT_PROCESS_MISMATCH, 1); /* longer than we walk */
	return w.n;
}

/*
 * Forgetting processed objects. An object's entry in the objects map is
 * deleted when it is dequeued; one that is processed leaves with its whole
 * batch. Its entry is deleted then, under the lock, before the batch is
 * freed: walking the taken radix tree and lists as they stood when
 * __process_finished_items() was entered, each bounded by the count read
 * then (a merged list's tail links on to the next list). Otherwise the
 * entries of processed objects stay until the LRU evicts them, and once
 * the map is full (on any long-running system) every placement pays for
 * an eviction, and the entry evicted may be a live object's.
 *
 * The walk runs with the queue's lock held and IRQs off, so it is bounded:
 * at most RW_FORGET_MAX objects a batch (about 60 ns each), the rest of a
 * larger batch left for the LRU to evict, as before.
 */
#define RW_FORGET_MAX 1024
struct forget_walk {
	__u64 root; /* radix: the genradix root; list: the next object */
	__u64 nr;
};

static long forget_radix_step(__u32 i, void *ctx)
{
	struct forget_walk *w = ctx;
	__u64 obj;

	if (i >= w->nr)
		return 1;
	obj = genradix_elem(w->root, i);
	if (obj)
		bpf_map_delete_elem(&objects, &obj);
	return 0;
}

static long forget_list_step(__u32 i, void *ctx)
{
	struct forget_walk *w = ctx;
	__u64 obj = w->root;

	if (i >= w->nr || !obj)
		return 1;
	bpf_map_delete_elem(&objects, &obj);
	w->root = (__u64)BPF_CORE_READ((struct callback_head *)obj, next);
	return 0;
}

/* Up to @nr objects from @head, out of the @budget left; what is left of it. */
static __always_inline __u32 forget_list(__u64 head, __u64 nr, __u32 budget)
{
	struct forget_walk w = { .root = head, .nr = nr < budget ? nr : budget };

	if (!head || !w.nr)
		return budget;
	bpf_loop(w.nr, forget_list_step, &w, 0);
	return budget - w.nr;
}

static __always_inline void forget_processed(const struct rw_processing *pfi, bool radix)
{
	struct forget_walk w = { .root = pfi->root0 };
	__u32 budget = RW_FORGET_MAX;

	if (radix && w.root) {
		w.nr = pfi->nr0 < budget ? pfi->nr0 : budget;
		bpf_loop(w.nr, forget_radix_step, &w, 0);
		budget -= w.nr;
	}
	for (int i = 0; i < RW_PFI_POLLS; i++) {
		__u32 l = pfi->what[i] - 1;

		if (i < pfi->seen && pfi->decided[i] && l < 2)
			budget = forget_list(pfi->list_head[l], pfi->list_nr[l], budget);
	}
	forget_list(pfi->list_head[2], pfi->list_nr[2], budget);
}

/* The batch decided: accounted; @under_lock: its objects still there, forgotten. */
static __always_inline void processing_done(struct rw_processing *pfi, bool under_lock)
{
	__u64 nr_list = pfi->list_nr[2], nr_radix = 0, seq = 0;
	bool took_radix = false;

	for (int i = 0; i < RW_PFI_POLLS; i++) {
		if (i >= pfi->seen || !pfi->decided[i])
			continue;
		if (pfi->what[i] == 0) {
			seq = pfi->seq0; /* taken, even if empty */
			nr_radix = pfi->nr0;
			took_radix = true;
		} else {
			__u32 l = pfi->what[i] - 1;

			if (l < 2) {
				list_expired(pfi->instance, pfi->cpu, pfi->cookie[i], pfi->list_nr[l]);
				nr_list += pfi->list_nr[l];
			}
		}
	}
	processed_batch(pfi->instance, pfi->cpu, seq, nr_radix, nr_list);
	if (under_lock)
		forget_processed(pfi, took_radix);
	pfi->active = 0;
}

/*
 * __process_finished_items(pending, p) entered, lock held: what it will
 * look at. @nseq: p->objs.nr; @seq0/@nr0: objs.data[0]; @list_seq:
 * lists[0..1] (polled when their head is set; counted when taken);
 * @expired_nr: lists[2].
 */
struct rw_pcpu_state {
	__u64 instance;
	__u64 srcu;
	__u64 nseq;
	__u64 seq0;
	__u64 nr0;
	__u64 list_seq[2];
	__u64 expired_nr;
	__u64 root0;        /* objs.data[0]'s genradix root */
	__u64 list_head[3]; /* lists[0..2].head */
	__u32 cpu;
	__u32 pad;
};

RW_GLOBAL int stock_processing_enter(const struct rw_pcpu_state *ps)
{
	if (!ps)
		return 0;
	__u64 instance = ps->instance, nseq = ps->nseq;
	struct rw_task *t;
	struct rw_enqueue *e;
	struct rw_processing *pfi;
	__u32 n = 0;

	if (skip_instance(instance))
		return 0;
	t = task_get(true);
	if (!t)
		return 0;
	/* Inside our enqueue: it drops the lock before our object is placed. */
	e = enqueue_of(t);
	if (e && e->instance == instance) {
		if (e->state == RW_ENQ_PLACED)
			unplace(e);
		if (e->state == RW_ENQ_PLACED || e->state == RW_ENQ_RELOCK)
			e->state = RW_ENQ_RESTART;
	}
	pfi = &t->pfi;
	pfi->instance = instance;
	pfi->srcu = ps->srcu;
	pfi->cpu = ps->cpu;
	pfi->seq0 = nseq ? ps->seq0 : 0;
	pfi->nr0 = nseq ? ps->nr0 : 0;
	pfi->list_nr[0] = 0; /* counted at their polls, if taken */
	pfi->list_nr[1] = 0;
	pfi->list_nr[2] = ps->expired_nr;
	pfi->root0 = nseq ? ps->root0 : 0;
	pfi->list_head[0] = ps->list_head[0];
	pfi->list_head[1] = ps->list_head[1];
	pfi->list_head[2] = ps->list_head[2];
	/* The polls it makes, in order: process_finished_items() and merge_expired_lists(). */
	if (nseq) {
		pfi->cookie[0] = ps->seq0;
		pfi->what[0] = 0;
		n = 1;
	}
	if (ps->list_head[0] && n < RW_PFI_POLLS) {
		pfi->cookie[n] = ps->list_seq[0];
		pfi->what[n] = 1;
		n++;
	}
	if (ps->list_head[1] && n < RW_PFI_POLLS) {
		pfi->cookie[n] = ps->list_seq[1];
		pfi->what[n] = 2;
		n++;
	}
	pfi->polls = n;
	pfi->seen = 0;
	pfi->decided[0] = pfi->decided[1] = pfi->decided[2] = 0;
	pfi->active = 1;
	if (!n)
		processing_done(pfi, true);
	return 0;
}

/* poll_state_synchronize_[s]rcu(@ssp, @cookie) returned @elapsed on @cpu. */
RW_GLOBAL int stock_poll(__u64 ssp, __u64 cookie, __u32 elapsed, __u32 cpu)
{
	struct rw_task *t = task_get(false);
	struct rw_enqueue *e;

	if (!t)
		return 0;
	if (t->pfi.active && t->pfi.srcu == ssp) {
		struct rw_processing *pfi = &t->pfi;
		__u32 i = pfi->seen;

		if (i < RW_PFI_POLLS && pfi->cookie[i] == cookie) {
			__u32 l = pfi->what[i] - 1;

			/* A list taken: counted now, before it is merged. */
			if (elapsed && l < 2)
				pfi->list_nr[l] = list_length(pfi->list_head[l]);
			pfi->decided[i] = elapsed;
			pfi->seen = i + 1;
			if (pfi->seen >= pfi->polls)
				processing_done(pfi, true);
			return 0;
		}
	}
	e = enqueue_of(t);
	if (!e || e->srcu != ssp)
		return 0;
	if (e->state == RW_ENQ_RESTART && cookie == e->seq) {
		/* check_expired: processed now, or queued under the next lock. */
		if (elapsed) {
			count_immediate(e->instance, e->bytes);
			e->cpu = cpu;
			e->state = RW_ENQ_DONE;
		} else {
			e->state = RW_ENQ_RELOCK;
		}
	} else if (e->state == RW_ENQ_RELOCK) {
		place(e, cpu, RW_WHERE_RADIX);
	} else if (e->state == RW_ENQ_PLACED && e->where == RW_WHERE_LIST && elapsed &&
		   cookie != e->seq) {
		/*
		 * rcu_pending_enqueue_list() found both lists taken by other
		 * seqs: its merge_expired_lists() polls them, lock held, and
		 * moves each one whose grace period is over to the expired
		 * list. Not a processing: without this the list's objects
		 * would stay pending under their seq, and show as untracked
		 * when the expired list is processed. The kernel's count is
		 * not at hand (the list is not): what rcuwatch tracked moves.
		 * Only an enqueue that may not sleep gets here (one that may
		 * first processes what expired: docs/kernel.md).
		 */
		list_expired(e->instance, e->cpu, cookie, RW_NR_TRACKED);
	}
	return 0;
}

/* __process_finished_items() returned: a poll it never made ends the batch as known. */
RW_GLOBAL int stock_processing_exit(void)
{
	struct rw_task *t = task_get(false);

	if (!t)
		return 0;
	if (t->pfi.active) {
		stat_add(RW_STAT_PROCESS_MISMATCH, 1);
		processing_done(&t->pfi, false); /* after the unlock: the batch may be freed */
	}
	return 0;
}

/* rcu_pending_dequeue*() of @instance returned @obj. */
RW_GLOBAL int stock_dequeued(__u64 instance, __u64 obj)
{
	struct rw_object_place *loc;
	bool tracked = false;
	__u64 bytes;

	if (!obj || skip_instance(instance))
		return 0;
	loc = bpf_map_lookup_elem(&objects, &obj);
	if (loc && loc->instance == instance) {
		bytes = loc->bytes;
		tracked = pending_sub(instance, loc->cpu, loc->seq, loc->where, bytes);
		/* A list object may have moved to the expired list since. */
		if (!tracked && loc->where == RW_WHERE_LIST)
			tracked = pending_sub(instance, loc->cpu, 0, RW_WHERE_EXPIRED, bytes);
		bpf_map_delete_elem(&objects, &obj);
	} else {
		bytes = sized(object_bytes(obj));
	}
	count_dequeued(instance, bytes, tracked);
	return 0;
}

RW_GLOBAL int stock_dequeue_all_enter(void)
{
	struct rw_task *t = task_get(true);

	if (t)
		t->dequeue_depth++;
	return 0;
}

/* rcu_pending_dequeue() returned; @from_all: rcu_pending_dequeue_from_all(). */
RW_GLOBAL int stock_dequeue_exit(__u64 instance, __u64 obj, __u32 from_all)
{
	struct rw_task *t = task_get(false);

	if (t && t->dequeue_depth && !from_all)
		return 0; /* inside dequeue_from_all, which reports the same object */
	if (t && from_all && t->dequeue_depth)
		t->dequeue_depth--;
	stock_dequeued(instance, obj);
	return 0;
}

#endif /* RCUWATCH_STOCK_BPF_H */
