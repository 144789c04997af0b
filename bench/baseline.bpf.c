// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The baselines of the BPF benchmarks, driven by BPF_PROG_TEST_RUN exactly
 * like rcuwatch's programs, with the same context:
 *  - noop: an empty raw_tp program. Its cost is what every program pays
 *    anyway (the run-time accounting, the call, the syscall).
 *  - floor: the least a counting program can do, one per-CPU array slot
 *    incremented. Issue 11's hot-path target is a ratio to it.
 *  - floor_two_maps: the floor plus one slot of an mmapable array (vmalloc
 *    memory, as pending_slots is), so the two kinds of map memory rcuwatch's
 *    enqueue and dequeue programs write (their CPU's state, their seq's
 *    slot), each once, and nothing else: how much of their cost is the
 *    memory they touch rather than their instructions.
 *  - floor_dependent: the same two writes, the second row found through
 *    the first slot's value, as a seq's slot is found through the CPU's
 *    state: what a chain of dependent reads costs.
 *  - naive: the design rcuwatch avoids, one ring-buffer record per object
 *    (its arguments and a timestamp) for userspace to count.
 * The tracepoints do not exist: a raw_tp program loads regardless (the name
 * is only resolved at attach time), and these are never attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_counts SEC(".maps");

/* Rows as large as pending_slots' (struct rw_queue_slots), in vmalloc memory as it is. */
struct floor_row {
	__u64 words[28];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, struct floor_row);
} floor_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} naive_events SEC(".maps");

struct naive_record {
	__u64 args[8];
	__u64 ts_ns;
};

SEC("raw_tp/rcuwatch_bench_noop")
int noop(void *ctx)
{
	return 0;
}

SEC("raw_tp/rcuwatch_bench_floor")
int floor_count(void *ctx)
{
	__u32 slot = 0;
	__u64 *n = bpf_map_lookup_elem(&floor_counts, &slot);

	if (n)
		*n += 1;
	return 0;
}

/*
 * The floor, then a row of floor_rows: row 0, known up front, or the row
 * read from the per-CPU slot (@dependent; row 0 too for the first 2^60
 * runs, but the write waits for the read).
 */
static __always_inline int write_two_maps(bool dependent)
{
	__u32 slot = 0, idx = 0;
	__u64 *n = bpf_map_lookup_elem(&floor_counts, &slot);
	struct floor_row *row;

	if (!n)
		return 0;
	*n += 1;
	if (dependent)
		idx = *n >> 60;
	row = bpf_map_lookup_elem(&floor_rows, &idx);
	if (row)
		row->words[4] += 1;
	return 0;
}

SEC("raw_tp/rcuwatch_bench_floor_two_maps")
int floor_two_maps(void *ctx)
{
	return write_two_maps(false);
}

SEC("raw_tp/rcuwatch_bench_floor_dependent")
int floor_dependent(void *ctx)
{
	return write_two_maps(true);
}

SEC("raw_tp/rcuwatch_bench_naive")
int naive(__u64 *ctx)
{
	struct naive_record *r = bpf_ringbuf_reserve(&naive_events, sizeof(*r), 0);

	if (!r)
		return 0;
	for (int i = 0; i < 8; i++)
		r->args[i] = ctx[i];
	r->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(r, 0);
	return 0;
}
