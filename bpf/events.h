/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rcuwatch event ABI: the one header shared by the BPF programs
 * (bpf/rcuwatch.bpf.c), the userspace decoder and the recording format.
 * Any change to a struct here bumps RW_ABI_VERSION; recordings carry it.
 *
 * The kernel side is the rcu_pending tracepoints of kernel/patches/ (0003,
 * see docs/kernel.md) and the RCU/SRCU grace-period tracepoints
 * rcu:rcu_grace_period (0005 adds "endpoll") and rcu:srcu_grace_period (0004),
 * or, on stock kernels, function hooks that feed the same maps.
 *
 * ABI 2: three rw_stat counters added (unsized objects, late placements,
 * nested enqueues) and rw_instance_totals.preexisting_*. Recordings of ABI 1
 * stay readable: their stats array ends after RW_STAT_PROCESS_MISMATCH, their
 * totals after untracked_objects.
 *
 * ABI 3: call sites (maps call_sites and stacks), enqueues per queue CPU
 * (map queues), OOM kills (RW_EV_OOM_KILL) and the rw_stat counters after
 * RW_STAT_ABI2_NR. Recordings of ABI 2 have RW_STAT_ABI2_NR stats and
 * neither call sites nor per-queue counts.
 */
#ifndef RCUWATCH_EVENTS_H
#define RCUWATCH_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RW_ABI_VERSION 3

/* Where a pending object sits (enum rcu_pending_where in the patch). */
enum rw_where {
	RW_WHERE_RADIX = 0,     /* per-seq radix tree: the normal path */
	RW_WHERE_LIST = 1,      /* per-seq list: radix allocation failed */
	RW_WHERE_IMMEDIATE = 2, /* grace period already over: processed at once */
	RW_WHERE_EXPIRED = 3,   /* CPU's expired list: grace period over, not yet processed */
};

/* rcu_pending's special process "functions" (fs/bcachefs/rcu_pending.h). */
#define RW_PROCESS_KVFREE 1ULL
#define RW_PROCESS_CALL_RCU 2ULL

/* Key of the in-kernel pending map: one entry per live (instance, cpu, seq, where). */
struct rw_pending_key {
	__u64 instance; /* struct rcu_pending * */
	__u64 seq;      /* grace-period cookie; 0 for RW_WHERE_EXPIRED */
	__u32 cpu;      /* CPU whose rcu_pending_pcpu holds the objects */
	__u32 where;    /* enum rw_where: RADIX, LIST or EXPIRED */
};

struct rw_pending_val {
	__s64 objects;
	__s64 bytes;
	__u64 first_enqueue_ns; /* bpf_ktime_get_ns() of the first enqueue */
};

/*
 * One slot of map pending_slots (tracepoint mode): the pending entries of
 * up to RW_SLOT_ROWS instances, RW_SEQ_SLOTS per (queue CPU, row), in an
 * mmap-able array that userspace copies at memory speed: tile by tile of
 * RW_SLOT_TILE_CPUS CPUs, row by row within a tile, CPU by CPU within a
 * row (so that an instance's queues on neighbouring CPUs are neighbours). key.instance 0:
 * free. gen is odd while the key changes (a seq claiming or leaving the
 * slot): a reader copies the slot between two reads of an equal, even gen.
 * A list or expired seq's slot has its key.instance tagged in the low bits
 * (RW_SLOT_TAG_LIST, RW_SLOT_TAG_EXPIRED; an rcu_pending's address has
 * them clear), so that a radix-tree seq's lookup never matches it: a
 * reader takes the instance as key.instance & ~RW_SLOT_TAG_MASK.
 */
#define RW_SEQ_SLOTS 4
#define RW_SLOT_ROWS 64 /* a power of two */
#define RW_SLOT_TILE_CPUS 64 /* a power of two: pending_slots' CPUs come in tiles of this many */
#define RW_SLOT_TAG_LIST 1ULL
#define RW_SLOT_TAG_EXPIRED 2ULL
#define RW_SLOT_TAG_MASK 7ULL
struct rw_pending_slot {
	__u64 gen;
	struct rw_pending_key key;
	struct rw_pending_val val;
};

/*
 * A multiplicative hash of an instance's address. Its top bits index a
 * table: the BPF side's slot cache takes its way from bits 60-63
 * (accounting.bpf.h), the home row from bits 52-57.
 */
static inline __attribute__((always_inline)) __u64 rw_instance_hash(__u64 instance)
{
	return instance * 0x9e3779b97f4a7c15ULL;
}

/*
 * Where pending_slots keeps a queue, for the BPF side and for userspace's
 * tests and benchmarks alike: an instance's home row (six bits of a hash
 * of its address; the instance claims it, or the next free row, when first
 * seen: accounting.bpf.h), and the index of queue (@cpu, @row) in the
 * array: tile by tile of RW_SLOT_TILE_CPUS CPUs, row by row within a tile.
 * Constants only: the hot path computes both from its arguments.
 */
static inline __attribute__((always_inline)) __u32 rw_slot_home_row(__u64 instance)
{
	return (__u32)(rw_instance_hash(instance) >> 52) & (RW_SLOT_ROWS - 1);
}

static inline __attribute__((always_inline)) __u32 rw_queue_index(__u32 cpu, __u32 row)
{
	return (cpu / RW_SLOT_TILE_CPUS) * (RW_SLOT_TILE_CPUS * RW_SLOT_ROWS) +
	       row * RW_SLOT_TILE_CPUS + cpu % RW_SLOT_TILE_CPUS;
}

/*
 * Per-instance lifetime counters, per CPU, summed in userspace: those of
 * instance slots below RW_CPU_STATE_TOTALS are the last
 * RW_CPU_STATE_TOTALS * sizeof(struct rw_instance_totals) bytes of map
 * cpu_state's per-CPU value (the hot path's one lookup serves them), the
 * others are map totals' (a per-CPU array, one slot per instance). 8:
 * bcachefs's key cache has two instances per filesystem, so the state
 * covers four filesystems; userspace reads the whole per-CPU value every
 * interval, 96 bytes per slot per possible CPU whether the slot is used or not.
 */
#define RW_CPU_STATE_TOTALS 8
struct rw_instance_totals {
	__u64 enqueued_objects;
	__u64 enqueued_bytes;
	__u64 processed_objects;
	__u64 processed_bytes;
	__u64 dequeued_objects;
	__u64 dequeued_bytes;
	__u64 immediate_objects; /* enqueued after their grace period: never pending */
	__u64 immediate_bytes;
	__u64 list_objects;      /* enqueued on the list fallback */
	__u64 untracked_objects; /* processed or dequeued but never seen enqueued (attached late, map full) */
	__u64 preexisting_objects; /* already queued when rcuwatch attached (stock modes' census) */
	__u64 preexisting_bytes;
};

/* What is known of an instance, filled on first sight. */
struct rw_instance_info {
	__u64 srcu;    /* struct srcu_struct *, 0 for plain RCU */
	__u64 process; /* process function, or RW_PROCESS_KVFREE / RW_PROCESS_CALL_RCU */
	__u64 first_seen_ns;
};

/* What the census learned of an instance (bcachefs's key cache): map instance_labels. */
struct rw_instance_label {
	char fs[40];  /* struct bch_fs.name */
	__u32 index;  /* btree_key_cache.pending[index] */
	__u32 pad;
};

/*
 * Call sites: a kernel stack sampled at enqueue, about one per
 * call_site_sample_bytes enqueued on a CPU (bpf/call_sites.bpf.h). Each
 * sample stands for the bytes and objects enqueued on that CPU since the
 * previous one: over all call sites they add up to what was enqueued (but
 * for each CPU's count since its last sample); per call site they are an
 * estimate, better the more samples it has.
 */
#define RW_STACK_DEPTH 32 /* frames kept per stack (map stacks' value: RW_STACK_DEPTH u64s) */
#define RW_NO_STACK (-1)  /* stack_id of samples the stack map could not hold */
struct rw_call_site_key {
	__u64 instance;
	__u32 cpu;      /* CPU whose queue took the sampled object (stock modes: the CPU enqueueing) */
	__s32 stack_id; /* in map stacks (bpf_get_stackid()), or RW_NO_STACK */
};

struct rw_call_site_val {
	__u64 bytes;   /* enqueued bytes the samples stand for */
	__u64 objects; /* enqueued objects they stand for */
	__u64 samples;
};

/* Enqueues per (instance, CPU whose rcu_pending_pcpu took the object): map queues. */
struct rw_queue_key {
	__u64 instance;
	__u32 cpu;
	__u32 pad;
};

struct rw_queue_totals {
	__u64 enqueued_objects; /* immediate ones included */
	__u64 enqueued_bytes;
};

/* Grace-period flavor key: 0 for RCU, else the srcu_struct address. */
#define RW_GP_HIST_BUCKETS 32 /* log2 buckets of microseconds */
struct rw_gp_stats {
	__u64 started;
	__u64 completed;
	__u64 last_start_ns;
	__u64 last_end_ns;
	__u64 last_start_gp_seq;
	__u64 last_end_gp_seq;   /* latest completed cookie: seqs <= this have elapsed (RCU: */
	                         /* gp_seq_polled, from "endpoll", else gp_seq of "end") */
	__u64 last_duration_ns;
	__u64 duration_sum_ns;
	__u64 duration_hist[RW_GP_HIST_BUCKETS]; /* bucket i: [2^i, 2^(i+1)) us; 0 also holds <1us */
};

/* Indexes of the per-CPU stats array. */
enum rw_stat {
	RW_STAT_RINGBUF_DROPS = 0,   /* lifecycle events the ring buffer had no room for */
	RW_STAT_PENDING_MAP_FULL,    /* objects not broken down per seq: pending map full */
	RW_STAT_EVENTS,              /* tracepoint hits handled */
	RW_STAT_PROCESS_MISMATCH,    /* process batches whose count differed from what was tracked */
	RW_STAT_ABI1_NR,             /* the stats of ABI 1 end here */
	RW_STAT_UNSIZED_OBJECTS = RW_STAT_ABI1_NR, /* objects whose size is unknown: counted as 0 bytes */
	RW_STAT_LATE_PLACEMENTS,     /* stock: objects whose queue was known only at enqueue's return */
	RW_STAT_NESTED_ENQUEUES,     /* stock: enqueues nested too deep to track (become untracked) */
	RW_STAT_ABI2_NR,             /* the stats of ABI 2 end here */
	RW_STAT_OOM_KILLS = RW_STAT_ABI2_NR, /* oom:mark_victim: the OOM killer chose a victim */
	RW_STAT_CALL_SITE_SAMPLES,   /* enqueue stacks sampled */
	RW_STAT_CALL_SITE_NO_STACK,  /* samples whose stack the stack map could not hold */
	RW_STAT_CALL_SITE_MAP_FULL,  /* samples not counted: call_sites map full */
	RW_STAT_QUEUE_MAP_FULL,      /* enqueues not counted per queue CPU: queues map full */
	RW_STAT_NR,
};

/* Lifecycle events: the only records that go through the ring buffer. */
enum rw_event_type {
	RW_EV_SEQ_OPEN = 1,     /* first object of (instance, cpu, seq, where) */
	RW_EV_SEQ_PROCESS = 2,  /* objects taken off a CPU for processing */
	RW_EV_LIST_EXPIRED = 3, /* a list's grace period elapsed: moved to the expired list */
	RW_EV_GP_START = 4,
	RW_EV_GP_END = 5,
	RW_EV_OOM_KILL = 6,     /* oom:mark_victim */
};

struct rw_event {
	__u32 type; /* enum rw_event_type */
	__u32 cpu;  /* rcu_pending_pcpu CPU (seq events), or CPU the GP event fired on */
	__u64 ts_ns;
	__u64 instance; /* struct rcu_pending *, or GP flavor key */
	__u64 seq;      /* seq cookie, or gp_seq */
	__u32 where;    /* SEQ_OPEN: enum rw_where */
	__u32 pad;
	/* SEQ_PROCESS: what the kernel said and what was tracked for it.
	 * LIST_EXPIRED: nr_list = the list's length, objects/bytes moved.
	 * GP_END: objects = 0, bytes = duration in ns.
	 * OOM_KILL: instance = the victim's pid (tgid), nr_radix and nr_list =
	 * its comm (16 bytes, NUL-padded), cpu = the CPU it fired on. */
	__u64 nr_radix;
	__u64 nr_list;
	__s64 objects;
	__s64 bytes;
};

#endif /* RCUWATCH_EVENTS_H */
