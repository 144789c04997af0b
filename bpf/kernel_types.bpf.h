/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rcu_pending's structs as CO-RE sees them. They live in bcachefs's BTF
 * (vmlinux's when built in, /sys/kernel/btf/bcachefs as a module), not in
 * the vmlinux.h we compile against, so only the fields read here are
 * declared; libbpf relocates every access against the running kernel (the
 * ___rw suffix is ignored when matching names). Field names are the same in
 * Linux 6.12 to 6.17 and the out-of-tree module (fs/bcachefs/rcu_pending.c:
 * struct rcu_pending, rcu_pending_pcpu, rcu_pending_seq, rcu_pending_list;
 * seq became rcu_gp_poll_state_t, still one unsigned long, in 6.14).
 */
#ifndef RCUWATCH_KERNEL_TYPES_BPF_H
#define RCUWATCH_KERNEL_TYPES_BPF_H

struct rcu_pending___rw {
	void *p; /* struct rcu_pending_pcpu __percpu * */
	struct srcu_struct *srcu;
	void *process;
} __attribute__((preserve_access_index));

struct rcu_pending_seq___rw {
	struct {
		struct {
			void *root; /* node pointer | depth */
		} tree;
	} objs;
	unsigned long nr;
	void *cursor;
	unsigned long seq;
} __attribute__((preserve_access_index));

struct rcu_pending_list___rw {
	struct callback_head *head;
	struct callback_head *tail;
	unsigned long seq;
} __attribute__((preserve_access_index));

struct rcu_pending_pcpu___rw {
	struct rcu_pending___rw *parent;
	int cpu;
	struct {
		unsigned long nr;
		unsigned long size;
		struct rcu_pending_seq___rw *data;
	} objs;
	/* [NUM_ACTIVE_RCU_POLL_OLDSTATE] per-seq lists, then the expired list */
	struct rcu_pending_list___rw lists[3];
	struct callback_head cb;
	struct work_struct work;
} __attribute__((preserve_access_index));

/*
 * bcachefs (fs/bcachefs/bcachefs.h, btree_key_cache_types.h, 6.12-6.17):
 * every mounted filesystem is a struct bch_fs on the static bch_fs_list
 * (super.c), holding the key cache's two rcu_pending instances (pending[0]
 * for keys without per-CPU reader locks, pending[1] with them) and the SRCU
 * they wait on, btree_trans_barrier.
 */
struct btree_key_cache___rw {
	struct rcu_pending___rw pending[2];
} __attribute__((preserve_access_index));

struct bch_fs___rw {
	struct list_head list;
	char name[40];
	struct btree_key_cache___rw btree_key_cache;
	struct srcu_struct btree_trans_barrier;
} __attribute__((preserve_access_index));

/*
 * The fields of struct page and struct folio that object_bytes() reads, as
 * 6.12 to 6.17 have them (flags an unsigned long; 6.18 made it a struct
 * memdesc_flags_t, which the vmlinux.h of a newer build host would carry).
 * libbpf finds compound_head and page_type inside struct page's anonymous
 * unions by name.
 */
struct page___rw {
	unsigned long flags;
	unsigned long compound_head;
	unsigned int page_type;
} __attribute__((preserve_access_index));

/* Linux 6.18+: flags is a struct memdesc_flags_t. */
struct memdesc_flags___rw {
	unsigned long f;
};
struct page___rw_618 {
	struct memdesc_flags___rw flags;
} __attribute__((preserve_access_index));

struct folio___rw {
	unsigned long _flags_1;
} __attribute__((preserve_access_index));

#endif /* RCUWATCH_KERNEL_TYPES_BPF_H */
