/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the stock-kernel modes read from kernel memory (CO-RE, no patch):
 * the size of the allocation an object lives in, a grace-period flavor's
 * counter, and an element of a generic radix tree. Everything fails soft:
 * an unreadable address reads as 0, so the same bytecode also runs under
 * BPF_PROG_TEST_RUN on fake pointers.
 */
#ifndef RCUWATCH_KERNEL_READ_BPF_H
#define RCUWATCH_KERNEL_READ_BPF_H

#include <bpf/bpf_core_read.h>

#include "accounting.bpf.h"
#include "kernel_types.bpf.h"

/* x86-64 memory layout: variables with KASLR of memory (CONFIG_RANDOMIZE_MEMORY), else constants. */
extern const void page_offset_base __ksym __weak;
extern const void vmemmap_base __ksym __weak;
extern const void vmalloc_base __ksym __weak;
/* The RCU flavor's cookies are compared against rcu_state.gp_seq_polled
 * (kernel/rcu/tree.c: get_state_synchronize_rcu()); rcu_state is static:
 * a kallsyms address, no BTF variable (CONFIG_KALLSYMS_ALL). */
extern const void rcu_state __ksym __weak;

#define RW_PAGE_OFFSET_DEFAULT 0xffff888000000000ULL /* __PAGE_OFFSET_BASE_L4 */
#define RW_VMEMMAP_DEFAULT 0xffffea0000000000ULL     /* VMEMMAP_START, 4-level */
#define RW_VMALLOC_DEFAULT 0xffffc90000000000ULL     /* VMALLOC_START, 4-level */
#define RW_VMALLOC_SIZE (32ULL << 40)                /* VMALLOC_SIZE_TB, 4-level */

static __always_inline __u64 kernel_ulong(const void *addr, __u64 fallback)
{
	__u64 v = 0;

	if (!addr || bpf_probe_read_kernel(&v, sizeof(v), addr))
		return fallback;
	return v;
}

/*
 * The three bases are set at boot (KASLR) and constant after: each is read
 * once and kept here, so an enqueue does not pay three helper calls for
 * them. None is ever 0. Racing first readers write the same values.
 */
struct rw_memory_layout {
	__u64 page_offset;
	__u64 vmemmap;
	__u64 vmalloc_start;
};

static struct rw_memory_layout memory_layout;

/*
 * The value of boot-time constant @sym, kept in *@kept after its first
 * read; @fallback where the kernel has no such symbol (no
 * CONFIG_RANDOMIZE_MEMORY, or no data symbols in kallsyms), a constant
 * the verifier folds in, as @sym's address is known at load time.
 */
static __always_inline __u64 boot_constant(const void *sym, __u64 *kept, __u64 fallback)
{
	__u64 v;

	if (!sym)
		return fallback;
	v = READ_ONCE(*kept);
	if (__builtin_expect(!v, 0)) {
		v = kernel_ulong(sym, fallback);
		WRITE_ONCE(*kept, v);
	}
	return v;
}

/*
 * Bytes of the allocation that contains @addr, as the kernel's ksize()
 * counts them (what the patch's mem_alloc_size() reports): for a slab
 * object its cache's slab_ksize() (mm/slab.h), for a large kmalloc the
 * folio. 0 when unknown (vmalloc, not in the direct map): the caller counts
 * those in RW_STAT_UNSIZED_OBJECTS.
 */
RW_GLOBAL __u64 object_bytes(__u64 addr)
{
	__u64 page_offset = boot_constant(&page_offset_base, &memory_layout.page_offset,
					  RW_PAGE_OFFSET_DEFAULT);
	__u64 vmemmap = boot_constant(&vmemmap_base, &memory_layout.vmemmap, RW_VMEMMAP_DEFAULT);
	__u64 vmalloc_start =
		boot_constant(&vmalloc_base, &memory_layout.vmalloc_start, RW_VMALLOC_DEFAULT);
	__u64 page, head = 0, flags = 0;
	unsigned int page_type = 0;

	if (addr >= vmalloc_start && addr < vmalloc_start + RW_VMALLOC_SIZE)
		return 0; /* is_vmalloc_addr(): its size is in the vmap_area tree */
	if (addr < page_offset)
		return 0;
	page = vmemmap + ((addr - page_offset) >> 12) * bpf_core_type_size(struct page);
	/* page -> folio: compound_head has bit 0 set in tail pages (_compound_head()). */
	if (bpf_core_read(&head, sizeof(head), &((struct page___rw *)page)->compound_head))
		return 0;
	if (head & 1)
		page = head - 1;
	/* Linux 6.12+: slab folios have page type PGTY_slab in page_type's top byte. */
	if (bpf_core_enum_value_exists(enum pagetype, PGTY_slab) &&
	    !bpf_core_read(&page_type, sizeof(page_type), &((struct page___rw *)page)->page_type) &&
	    (page_type >> 24) == bpf_core_enum_value(enum pagetype, PGTY_slab)) {
		struct kmem_cache *s = BPF_CORE_READ((struct slab *)page, slab_cache);
		unsigned int flags32 = BPF_CORE_READ(s, flags);

		/* slab_ksize(): object_size with red zones or poison (CONFIG_SLUB_DEBUG;
		 * also under KASAN, which none of our kernels has); inuse when
		 * metadata follows the object; else the whole stride. */
		if (flags32 & ((1U << bpf_core_enum_value(enum _slab_flag_bits, _SLAB_RED_ZONE)) |
			       (1U << bpf_core_enum_value(enum _slab_flag_bits, _SLAB_POISON))))
			return BPF_CORE_READ(s, object_size);
		if (flags32 & ((1U << bpf_core_enum_value(enum _slab_flag_bits, _SLAB_TYPESAFE_BY_RCU)) |
			       (1U << bpf_core_enum_value(enum _slab_flag_bits, _SLAB_STORE_USER))))
			return BPF_CORE_READ(s, inuse);
		return BPF_CORE_READ(s, size);
	}
	/* A large kmalloc: the folio, PAGE_SIZE << its order (folio_order()). */
	/* A field whose type differs reads as absent: one of the two exists. */
	if (bpf_core_field_exists(((struct page___rw *)0)->flags)) {
		if (bpf_core_read(&flags, sizeof(flags), &((struct page___rw *)page)->flags))
			return 0;
	} else if (bpf_core_field_exists(((struct page___rw_618 *)0)->flags)) {
		if (bpf_core_read(&flags, sizeof(flags), &((struct page___rw_618 *)page)->flags.f))
			return 0;
	}
	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))) {
		__u64 flags1 = 0;

		if (bpf_core_read(&flags1, sizeof(flags1), &((struct folio___rw *)page)->_flags_1))
			return 0;
		return 4096ULL << (flags1 & 0xff);
	}
	return 4096;
}

/*
 * The grace-period counter of flavor @key as poll_state_synchronize_*()
 * reads it: rcu_state.gp_seq_polled for RCU (0), else
 * ssp->srcu_sup->srcu_gp_seq. False when it cannot be read.
 */
static __always_inline bool flavor_gp_seq(__u64 key, __u64 *gp_seq)
{
	if (!key) {
		if (!&rcu_state)
			return false;
		return !bpf_core_read(gp_seq, sizeof(*gp_seq),
				      &((struct rcu_state *)&rcu_state)->gp_seq_polled);
	}
	struct srcu_usage *sup = BPF_CORE_READ((struct srcu_struct *)key, srcu_sup);

	if (!sup)
		return false;
	return !bpf_core_read(gp_seq, sizeof(*gp_seq), &sup->srcu_gp_seq);
}

#define RW_GENRADIX_DEPTH_MASK 0xfULL /* generic-radix-tree.h: the root's low bits */
#define RW_GENRADIX_LEAF 64           /* pointers per 512-byte node */

/* Element @i of a GENRADIX(void *): lib/generic-radix-tree.c's walk. */
static __always_inline __u64 genradix_elem(__u64 root, __u64 i)
{
	__u64 node = root & ~RW_GENRADIX_DEPTH_MASK, off = i * 8, v = 0;
	__u32 depth = root & RW_GENRADIX_DEPTH_MASK;
	__u32 shift = 9 + 6 * depth;

	for (int d = 0; d < 4 && shift > 9; d++) {
		shift -= 6;
		if (bpf_probe_read_kernel(&node, sizeof(node), (void *)(node + (off >> shift) * 8)))
			return 0;
		off &= (1ULL << shift) - 1;
		if (!node)
			return 0;
	}
	if (depth > 4 || bpf_probe_read_kernel(&v, sizeof(v), (void *)(node + off)))
		return 0;
	return v;
}

#endif /* RCUWATCH_KERNEL_READ_BPF_H */
