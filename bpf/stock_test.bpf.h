/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * raw_tp wrappers of the stock handlers with decoded arguments, so the BPF
 * tests run the very bytecode of stock.bpf.h under BPF_PROG_TEST_RUN on any
 * kernel (fentry cannot be test-run, and the host has no rcu_pending).
 * Never attached: their tracepoints do not exist.
 */
#ifndef RCUWATCH_STOCK_TEST_BPF_H
#define RCUWATCH_STOCK_TEST_BPF_H

#include "stock.bpf.h"

SEC("raw_tp/rcuwatch_test_enqueue_enter")
int BPF_PROG(test_enqueue_enter, __u64 instance, __u64 srcu, __u64 process, __u64 obj,
	     __u64 head, __u64 bytes)
{
	struct rw_new_object o = { instance, srcu, process, obj, head, bytes };

	stock_enqueue(ctx, &o);
	return 0;
}

SEC("raw_tp/rcuwatch_test_enqueue_exit")
int BPF_PROG(test_enqueue_exit, __u64 cpu)
{
	stock_enqueue_exit(cpu);
	return 0;
}

SEC("raw_tp/rcuwatch_test_cookie")
int BPF_PROG(test_cookie, __u64 ssp, __u64 cookie, __u64 cpu)
{
	stock_cookie(ssp, cookie, cpu);
	return 0;
}

SEC("raw_tp/rcuwatch_test_poll")
int BPF_PROG(test_poll, __u64 ssp, __u64 cookie, __u64 elapsed, __u64 cpu)
{
	stock_poll(ssp, cookie, elapsed, cpu);
	return 0;
}

SEC("raw_tp/rcuwatch_test_under_lock")
int BPF_PROG(test_under_lock, __u64 ssp, __u64 cpu)
{
	stock_under_lock(ssp, cpu);
	return 0;
}

SEC("raw_tp/rcuwatch_test_list")
int BPF_PROG(test_list, __u64 cpu)
{
	stock_list_enter(cpu);
	return 0;
}

/*
 * Fake kernel memory for the processing wrappers, so that forgetting
 * processed objects walks real (BPF map) memory: objs.data[0]'s generic
 * radix tree is one leaf (depth 0: the root is the leaf) for up to 64
 * objects, else a depth-1 tree over RW_TEST_LEAVES leaves; the elements
 * are written by the test. lists[0], lists[1] and the expired list are
 * chains of 8 nodes each. test_fake_memory links the tree and the lists
 * and publishes the lists' node addresses: a list object's head.
 */
#define RW_TEST_LIST_NODES 8
#define RW_TEST_LEAVES 20
__u64 rw_test_radix[RW_GENRADIX_LEAF] __attribute__((aligned(16)));
__u64 rw_test_radix_top[RW_GENRADIX_LEAF] __attribute__((aligned(16)));
__u64 rw_test_leaves[RW_TEST_LEAVES][RW_GENRADIX_LEAF];
__u64 rw_test_nodes[3 * RW_TEST_LIST_NODES][2]; /* struct callback_head: next, func */
__u64 rw_test_node_addr[3 * RW_TEST_LIST_NODES];

SEC("raw_tp/rcuwatch_test_fake_memory")
int BPF_PROG(test_fake_memory)
{
	for (int i = 0; i < 3 * RW_TEST_LIST_NODES; i++) {
		rw_test_nodes[i][0] =
			(i + 1) % RW_TEST_LIST_NODES ? (__u64)&rw_test_nodes[i + 1] : 0;
		rw_test_node_addr[i] = (__u64)&rw_test_nodes[i];
	}
	for (int i = 0; i < RW_TEST_LEAVES; i++)
		rw_test_radix_top[i] = (__u64)&rw_test_leaves[i];
	return 0;
}

/* Fake list @l (0..2) as a chain of its first @nr nodes (at most RW_TEST_LIST_NODES). */
static __always_inline void test_list_of(int l, __u64 nr)
{
	for (int j = 0; j < RW_TEST_LIST_NODES; j++) {
		int i = l * RW_TEST_LIST_NODES + j;

		if (i < 3 * RW_TEST_LIST_NODES)
			rw_test_nodes[i][0] = j + 1 < nr && i + 1 < 3 * RW_TEST_LIST_NODES
						      ? (__u64)&rw_test_nodes[i + 1]
						      : 0;
	}
}

/*
 * lists[0] and lists[1] are counted by walking them when their polls take
 * them: @list0_nr and @list1_nr make the fake lists that long.
 */
SEC("raw_tp/rcuwatch_test_processing_enter")
int BPF_PROG(test_processing_enter, __u64 instance, __u64 srcu, __u64 cpu, __u64 nseq, __u64 seq0,
	     __u64 nr0, __u64 list0_seq, __u64 list0_nr, __u64 list1_seq, __u64 list1_nr,
	     __u64 expired_nr)
{
	test_list_of(0, list0_nr);
	test_list_of(1, list1_nr);
	struct rw_pcpu_state ps = {
		.instance = instance, .srcu = srcu, .nseq = nseq, .seq0 = seq0, .nr0 = nr0,
		.list_seq = { list0_seq, list1_seq }, .expired_nr = expired_nr, .cpu = cpu,
		.root0 = nr0 <= RW_GENRADIX_LEAF ? (__u64)rw_test_radix
						  : (__u64)rw_test_radix_top + 1, /* depth 1 */
		.list_head = { list0_nr ? (__u64)&rw_test_nodes[0] : 0,
			       list1_nr ? (__u64)&rw_test_nodes[RW_TEST_LIST_NODES] : 0,
			       expired_nr ? (__u64)&rw_test_nodes[2 * RW_TEST_LIST_NODES] : 0 },
	};

	stock_processing_enter(&ps);
	return 0;
}

SEC("raw_tp/rcuwatch_test_processing_exit")
int BPF_PROG(test_processing_exit)
{
	stock_processing_exit();
	return 0;
}

SEC("raw_tp/rcuwatch_test_dequeue_all_enter")
int BPF_PROG(test_dequeue_all_enter)
{
	stock_dequeue_all_enter();
	return 0;
}

SEC("raw_tp/rcuwatch_test_dequeue_exit")
int BPF_PROG(test_dequeue_exit, __u64 instance, __u64 obj, __u64 from_all)
{
	stock_dequeue_exit(instance, obj, from_all);
	return 0;
}

SEC("raw_tp/rcuwatch_test_gp_observe")
int BPF_PROG(test_gp_observe, __u64 key, __u64 gp_seq)
{
	struct rw_gp_stats *g = bpf_map_lookup_elem(&grace_periods, &key);

	if (g)
		gp_observe(g, key, gp_seq);
	else
		gp_watch(key, gp_seq);
	return 0;
}

/*
 * object_bytes() of the task_struct this test run executes in, a slab
 * object of a real cache (the tests compare it with that cache's figures
 * in /sys/kernel/slab): the same reads the stock modes make of an enqueued
 * object, on real kernel memory.
 */
SEC("raw_tp/rcuwatch_test_object_bytes")
int BPF_PROG(test_object_bytes)
{
	return (int)object_bytes(bpf_get_current_task());
}

#endif /* RCUWATCH_STOCK_TEST_BPF_H */
