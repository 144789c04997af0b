/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Call sites: which kernel code queues the memory. At enqueue, every mode
 * calls sample_call_site() (tracepoint mode: the rcu_pending_enqueue raw_tp;
 * stock modes: the enqueue hook, before stock_enqueue_enter()). It adds the
 * object to its CPU's running count and, about once per
 * call_site_sample_bytes enqueued on that CPU, takes the kernel stack
 * (bpf_get_stackid() into map stacks) and credits that stack with
 * everything counted on that CPU since the previous sample (map
 * call_sites, keyed by instance, CPU and stack id). An object is sampled
 * with a probability that grows with its size, so the bytes credited to a
 * stack estimate the bytes its callers enqueued (better the more samples it
 * has), and over all stacks they add up to what was enqueued. The threshold
 * is drawn anew each time (uniform from half to one and a half times the
 * mean), so that periodic traffic does not alias with a fixed period.
 *
 * Per enqueue this costs three additions and a comparison (the sampler
 * shares the per-CPU value of the slot cache, struct rw_cpu_state); the
 * stack walk and the map update run once per sample.
 */
#ifndef RCUWATCH_CALL_SITES_BPF_H
#define RCUWATCH_CALL_SITES_BPF_H

#include "accounting.bpf.h"

/* Set before load (rodata): the mean bytes between two samples on a CPU; 0 = off. */
const volatile __u64 call_site_sample_bytes = 128 * 1024;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, RW_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct rw_call_site_key);
	__type(value, struct rw_call_site_val);
} call_sites SEC(".maps");

static const struct rw_call_site_val zero_call_site;

/* One sample: @stack_id (< 0: no stack) stands for @bytes and @objects. */
RW_GLOBAL int call_site_add(__u64 instance, __u32 cpu, __s32 stack_id, __u64 bytes,
			    __u64 objects)
{
	struct rw_call_site_key key = {
		.instance = instance, .cpu = cpu, .stack_id = stack_id < 0 ? RW_NO_STACK : stack_id,
	};
	struct rw_call_site_val *v;

	stat_add(RW_STAT_CALL_SITE_SAMPLES, 1);
	if (stack_id < 0)
		stat_add(RW_STAT_CALL_SITE_NO_STACK, 1); /* a hash collision in stacks, or it is full */
	v = bpf_map_lookup_elem(&call_sites, &key);
	if (!v) {
		bpf_map_update_elem(&call_sites, &key, &zero_call_site, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&call_sites, &key);
		if (!v) {
			stat_add(RW_STAT_CALL_SITE_MAP_FULL, 1);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->objects, objects);
	__sync_fetch_and_add(&v->samples, 1);
	return 0;
}

/*
 * An object of @bytes was enqueued on @instance for the queue of @cpu;
 * @st: this CPU's state (struct rw_cpu_state: its sampler). @ctx: the
 * program's context (the stack is taken from it), so this is inlined into
 * each program rather than a global function.
 */
static __always_inline void sample_call_site_in(void *ctx, struct rw_cpu_state *st,
						__u64 instance, __u32 cpu, __u64 bytes)
{
	struct rw_sampler *s = &st->sampler;
	__u64 period = call_site_sample_bytes;

	if (!period)
		return;
	s->bytes += bytes;
	s->objects++;
	if (__builtin_expect(s->bytes < s->threshold, 1))
		return;
	call_site_add(instance, cpu, bpf_get_stackid(ctx, &stacks, 0), s->bytes, s->objects);
	s->bytes = 0;
	s->objects = 0;
	s->threshold = period / 2 + bpf_get_prandom_u32() % period;
}

static __always_inline void sample_call_site(void *ctx, __u64 instance, __u32 cpu, __u64 bytes)
{
	struct rw_cpu_state *st = cpu_state_here();

	if (st)
		sample_call_site_in(ctx, st, instance, cpu, bytes);
}

#endif /* RCUWATCH_CALL_SITES_BPF_H */
