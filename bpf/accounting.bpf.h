/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The maps and the accounting every attach mode shares. A mode's programs
 * turn what their hooks see into these calls: an object enters a queue
 * (pending_add), leaves it before processing (pending_sub), a per-seq list
 * expires (list_expired), a batch is processed (processed_batch).
 *
 * Per-object work only updates maps, so pending totals stay exact whatever
 * happens to the ring buffer. Only low-rate lifecycle events (seq opened,
 * seq processed, list expired, grace period start/end) are sent to
 * userspace through the ring buffer; a full ring buffer is counted in
 * RW_STAT_RINGBUF_DROPS.
 */
#ifndef RCUWATCH_ACCOUNTING_BPF_H
#define RCUWATCH_ACCOUNTING_BPF_H

#include "events.h"

/* Set before load (rodata). */
const volatile __u64 instance_filter = 0; /* only this struct rcu_pending *, 0 = all */
/* Map pending_slots: a queue per row (RW_SLOT_ROWS) for each CPU below slot_cpus (0: off). */
const volatile __u32 slot_cpus = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, struct rw_pending_key);
	__type(value, struct rw_pending_val);
} pending SEC(".maps");

/*
 * Per-instance totals live in a per-CPU array, one slot per instance: an
 * array lookup is inlined by the verifier (an address computation), where a
 * hash lookup is a helper call that hashes the key and walks a bucket; those
 * of the first RW_CPU_STATE_TOTALS slots live at the end of this CPU's
 * state (map cpu_state), which the hot path has looked up already. The
 * slot is found through instance_slots (instance -> slot, given on first
 * sight from slot_counter and never taken back), and on the hot path
 * through each CPU's slot cache (map cpu_state): rcu_pending's one
 * in-tree user has one instance per filesystem, so consecutive events
 * nearly always name the instance the previous one did.
 */
#define RW_MAX_INSTANCES 1024

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_MAX_INSTANCES);
	__type(key, __u32);
	__type(value, struct rw_instance_totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RW_MAX_INSTANCES);
	__type(key, __u64);
	__type(value, __u32);
} instance_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} slot_counter SEC(".maps");

/*
 * An instance this CPU's events named lately: its slot + 1 (0: none yet)
 * and the row of its queues in pending_slots (struct rw_instance_ref).
 */
struct rw_slot_cache {
	__u64 instance;
	__u32 slot_plus1;
	__u32 queue_row;
};

/* Direct-mapped: bcachefs's key cache alternates between its two instances. */
#define RW_SLOT_CACHE_WAYS 16

/* This CPU's count since its last call-site sample (call_sites.bpf.h). */
struct rw_sampler {
	__u64 bytes;
	__u64 objects;
	__u64 threshold; /* bytes that trigger the next sample; 0 at first: sample at once */
};

/*
 * What a CPU's events keep between them, in one per-CPU value so that one
 * (inlined) lookup serves each hot-path program: its hits (the enqueue and
 * dequeue tracepoints' share of RW_STAT_EVENTS, which userspace adds from
 * this first word of each CPU's value: map_reader.cpp), the instance ->
 * slot cache, the call-site sampler and the first slots' totals.
 */
struct rw_cpu_state {
	__u64 events; /* first: userspace reads it there */
	__u64 filling; /* 1 while a program on this CPU writes a cache way (fill_ref()) */
	struct rw_slot_cache ways[RW_SLOT_CACHE_WAYS];
	struct rw_sampler sampler;
	/* Last: the totals of instance slots below RW_CPU_STATE_TOTALS (events.h). */
	struct rw_instance_totals totals[RW_CPU_STATE_TOTALS];
};
_Static_assert(sizeof(struct rw_cpu_state) ==
		       __builtin_offsetof(struct rw_cpu_state, totals) +
			       RW_CPU_STATE_TOTALS * sizeof(struct rw_instance_totals),
	       "userspace finds the totals at the end of cpu_state's value");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_cpu_state);
} cpu_state SEC(".maps");

/*
 * Tracepoint mode keeps the seqs of up to RW_SLOT_ROWS instances here
 * instead of in map pending: RW_SEQ_SLOTS slots per queue (CPU, row),
 * enough for the seqs a queue has live at once unless its processing falls
 * behind. A queue's slots are one value of the array (one inlined lookup
 * finds them all; in memory they are RW_SEQ_SLOTS consecutive struct
 * rw_pending_slot, as userspace reads them), at index rw_queue_index(CPU,
 * row): in tiles of RW_SLOT_TILE_CPUS CPUs, each tile row by row, so that
 * memory order keeps an instance's queues on neighbouring CPUs together,
 * the order in which userspace's rows gather them. An instance claims a row the first time it is seen (map
 * row_owners): its home row, a hash of its address (rw_slot_home_row()), or
 * if another instance owns that one, the next free one. So the hot path
 * finds the queue of an instance in its home row from the event's
 * arguments alone, reading nothing first (no number of rows or CPUs from
 * .rodata either: RW_SLOT_ROWS is a constant, and the array's bound stops
 * a CPU it has no queues for). An instance in another row takes the
 * general path, which knows its row from the slot cache; one that finds
 * every row taken keeps its seqs in map pending. A seq that finds no free
 * slot when it opens goes to map pending, and stays there until
 * processed; a seq in a slot stays in it until processed (a slot emptied
 * by dequeues keeps its seq, at 0 objects), so no seq is ever in both.
 * Every change to a queue's slots happens under that queue's lock (the
 * patch's tracepoints): plain adds are exact.
 */
struct rw_queue_slots {
	struct rw_pending_slot slot[RW_SEQ_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* resized by the loader */
	__type(key, __u32);
	__type(value, struct rw_queue_slots);
} pending_slots SEC(".maps");

/* Each row of pending_slots: the instance that owns it, 0 while none does. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RW_SLOT_ROWS);
	__type(key, __u32);
	__type(value, __u64);
} row_owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct rw_instance_info);
} instances SEC(".maps");

/*
 * Enqueues per (instance, queue CPU): exact per-CPU enqueue rates (the
 * callback_flood detector). Stock modes count every enqueue here (atomics:
 * the hooks run without rcu_pending's lock). Tracepoint mode counts nothing
 * here on its hot path: its per-CPU totals already count each enqueue on the
 * CPU that made it, which is the queue's CPU (rcu_pending queues on
 * this_cpu_ptr() under the queue's lock); only an enqueue traced on another
 * CPU (after the lock was dropped) adds a correction here, +1 on its queue's
 * CPU and -1 (modulo 2^64) on the CPU that counted it, which userspace adds
 * to the per-CPU totals (map_reader.cpp).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct rw_queue_key);
	__type(value, struct rw_queue_totals);
} queues SEC(".maps");

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

/*
 * A global BPF function: verified once on its own (with unknown scalar
 * arguments), not again at every call site, which keeps the stock programs
 * (many hooks, each calling several of these) within the verifier's budget.
 * Arguments and results are scalars only.
 */
#define RW_GLOBAL __attribute__((noinline))

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif
#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

static const struct rw_queue_totals zero_queue;
static const struct rw_gp_stats zero_gp;

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

/* Counts a hook hit; true when --instance excludes @instance. */
static __always_inline bool skip_instance(__u64 instance)
{
	stat_add(RW_STAT_EVENTS, 1);
	return instance_filter && instance != instance_filter;
}

/* skip_instance() for the hot path: the hit counted in this CPU's state @st. */
static __always_inline bool skip_instance_in(struct rw_cpu_state *st, __u64 instance)
{
	st->events++;
	return instance_filter && instance != instance_filter;
}

/*
 * @instance's slot from instance_slots, given a new one if it has none;
 * -1 when every slot is taken (its events are then not counted per instance).
 */
RW_GLOBAL int instance_slot_new(__u64 instance)
{
	__u32 zero = 0, *slot, fresh;
	__u64 *counter, n;

	slot = bpf_map_lookup_elem(&instance_slots, &instance);
	if (slot)
		return *slot;
	counter = bpf_map_lookup_elem(&slot_counter, &zero);
	if (!counter)
		return -1;
	/* Two CPUs may both get here: the insert picks one; the other's number is wasted. */
	n = __sync_fetch_and_add(counter, 1);
	if (n >= RW_MAX_INSTANCES)
		return -1;
	fresh = n;
	bpf_map_update_elem(&instance_slots, &instance, &fresh, BPF_NOEXIST);
	slot = bpf_map_lookup_elem(&instance_slots, &instance);
	return slot ? *slot : -1;
}

/*
 * Where an instance's counts live: its slot (-1 when every slot is taken)
 * and the row of its queues in pending_slots (RW_NO_QUEUE_ROW: none).
 */
struct rw_instance_ref {
	int slot;
	__u32 queue_row;
};

/* Not a row (queue_slots() tests for it: rw_queue_index() would wrap it to one). */
#define RW_NO_QUEUE_ROW 0x80000000U

static const struct rw_instance_ref no_instance_ref = { .slot = -1, .queue_row = RW_NO_QUEUE_ROW };

/*
 * Fills @ref from @c if @c names @instance. A program on this CPU may
 * interrupt another one between its reads of the cache (stock mode's hooks
 * run with interrupts on), so the instance is read again after the rest: a
 * cache rewritten in between no longer names it.
 */
static __always_inline bool cached_ref(struct rw_slot_cache *c, __u64 instance,
				       struct rw_instance_ref *ref)
{
	__u32 plus1, row;

	if (READ_ONCE(c->instance) != instance)
		return false;
	plus1 = READ_ONCE(c->slot_plus1);
	row = READ_ONCE(c->queue_row);
	barrier();
	if (!plus1 || READ_ONCE(c->instance) != instance)
		return false;
	ref->slot = plus1 - 1;
	ref->queue_row = row;
	return true;
}

/*
 * @instance's row in pending_slots, claimed if it has none: the first row
 * from its home row on that it owns or that no instance owns;
 * RW_NO_QUEUE_ROW when every row is another's. A row is never given back
 * (nor is an instance slot), so the rows an instance passes on its way
 * stay taken: it finds the same row every time, and none of its seqs is
 * ever both in a slot and in map pending.
 */
static __always_inline __u32 claim_queue_row(__u64 instance)
{
	__u32 home = rw_slot_home_row(instance);

	if (!slot_cpus)
		return RW_NO_QUEUE_ROW;
	for (__u32 i = 0; i < RW_SLOT_ROWS; i++) {
		__u32 row = (home + i) & (RW_SLOT_ROWS - 1);
		__u64 *owner = bpf_map_lookup_elem(&row_owners, &row);
		__u64 was;

		if (!owner)
			break;
		was = READ_ONCE(*owner);
		/* Two instances may claim a row at once: the exchange picks one. */
		if (!was)
			was = __sync_val_compare_and_swap(owner, 0, instance);
		if (!was || was == instance)
			return row;
	}
	return RW_NO_QUEUE_ROW;
}

/*
 * @instance's slot through instance_slots (a slot given if it has none),
 * cached in @c, a way of this CPU's @st. A way is written in steps; a
 * program that interrupts the writer (another hook on this CPU: stock
 * modes run with interrupts on) and wrote the same way between two of
 * them would leave it naming one instance with another's slot. Programs
 * on one CPU nest last in, first out, so the nested one sees @st->filling
 * and leaves the cache alone: the writes of a fill are never interleaved.
 */
static __always_inline struct rw_instance_ref fill_ref(struct rw_cpu_state *st,
						       struct rw_slot_cache *c, __u64 instance)
{
	struct rw_instance_ref ref;
	int s = instance_slot_new(instance);

	if (s < 0)
		return no_instance_ref;
	ref.slot = s;
	ref.queue_row = claim_queue_row(instance);
	if (READ_ONCE(st->filling))
		return ref;
	WRITE_ONCE(st->filling, 1);
	barrier();
	WRITE_ONCE(c->slot_plus1, 0);
	barrier();
	WRITE_ONCE(c->instance, instance);
	WRITE_ONCE(c->queue_row, ref.queue_row);
	barrier();
	WRITE_ONCE(c->slot_plus1, (__u32)s + 1);
	barrier();
	WRITE_ONCE(st->filling, 0);
	return ref;
}

/* This CPU's state (slot cache, call-site sampler). */
static __always_inline struct rw_cpu_state *cpu_state_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/* @st's cache way for @instance. */
static __always_inline struct rw_slot_cache *slot_cache_way(struct rw_cpu_state *st,
							    __u64 instance)
{
	return &st->ways[rw_instance_hash(instance) >> 60];
}

/* @instance's slot and queue row, through this CPU's cache @st. */
static __always_inline struct rw_instance_ref instance_ref_in(struct rw_cpu_state *st,
							       __u64 instance)
{
	struct rw_slot_cache *c = slot_cache_way(st, instance);
	struct rw_instance_ref ref;

	if (__builtin_expect(cached_ref(c, instance, &ref), 1))
		return ref;
	return fill_ref(st, c, instance);
}

/* @instance's slot and queue row. */
static __always_inline struct rw_instance_ref instance_ref(__u64 instance)
{
	struct rw_cpu_state *st = cpu_state_here();

	return st ? instance_ref_in(st, instance) : no_instance_ref;
}

/*
 * The totals of instance slot @slot on this CPU, whose state is @st: in
 * @st for the first slots (no second lookup), else in map totals; NULL for
 * -1 (past the array's end as a key).
 */
static __always_inline struct rw_instance_totals *totals_in(struct rw_cpu_state *st, int slot)
{
	__u32 key = slot;

	if (__builtin_expect(key < RW_CPU_STATE_TOTALS, 1))
		return &st->totals[key];
	return bpf_map_lookup_elem(&totals, &key);
}

/* @instance's totals on this CPU; NULL when every slot is taken. */
static __always_inline struct rw_instance_totals *totals_of(__u64 instance)
{
	struct rw_cpu_state *st = cpu_state_here();

	return st ? totals_in(st, instance_ref_in(st, instance).slot) : NULL;
}

/*
 * Userspace reads the ring at least every 100 ms (live_source.cpp). The
 * default wakeup (whenever the reader has caught up: nearly every event at
 * a few hundred events a second) costs the traced kernel code an irq_work
 * and rcuwatch a context switch per lifecycle event; wake it only once the
 * ring is a quarter full.
 */
static __always_inline __u64 ringbuf_wakeup(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
			       bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
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
	bpf_ringbuf_submit(e, ringbuf_wakeup());
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

static __always_inline void pending_key(struct rw_pending_key *key, __u64 instance, __u32 cpu,
					__u64 seq, __u32 where)
{
	key->instance = instance;
	key->seq = where == RW_WHERE_EXPIRED ? 0 : seq;
	key->cpu = cpu;
	key->where = where;
}

/*
 * An object of @bytes joined the queue (instance, cpu, seq, where).
 * @locked: the caller runs under the rcu_pending_pcpu lock of @cpu, as the
 * patch's tracepoints do. Every change to an entry keyed by that CPU is then
 * serialized by the kernel's own lock, and plain adds are exact; without it
 * (stock mode may place an object after the lock is dropped) they are atomic.
 */
static __always_inline void pending_add_to(__u64 instance, __u32 cpu, __u64 seq, __u32 where,
					   __u64 bytes, const bool locked)
{
	struct rw_pending_key key = {};
	struct rw_pending_val *v;

	pending_key(&key, instance, cpu, seq, where);
	v = pending_get(&key);
	if (!v)
		return;
	if (locked) {
		v->objects++;
		v->bytes += bytes;
	} else {
		__sync_fetch_and_add(&v->objects, 1);
		__sync_fetch_and_add(&v->bytes, bytes);
	}
}

/*
 * An object of @bytes left (instance, cpu, seq, where) before being
 * processed. False when rcuwatch had no entry for it. @locked as above.
 */
static __always_inline bool pending_sub_from(__u64 instance, __u32 cpu, __u64 seq, __u32 where,
					     __u64 bytes, const bool locked)
{
	struct rw_pending_key key = {};
	struct rw_pending_val *v;
	__s64 before;

	pending_key(&key, instance, cpu, seq, where);
	v = bpf_map_lookup_elem(&pending, &key);
	if (!v)
		return false;
	if (locked) {
		v->bytes -= bytes;
		before = v->objects--;
	} else {
		__sync_fetch_and_add(&v->bytes, -(__s64)bytes);
		before = __sync_fetch_and_add(&v->objects, -1);
	}
	if (before == 1)
		bpf_map_delete_elem(&pending, &key); /* last one: the seq is empty */
	return true;
}

/* ---- pending slots (tracepoint mode; see map pending_slots) */

static const struct rw_pending_key free_key;
static const struct rw_pending_val zero_val;

/* Makes the compiler keep an atomic's result: the fetching atomics are the ordered ones. */
#define keep_value(x) asm volatile("" ::"r"(x))

/* The slots of queue (@ref's instance, @cpu); NULL when that queue has none. */
static __always_inline struct rw_queue_slots *queue_slots(struct rw_instance_ref ref, __u32 cpu)
{
	__u32 idx = rw_queue_index(cpu, ref.queue_row);

	if (cpu >= slot_cpus || ref.queue_row >= RW_SLOT_ROWS)
		return NULL;
	return bpf_map_lookup_elem(&pending_slots, &idx);
}

/* The instance as @where's seqs are keyed in the slots (RW_SLOT_TAG_*). */
static __always_inline __u64 slot_instance(__u64 instance, __u32 where)
{
	if (where == RW_WHERE_LIST)
		return instance | RW_SLOT_TAG_LIST;
	if (where == RW_WHERE_EXPIRED)
		return instance | RW_SLOT_TAG_EXPIRED;
	return instance;
}

/*
 * The slot of @q holding (@tagged, @seq): @tagged is the instance as
 * slot_instance() keys @seq's kind, so the instance and seq tell it.
 * *@free: the index of a free one met on the way (left alone if none; an
 * index, not a pointer, which the verifier would not let the compiler
 * combine with the key's words).
 */
static __always_inline struct rw_pending_slot *slot_find(struct rw_queue_slots *q, __u64 tagged,
							 __u64 seq, __u32 *free)
{
	for (int j = 0; j < RW_SEQ_SLOTS; j++) {
		struct rw_pending_slot *s = &q->slot[j];

		if (s->key.seq == seq && s->key.instance == tagged)
			return s;
		if (!s->key.instance)
			*free = j;
	}
	return NULL;
}

/* Gives @s a new key and value, inside two steps of its generation (struct rw_pending_slot). */
static __always_inline void slot_set(struct rw_pending_slot *s, const struct rw_pending_key *key,
				     const struct rw_pending_val *val)
{
	__u64 g = __sync_fetch_and_add(&s->gen, 1);

	keep_value(g);
	s->key = *key;
	s->val = *val;
	g = __sync_fetch_and_add(&s->gen, 1);
	keep_value(g);
}

/*
 * @add (objects, bytes; if the seq is new, its first_enqueue_ns, 0 for
 * now) joined seq @seq (@where) of queue (@ref's instance, @cpu), under
 * that queue's lock: counted in the seq's slot, which the seq claims (and
 * announces) if it has none. False when the seq has no slot: the queue
 * has none, all are taken, or the seq opened in map pending before one
 * was free; the caller then counts it there.
 */
static __always_inline bool slot_add_val(struct rw_instance_ref ref, __u64 instance, __u32 cpu,
					 __u64 seq, __u32 where, const struct rw_pending_val *add)
{
	struct rw_pending_key key = {};
	struct rw_pending_val init;
	struct rw_queue_slots *q = queue_slots(ref, cpu);
	struct rw_pending_slot *s;
	__u32 free = ~0U;

	if (!q)
		return false;
	s = slot_find(q, slot_instance(instance, where), where == RW_WHERE_EXPIRED ? 0 : seq, &free);
	if (__builtin_expect(s != NULL, 1)) {
		s->val.objects += add->objects;
		s->val.bytes += add->bytes;
		if (add->first_enqueue_ns && add->first_enqueue_ns < s->val.first_enqueue_ns)
			s->val.first_enqueue_ns = add->first_enqueue_ns;
		return true;
	}
	pending_key(&key, instance, cpu, seq, where);
	if (free >= RW_SEQ_SLOTS || bpf_map_lookup_elem(&pending, &key))
		return false;
	init = *add;
	if (!init.first_enqueue_ns)
		init.first_enqueue_ns = bpf_ktime_get_ns();
	emit(RW_EV_SEQ_OPEN, cpu, instance, key.seq, where, 0, 0, 0, 0);
	key.instance = slot_instance(instance, where);
	slot_set(&q->slot[free], &key, &init);
	return true;
}

/* An object of @bytes joined radix-tree seq @seq: the hot path. */
static __always_inline bool slot_add(struct rw_instance_ref ref, __u64 instance, __u32 cpu,
				     __u64 seq, __u64 bytes)
{
	const struct rw_pending_val add = { .objects = 1, .bytes = bytes };

	return slot_add_val(ref, instance, cpu, seq, RW_WHERE_RADIX, &add);
}

/*
 * An object of @bytes left seq @seq (@where) of queue (@ref's instance,
 * @cpu) before being processed, under that queue's lock. 1: taken off its
 * slot; 0: the seq's slot holds no object (rcuwatch did not see it
 * enqueued); -1: the seq has no slot (look in map pending). A radix-tree
 * seq keeps its slot at 0 objects until it is processed (the kernel takes
 * it even empty); a list that empties is gone from the kernel, and so is
 * its slot.
 */
static __always_inline int slot_sub(struct rw_instance_ref ref, __u64 instance, __u32 cpu,
				    __u64 seq, __u32 where, __u64 bytes)
{
	struct rw_queue_slots *q = queue_slots(ref, cpu);
	struct rw_pending_slot *s;
	__u32 free;

	if (!q)
		return -1;
	s = slot_find(q, slot_instance(instance, where), where == RW_WHERE_EXPIRED ? 0 : seq, &free);
	if (!s)
		return -1;
	if (s->val.objects <= 0)
		return 0;
	s->val.objects--;
	s->val.bytes -= bytes;
	if (where != RW_WHERE_RADIX && !s->val.objects)
		slot_set(s, &free_key, &zero_val);
	return 1;
}

/*
 * Takes seq @seq (@where) of queue (@instance, @cpu) out of its slot into
 * @out; false if none holds it.
 */
static __always_inline bool slot_take(__u64 instance, __u32 cpu, __u64 seq, __u32 where,
				      struct rw_pending_val *out)
{
	struct rw_queue_slots *q;
	struct rw_pending_slot *s;
	__u32 free;

	if (!slot_cpus)
		return false; /* stock modes: no slots, skip the instance's slot lookup */
	q = queue_slots(instance_ref(instance), cpu);
	if (!q)
		return false;
	s = slot_find(q, slot_instance(instance, where), where == RW_WHERE_EXPIRED ? 0 : seq, &free);
	if (!s)
		return false;
	*out = s->val;
	slot_set(s, &free_key, &zero_val);
	return true;
}

/* The unlocked ones as global functions, for the many hooks of stock mode. */
RW_GLOBAL int pending_add(__u64 instance, __u32 cpu, __u64 seq, __u32 where, __u64 bytes)
{
	pending_add_to(instance, cpu, seq, where, bytes, false);
	return 0;
}

RW_GLOBAL int pending_sub(__u64 instance, __u32 cpu, __u64 seq, __u32 where, __u64 bytes)
{
	return pending_sub_from(instance, cpu, seq, where, bytes, false);
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

/* An object entered rcu_pending (whether it waits or is processed at once). */
static __always_inline void count_enqueued(__u64 instance, __u64 bytes)
{
	struct rw_instance_totals *t = totals_of(instance);

	if (t) {
		t->enqueued_objects++;
		t->enqueued_bytes += bytes;
	}
}

/* Stock modes: an object entered the queue of @cpu (immediate ones too). */
static __always_inline void count_queued(__u64 instance, __u32 cpu, __u64 bytes)
{
	struct rw_queue_key key = { .instance = instance, .cpu = cpu };
	struct rw_queue_totals *q = bpf_map_lookup_elem(&queues, &key);

	if (!q) {
		bpf_map_update_elem(&queues, &key, &zero_queue, BPF_NOEXIST);
		q = bpf_map_lookup_elem(&queues, &key);
		if (!q) {
			stat_add(RW_STAT_QUEUE_MAP_FULL, 1);
			return;
		}
	}
	__sync_fetch_and_add(&q->enqueued_objects, 1);
	__sync_fetch_and_add(&q->enqueued_bytes, bytes);
}

/*
 * Tracepoint mode: an enqueue for the queue of @cpu traced on @this_cpu,
 * whose per-CPU totals counted it: moved to @cpu's count (see queues).
 */
static __always_inline void count_queued_elsewhere(__u64 instance, __u32 cpu, __u32 this_cpu,
						  __u64 bytes)
{
	struct rw_queue_key to = { .instance = instance, .cpu = cpu };
	struct rw_queue_key from = { .instance = instance, .cpu = this_cpu };
	struct rw_queue_totals *q;

	bpf_map_update_elem(&queues, &to, &zero_queue, BPF_NOEXIST);
	bpf_map_update_elem(&queues, &from, &zero_queue, BPF_NOEXIST);
	q = bpf_map_lookup_elem(&queues, &from);
	if (!q) {
		stat_add(RW_STAT_QUEUE_MAP_FULL, 1);
		return;
	}
	__sync_fetch_and_add(&q->enqueued_objects, -1ULL);
	__sync_fetch_and_add(&q->enqueued_bytes, -bytes);
	q = bpf_map_lookup_elem(&queues, &to);
	if (!q) {
		/* Undone: the object stays counted where it was traced. */
		stat_add(RW_STAT_QUEUE_MAP_FULL, 1);
		q = bpf_map_lookup_elem(&queues, &from);
		if (q) {
			__sync_fetch_and_add(&q->enqueued_objects, 1);
			__sync_fetch_and_add(&q->enqueued_bytes, bytes);
		}
		return;
	}
	__sync_fetch_and_add(&q->enqueued_objects, 1);
	__sync_fetch_and_add(&q->enqueued_bytes, bytes);
}

/* Enqueued after its grace period: processed at once, never pending. */
static __always_inline void count_immediate(__u64 instance, __u64 bytes)
{
	struct rw_instance_totals *t = totals_of(instance);

	if (t) {
		t->immediate_objects++;
		t->immediate_bytes += bytes;
		t->processed_objects++;
		t->processed_bytes += bytes;
	}
}

static __always_inline void count_list_object(__u64 instance)
{
	struct rw_instance_totals *t = totals_of(instance);

	if (t)
		t->list_objects++;
}

/* Taken back by rcu_pending_dequeue*(); @tracked: rcuwatch saw it enqueued. */
static __always_inline void count_dequeued_in(struct rw_instance_totals *t, __u64 bytes,
					      bool tracked)
{
	if (t) {
		t->dequeued_objects++;
		t->dequeued_bytes += bytes;
		if (!tracked)
			t->untracked_objects++;
	}
}

static __always_inline void count_dequeued(__u64 instance, __u64 bytes, bool tracked)
{
	count_dequeued_in(totals_of(instance), bytes, tracked);
}

/* list_expired()'s @nr when the kernel's count is not known: the event carries what was tracked. */
#define RW_NR_TRACKED (~0ULL)

/* A per-seq list of @nr objects whose grace period elapsed moved to the CPU's expired list. */
RW_GLOBAL int list_expired(__u64 instance, __u32 cpu, __u64 seq, __u64 nr)
{
	struct rw_pending_key key = {};
	struct rw_pending_val moved, *v;

	pending_key(&key, instance, cpu, seq, RW_WHERE_LIST);
	if (!slot_take(instance, cpu, seq, RW_WHERE_LIST, &moved))
		moved = pending_take(&key);
	if (nr == RW_NR_TRACKED)
		nr = moved.objects;

	if (slot_cpus && slot_add_val(instance_ref(instance), instance, cpu, 0,
					RW_WHERE_EXPIRED, &moved))
		goto out;
	pending_key(&key, instance, cpu, 0, RW_WHERE_EXPIRED);
	v = pending_get(&key);
	if (v) {
		__sync_fetch_and_add(&v->objects, moved.objects);
		__sync_fetch_and_add(&v->bytes, moved.bytes);
		/* The expired list is as old as its oldest object. */
		if (moved.first_enqueue_ns && moved.first_enqueue_ns < v->first_enqueue_ns)
			v->first_enqueue_ns = moved.first_enqueue_ns;
	}
out:
	emit(RW_EV_LIST_EXPIRED, cpu, instance, seq, RW_WHERE_LIST, 0, nr, moved.objects, moved.bytes);
	return 0;
}

/*
 * Objects taken off a CPU for processing: the radix tree of @seq (0: none
 * taken; __process_finished_items() leaves its local copy zeroed) holding
 * @nr_radix objects, and the expired list (@nr_list). A seq's entry goes
 * whenever the kernel takes the seq, even with 0 objects left in it (all
 * dequeued): what rcuwatch still counts there is then a mismatch, never an
 * entry that stays forever.
 */
RW_GLOBAL int processed_batch(__u64 instance, __u32 cpu, __u64 seq, __u64 nr_radix, __u64 nr_list)
{
	struct rw_instance_totals *t;
	struct rw_pending_key key = {};
	struct rw_pending_val radix = {}, list = {};
	__s64 tracked;

	if (seq || nr_radix) {
		pending_key(&key, instance, cpu, seq, RW_WHERE_RADIX);
		if (!slot_take(instance, cpu, key.seq, RW_WHERE_RADIX, &radix))
			radix = pending_take(&key);
	}
	if (nr_list) {
		pending_key(&key, instance, cpu, 0, RW_WHERE_EXPIRED);
		if (!slot_take(instance, cpu, 0, RW_WHERE_EXPIRED, &list))
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

/* ---- grace periods */

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

static __always_inline struct rw_gp_stats *gp_stats_of(__u64 key)
{
	struct rw_gp_stats *g = bpf_map_lookup_elem(&grace_periods, &key);

	if (g)
		return g;
	bpf_map_update_elem(&grace_periods, &key, &zero_gp, BPF_NOEXIST);
	return bpf_map_lookup_elem(&grace_periods, &key);
}

/* One grace period of flavor @key (0: RCU, else the srcu_struct) started. */
static __always_inline void gp_started(struct rw_gp_stats *g, __u64 key, __u64 gp_seq, __u64 now)
{
	g->started++;
	g->last_start_ns = now;
	g->last_start_gp_seq = gp_seq;
	emit(RW_EV_GP_START, bpf_get_smp_processor_id(), key, gp_seq, 0, 0, 0, 0, 0);
}

/* The completed cookie moved to @gp_seq: seqs <= it have elapsed. Cookies only move forward. */
static __always_inline void gp_completed_to(struct rw_gp_stats *g, __u64 gp_seq)
{
	if (!g->last_end_gp_seq || seq_before(g->last_end_gp_seq, gp_seq))
		g->last_end_gp_seq = gp_seq;
}

/* One grace period ended at @now, the completed cookie now @gp_seq. */
static __always_inline void gp_ended(struct rw_gp_stats *g, __u64 key, __u64 gp_seq, __u64 now)
{
	__u64 d = 0;

	gp_completed_to(g, gp_seq);
	g->completed++;
	g->last_end_ns = now;
	if (g->last_start_ns && g->last_start_ns <= now) {
		__u32 b;

		d = now - g->last_start_ns;
		b = log2_bucket(d / 1000);
		g->last_duration_ns = d;
		g->duration_sum_ns += d;
		if (b < RW_GP_HIST_BUCKETS)
			g->duration_hist[b]++;
	}
	emit(RW_EV_GP_END, bpf_get_smp_processor_id(), key, gp_seq, 0, 0, 0, 0, d);
}

#endif /* RCUWATCH_ACCOUNTING_BPF_H */
