// SPDX-License-Identifier: GPL-2.0
/*
 * rcu_pending_load: a workload for rcuwatch. Six rcu_pending instances (RCU
 * and SRCU flavor x kvfree, call_rcu-style and custom process modes) are fed
 * by one kthread per chosen CPU; everything is tunable at run time in
 * /sys/kernel/debug/rcu_pending_load/ and the module keeps an exact ground
 * truth of what it enqueued, what was processed and what it dequeued, per
 * instance and per enqueue CPU (stats), in the same bytes as the
 * rcu_pending tracepoints (see rpl_alloc_bytes()).
 *
 * The scenarios rcuwatch's detectors are proven on (tests/vm/) have knobs
 * here: a flood on chosen CPUs (flood_cpus, flood_rate), a slow process
 * function (process_delay_us), two enqueue call paths with a known byte
 * split (path_b_pct; rpl_enqueue_path_a/_b), radix allocations failed by
 * fault injection (fail_instances, with failslab's task filter) and what was
 * pending at each OOM kill (the oom file, from an OOM notifier).
 *
 * Builds against both guest kernels of scripts/build-kernel.sh: the stock one
 * (only kernel/patches/0001: rcu_pending's API exported) and the patched one
 * (all of kernel/patches/); it needs nothing but that export patch.
 *
 * Instances are static variables with descriptive names (rpl_<flavor>_<mode>)
 * because rcuwatch names an instance by looking its address up in kallsyms.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/oom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "rcu_pending.h"	/* fs/bcachefs/, via RCU_PENDING_SRC in Kbuild */

/* ---- run-time controls (module params = initial values, debugfs = live) */
static unsigned int rate = 0;		/* objects/s per thread, 0 = stopped */
static unsigned int burst = 16;		/* objects per wakeup */
static unsigned int min_bytes = 64;
static unsigned int max_bytes = 512;
static unsigned int vmalloc_pct = 50;	/* of objects > 2 pages: vmalloc()ed */
static unsigned int dequeue_pct = 0;	/* of enqueues followed by a dequeue */
static unsigned int instances = 0x3f;	/* bit i = rpl_instances[i] active */
static unsigned int cpus = 0;		/* mask of CPUs with a thread, 0 = all online */
static unsigned int flood_cpus = 0;	/* threads on these CPUs run at flood_rate */
static unsigned int flood_rate = 0;	/* objects/s per flooding thread, 0 = rate */
static unsigned int process_delay_us = 0;	/* busy wait in each process callback */
static unsigned int path_b_pct = 0;	/* of enqueues through rpl_enqueue_path_b */
static unsigned int fail_instances = 0;	/* enqueues of these instances run make_it_fail */
module_param(rate, uint, 0644);
module_param(burst, uint, 0644);
module_param(min_bytes, uint, 0644);
module_param(max_bytes, uint, 0644);
module_param(vmalloc_pct, uint, 0644);
module_param(dequeue_pct, uint, 0644);
module_param(instances, uint, 0644);
module_param(cpus, uint, 0444);
MODULE_PARM_DESC(rate, "objects per second per thread (0 = stopped)");
MODULE_PARM_DESC(burst, "objects enqueued back to back per wakeup");
MODULE_PARM_DESC(min_bytes, "smallest object size requested");
MODULE_PARM_DESC(max_bytes, "largest object size requested (uniform in [min,max])");
MODULE_PARM_DESC(vmalloc_pct, "percent of objects larger than 2 pages allocated with vmalloc()");
MODULE_PARM_DESC(dequeue_pct, "percent of enqueues followed by rcu_pending_dequeue[_from_all]()");
MODULE_PARM_DESC(instances, "bitmask of active instances (see stats for the order)");
MODULE_PARM_DESC(cpus, "bitmask of CPUs to run load threads on (0 = all online)");

/* ---- instances */
static struct srcu_struct rpl_srcu;

static struct rcu_pending rpl_rcu_kvfree;
static struct rcu_pending rpl_rcu_call_rcu;
static struct rcu_pending rpl_rcu_process;
static struct rcu_pending rpl_srcu_kvfree;
static struct rcu_pending rpl_srcu_call_rcu;
static struct rcu_pending rpl_srcu_process;

enum rpl_mode { RPL_KVFREE, RPL_CALL_RCU, RPL_PROCESS };

struct rpl_counters {
	atomic64_t enq_objs, enq_bytes, proc_objs, proc_bytes, deq_objs, deq_bytes;
	atomic64_t path_objs[2], path_bytes[2];	/* through rpl_enqueue_path_a, _b */
	atomic64_t fail_objs;		/* enqueued with make_it_fail set */
	atomic64_t fail_imm_objs;	/* of those, processed at once inside the enqueue */
};

struct rpl_instance {
	const char		*name;
	struct rcu_pending	*pending;
	bool			srcu;
	enum rpl_mode		mode;
	bool			initialized;
	struct rpl_counters	cnt[NR_CPUS];	/* indexed by enqueue CPU */
};

/*
 * Every object starts with this header. The rcu_head is deliberately not at
 * offset 0, so the tracepoints see interior pointers (call_rcu and custom
 * modes report the rcu_head; kvfree mode reports the object start).
 */
#define RPL_MAGIC 0x52504c0000000001ULL	/* non-canonical: never a kernel pointer */
struct rpl_obj {
	u64			magic;
	u32			cpu;		/* enqueue CPU: the stats row */
	u32			inst;		/* index in rpl_instances */
	u64			bytes;		/* rpl_alloc_bytes(), as the tracepoint */
	struct rcu_head		head;
};

static void rpl_rcu_call_rcu_fn(struct rcu_head *head);
static void rpl_srcu_call_rcu_fn(struct rcu_head *head);
static void rpl_rcu_process_fn(struct rcu_pending *pending, struct rcu_head *head);
static void rpl_srcu_process_fn(struct rcu_pending *pending, struct rcu_head *head);

static struct rpl_instance rpl_instances[] = {
	{ "rpl_rcu_kvfree",	&rpl_rcu_kvfree,	false,	RPL_KVFREE },
	{ "rpl_rcu_call_rcu",	&rpl_rcu_call_rcu,	false,	RPL_CALL_RCU },
	{ "rpl_rcu_process",	&rpl_rcu_process,	false,	RPL_PROCESS },
	{ "rpl_srcu_kvfree",	&rpl_srcu_kvfree,	true,	RPL_KVFREE },
	{ "rpl_srcu_call_rcu",	&rpl_srcu_call_rcu,	true,	RPL_CALL_RCU },
	{ "rpl_srcu_process",	&rpl_srcu_process,	true,	RPL_PROCESS },
};
#define RPL_NR ARRAY_SIZE(rpl_instances)

/*
 * The object being enqueued with make_it_fail set, per CPU (the threads are
 * bound to theirs): rcu_pending processes an object inside its own enqueue
 * when its grace period is already over (__rcu_pending_enqueue(),
 * check_expired). Every other failing enqueue lands on a list, so the list
 * fallback's ground truth is fail_objs - fail_imm_objs.
 */
struct rpl_failing {
	struct task_struct *task;
	struct rpl_obj *obj;
};
static DEFINE_PER_CPU(struct rpl_failing, rpl_failing);

/*
 * What an enqueue costs the kernel, timed around each call into rcu_pending
 * (debugfs enqueue_timing): rcuwatch's observer effect is the difference
 * with and without it attached (tests/vm/vm_observer_test.sh).
 */
struct rpl_timing {
	u64 calls;
	u64 ns;
};
static DEFINE_PER_CPU(struct rpl_timing, rpl_timing);

/* Processing: called by rcu_pending after the grace period of the object. */
static void rpl_processed(struct rcu_head *head)
{
	struct rpl_obj *obj = container_of(head, struct rpl_obj, head);
	struct rpl_counters *c = &rpl_instances[obj->inst].cnt[obj->cpu];
	unsigned int delay = READ_ONCE(process_delay_us);
	struct rpl_failing *f = raw_cpu_ptr(&rpl_failing);

	WARN_ON_ONCE(obj->magic != RPL_MAGIC);
	if (f->obj == obj && f->task == current)
		atomic64_inc(&c->fail_imm_objs);
	/*
	 * A slow process function. Sleeping, not spinning: rcu_pending calls it
	 * with its lock dropped and IRQs on, from our threads' enqueues or its
	 * work item (__process_finished_items(), check_expired), both may
	 * sleep; a busy wait would stall RCU grace periods (PREEMPT_NONE, no
	 * cond_resched() in the processing loop) instead of lagging processing.
	 */
	if (delay)
		usleep_range(min(delay, 10000U), min(delay, 10000U) + 100);
	atomic64_add(obj->bytes, &c->proc_bytes);
	atomic64_inc(&c->proc_objs);
	kvfree(obj);	/* kmalloc, large kmalloc or vmalloc */
}

/* RCU_PENDING_CALL_RCU_FN: __process_finished_items() calls head->func(head). */
static void rpl_rcu_call_rcu_fn(struct rcu_head *head)  { rpl_processed(head); }
static void rpl_srcu_call_rcu_fn(struct rcu_head *head) { rpl_processed(head); }

/* Custom mode: __process_finished_items() calls pending->process(pending, head). */
static void rpl_rcu_process_fn(struct rcu_pending *pending, struct rcu_head *head)
{
	rpl_processed(head);
}

static void rpl_srcu_process_fn(struct rcu_pending *pending, struct rcu_head *head)
{
	rpl_processed(head);
}

/*
 * kvfree mode: the kernel kvfree()s the object itself, so "processed" cannot
 * be observed; stats derive it as enqueued - dequeued, which is exact only at
 * quiescence (see the quiesce file).
 */

/*
 * The bytes the rcu_pending tracepoints report for an object, computed here
 * so that this module needs no kernel change but the exports. The patched
 * kernel reports mem_alloc_size() (kernel/patches/0002) of the pointer
 * rcu_pending stores: the object start for kvfree-mode radix entries, the
 * interior rcu_head otherwise. The two give the same number because
 * mem_alloc_size() maps any address inside an allocation to the whole
 * allocation (virt_to_folio(), find_vm_area()). And for the object start
 * that number is
 * - slab: ksize() = slab_ksize() of the object's cache, as mem_alloc_size();
 * - large kmalloc: ksize() = folio_size(), as mem_alloc_size();
 * - vmalloc: PAGE_ALIGN(size): vmalloc() maps whole small pages (no huge
 *   mappings without VM_ALLOW_HUGE_VMAP, see rpl_kvmalloc()), which
 *   mem_alloc_size() counts as area->nr_pages, without the guard page.
 * ksize() must be given the object start, hence obj and not &obj->head.
 * (With KFENCE, ksize() of a KFENCE object is its requested size instead:
 * the guest configs have KFENCE off.)
 */
static size_t rpl_alloc_bytes(const void *obj, size_t size)
{
	return is_vmalloc_addr(obj) ? PAGE_ALIGN(size) : ksize(obj);
}

/*
 * kvmalloc() without its huge-mapping vmalloc fallback (kvmalloc() passes
 * VM_ALLOW_HUGE_VMAP, which rounds requests of PMD_SIZE or more up to 2 MiB
 * mappings): kmalloc (a large kmalloc is a whole folio), else vmalloc().
 */
static void *rpl_kvmalloc(size_t size)
{
	void *p;

	if (size <= PAGE_SIZE)
		return kmalloc(size, GFP_KERNEL);
	p = kmalloc(size, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
	return p ?: vmalloc(size);
}

static struct rpl_obj *rpl_alloc(unsigned int inst, unsigned int cpu)
{
	unsigned int lo = max_t(unsigned int, READ_ONCE(min_bytes), sizeof(struct rpl_obj));
	unsigned int hi = max(READ_ONCE(max_bytes), lo);
	size_t size = get_random_u32_inclusive(lo, hi);
	struct rpl_instance *in = &rpl_instances[inst];
	struct rpl_obj *obj;

	/*
	 * vmalloc objects are made explicitly (a kmalloc of a few pages rarely
	 * fails): rcu_pending puts those on its lists in kvfree mode
	 * (__rcu_pending_enqueue(): is_vmalloc_addr()).
	 */
	if (size > 2 * PAGE_SIZE && get_random_u32_below(100) < READ_ONCE(vmalloc_pct))
		obj = vmalloc(size);
	else
		obj = rpl_kvmalloc(size);
	if (!obj)
		return NULL;
	obj->magic = RPL_MAGIC;
	obj->cpu = cpu;
	obj->inst = inst;
	obj->bytes = rpl_alloc_bytes(obj, size);
	if (in->mode == RPL_CALL_RCU)
		obj->head.func = in->srcu ? rpl_srcu_call_rcu_fn : rpl_rcu_call_rcu_fn;
	return obj;
}

/*
 * The enqueue itself. With failslab's task filter on (the VM scenario sets
 * probability 100, task-filter and ignore-gfp-wait N), make_it_fail fails
 * every slab allocation rcu_pending makes inside this call (the radix node,
 * GFP_ATOMIC, then GFP_KERNEL once the lock is dropped; the seq's darray) but
 * none of ours: the object goes on a list (or, its grace period already
 * over, is processed at once).
 */
static __always_inline void rpl_enqueue_call(struct rpl_instance *in, unsigned int inst,
					     struct rpl_obj *obj)
{
	bool fail = IS_ENABLED(CONFIG_FAULT_INJECTION) && (READ_ONCE(fail_instances) & BIT(inst));
	struct rpl_failing *f = raw_cpu_ptr(&rpl_failing);
	u64 t0;

	if (fail) {
		atomic64_inc(&in->cnt[obj->cpu].fail_objs);
		f->task = current;
		f->obj = obj;
#ifdef CONFIG_FAULT_INJECTION
		current->make_it_fail = 1;
#endif
	}
	t0 = ktime_get_ns();
	if (in->mode == RPL_KVFREE)
		rcu_pending_kvfree(in->pending, &obj->head, obj);
	else
		rcu_pending_enqueue(in->pending, &obj->head);
	/* Preemption may move us: any CPU's slot will do, the sum is read. */
	this_cpu_add(rpl_timing.ns, ktime_get_ns() - t0);
	this_cpu_inc(rpl_timing.calls);
	if (fail) {
#ifdef CONFIG_FAULT_INJECTION
		current->make_it_fail = 0;
#endif
		f->obj = NULL;
	}
}

/*
 * Two call paths into rcu_pending, for rcuwatch's call sites: each keeps its
 * own stack frame (noipa: never inlined, cloned or merged; the barrier
 * after the call: not a tail call).
 */
static __attribute__((__noipa__)) void rpl_enqueue_path_a(struct rpl_instance *in,
							 unsigned int inst, struct rpl_obj *obj)
{
	rpl_enqueue_call(in, inst, obj);
	barrier();
}

static __attribute__((__noipa__)) void rpl_enqueue_path_b(struct rpl_instance *in,
							 unsigned int inst, struct rpl_obj *obj)
{
	rpl_enqueue_call(in, inst, obj);
	barrier();
}

static void rpl_enqueue(unsigned int inst, unsigned int cpu)
{
	struct rpl_instance *in = &rpl_instances[inst];
	struct rpl_counters *c = &in->cnt[cpu];
	struct rpl_obj *obj = rpl_alloc(inst, cpu);
	unsigned int path;

	if (!obj)
		return;
	path = get_random_u32_below(100) < READ_ONCE(path_b_pct);
	/* Count first: processing may run before rcu_pending_enqueue() returns. */
	atomic64_add(obj->bytes, &c->enq_bytes);
	atomic64_inc(&c->enq_objs);
	atomic64_add(obj->bytes, &c->path_bytes[path]);
	atomic64_inc(&c->path_objs[path]);
	if (path)
		rpl_enqueue_path_b(in, inst, obj);
	else
		rpl_enqueue_path_a(in, inst, obj);
}

/*
 * rcu_pending_dequeue() returns what the instance stored: the rcu_head, except
 * in kvfree mode where radix entries hold the object pointer and list entries
 * the rcu_head (rcu_pending_pcpu_dequeue()); the magic tells them apart.
 */
static void rpl_dequeue(unsigned int inst, bool from_all)
{
	struct rpl_instance *in = &rpl_instances[inst];
	struct rcu_head *ret = from_all ? rcu_pending_dequeue_from_all(in->pending)
					: rcu_pending_dequeue(in->pending);
	struct rpl_obj *obj;
	struct rpl_counters *c;

	if (!ret)
		return;
	obj = *(u64 *)ret == RPL_MAGIC ? (struct rpl_obj *)ret
				       : container_of(ret, struct rpl_obj, head);
	WARN_ON_ONCE(obj->magic != RPL_MAGIC || obj->inst != inst);
	c = &in->cnt[obj->cpu];
	atomic64_add(obj->bytes, &c->deq_bytes);
	atomic64_inc(&c->deq_objs);
	kvfree(obj);
}

/* ---- load threads */
static struct task_struct *rpl_threads[NR_CPUS];
static atomic_t rpl_busy;	/* threads inside a burst: quiesce waits for 0 */

static int rpl_thread(void *data)
{
	unsigned int cpu = (unsigned long)data, next_inst = 0;
	u64 next_ns = ktime_get_ns();

	while (!kthread_should_stop()) {
		unsigned int r = READ_ONCE(rate), b = max(READ_ONCE(burst), 1U);
		unsigned int fr = READ_ONCE(flood_rate);

		if (fr && cpu < 32 && (READ_ONCE(flood_cpus) & BIT(cpu)))
			r = fr;
		unsigned int mask = READ_ONCE(instances) & (BIT(RPL_NR) - 1);
		u64 now;

		if (!r || !mask) {
			schedule_timeout_interruptible(HZ / 10);
			next_ns = ktime_get_ns();
			continue;
		}
		atomic_inc(&rpl_busy);
		for (unsigned int i = 0; i < b && (READ_ONCE(rate) || READ_ONCE(flood_rate)); i++) {
			/* round-robin over the active instances */
			do
				next_inst = (next_inst + 1) % RPL_NR;
			while (!(mask & BIT(next_inst)));
			rpl_enqueue(next_inst, cpu);
			if (get_random_u32_below(100) < READ_ONCE(dequeue_pct))
				rpl_dequeue(next_inst, get_random_u32_below(2));
		}
		atomic_dec(&rpl_busy);

		/* pace to r objects/s; never try to catch up more than 1 s */
		next_ns += div_u64((u64)b * NSEC_PER_SEC, r);
		now = ktime_get_ns();
		if (now + NSEC_PER_SEC < next_ns || next_ns + NSEC_PER_SEC < now)
			next_ns = now;
		if (next_ns > now)
			usleep_range_state(div_u64(next_ns - now, NSEC_PER_USEC),
					   div_u64(next_ns - now, NSEC_PER_USEC) + 100,
					   TASK_INTERRUPTIBLE);
		else
			cond_resched();
	}
	return 0;
}

/* ---- srcu_hold_seconds: an SRCU reader that strands rpl_srcu_* memory */
static DEFINE_MUTEX(rpl_hold_lock);
static int rpl_hold_idx = -1;	/* srcu_down_read() cookie while held */

static void rpl_hold_release(struct work_struct *w)
{
	mutex_lock(&rpl_hold_lock);
	if (rpl_hold_idx >= 0) {
		srcu_up_read(&rpl_srcu, rpl_hold_idx);
		rpl_hold_idx = -1;
		pr_info("srcu reader released\n");
	}
	mutex_unlock(&rpl_hold_lock);
}
static DECLARE_DELAYED_WORK(rpl_hold_work, rpl_hold_release);

/*
 * srcu_down_read()/srcu_up_read() may be called from different tasks, so a
 * delayed work can end the read-side section: no thread sleeps holding it.
 */
static ssize_t srcu_hold_write(struct file *f, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int secs;
	int ret = kstrtouint_from_user(ubuf, len, 0, &secs);

	if (ret)
		return ret;
	mutex_lock(&rpl_hold_lock);
	if (secs && rpl_hold_idx < 0) {
		rpl_hold_idx = srcu_down_read(&rpl_srcu);
		pr_info("srcu reader held for %u s\n", secs);
	}
	mutex_unlock(&rpl_hold_lock);
	mod_delayed_work(system_wq, &rpl_hold_work, secs * HZ);
	return len;
}

static ssize_t srcu_hold_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%d\n", READ_ONCE(rpl_hold_idx) >= 0);

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations srcu_hold_fops = {
	.owner = THIS_MODULE,
	.write = srcu_hold_write,
	.read = srcu_hold_read,
};

/* ---- stats: the ground truth */
static const char *rpl_mode_name(enum rpl_mode mode)
{
	return mode == RPL_KVFREE ? "kvfree" : mode == RPL_CALL_RCU ? "call_rcu" : "process";
}

/*
 * One CPU's counters of @in as row[]: enq objs/bytes, proc objs/bytes, deq
 * objs/bytes, pending objs/bytes.
 */
static void rpl_read_counters(const struct rpl_instance *in, struct rpl_counters *c, s64 row[8])
{
	/* read proc/deq before enq so pending never looks negative */
	s64 po = atomic64_read(&c->proc_objs), pb = atomic64_read(&c->proc_bytes);
	s64 dob = atomic64_read(&c->deq_objs), db = atomic64_read(&c->deq_bytes);
	s64 eo = atomic64_read(&c->enq_objs), eb = atomic64_read(&c->enq_bytes);

	if (in->mode == RPL_KVFREE) {	/* derived (the kvfree-mode comment above) */
		po = eo - dob;
		pb = eb - db;
	}
	row[0] = eo; row[1] = eb; row[2] = po; row[3] = pb;
	row[4] = dob; row[5] = db; row[6] = eo - po - dob; row[7] = eb - pb - db;
}

static int stats_show(struct seq_file *m, void *v)
{
	for (unsigned int i = 0; i < RPL_NR; i++) {
		struct rpl_instance *in = &rpl_instances[i];
		s64 t[8] = {}, extra[6] = {};
		int cpu;

		for_each_possible_cpu(cpu) {
			struct rpl_counters *c = &in->cnt[cpu];

			extra[0] += atomic64_read(&c->path_objs[0]);
			extra[1] += atomic64_read(&c->path_bytes[0]);
			extra[2] += atomic64_read(&c->path_objs[1]);
			extra[3] += atomic64_read(&c->path_bytes[1]);
			extra[4] += atomic64_read(&c->fail_objs);
			extra[5] += atomic64_read(&c->fail_imm_objs);
			s64 row[8];

			rpl_read_counters(in, c, row);
			for (int k = 0; k < 8; k++)
				t[k] += row[k];
			if (!row[0])
				continue;
			seq_printf(m, "instance=%s addr=0x%lx cpu=%d enq_objs=%lld enq_bytes=%lld "
				   "proc_objs=%lld proc_bytes=%lld deq_objs=%lld deq_bytes=%lld "
				   "pending_objs=%lld pending_bytes=%lld mode=%s\n", in->name,
				   (unsigned long)in->pending, cpu, row[0], row[1], row[2], row[3],
				   row[4], row[5], row[6], row[7], rpl_mode_name(in->mode));
		}
		seq_printf(m, "instance=%s addr=0x%lx cpu=total enq_objs=%lld enq_bytes=%lld "
			   "proc_objs=%lld proc_bytes=%lld deq_objs=%lld deq_bytes=%lld "
			   "pending_objs=%lld pending_bytes=%lld mode=%s flavor=%s bit=%u "
			   "path_a_objs=%lld path_a_bytes=%lld path_b_objs=%lld path_b_bytes=%lld "
			   "list_objs=%lld\n",
			   in->name, (unsigned long)in->pending, t[0], t[1], t[2], t[3], t[4],
			   t[5], t[6], t[7],
			   rpl_mode_name(in->mode), in->srcu ? "srcu" : "rcu", i,
			   extra[0], extra[1], extra[2], extra[3], extra[4] - extra[5]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int enqueue_timing_show(struct seq_file *m, void *v)
{
	u64 calls = 0, ns = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		calls += READ_ONCE(per_cpu(rpl_timing, cpu).calls);
		ns += READ_ONCE(per_cpu(rpl_timing, cpu).ns);
	}
	seq_printf(m, "calls=%llu ns=%llu\n", calls, ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(enqueue_timing);

/*
 * ---- oom: what the module's instances held when the OOM killer ran. The
 * OOM notifier chain runs at the start of every system-wide out_of_memory()
 * (mm/oom_kill.c), before it chooses a victim (oom:mark_victim); an
 * out_of_memory() may end without a kill (a victim still exiting), so the
 * host matches each kill with the last record before it. kvfree instances
 * are left out: their processing cannot be observed (see stats).
 */
#define RPL_OOM_MAX 64
struct rpl_oom_record {
	u64 time_ns;			/* ktime_get_ns(): bpf_ktime_get_ns()'s clock */
	s64 pending_objs, pending_bytes;
	s64 inst_bytes[ARRAY_SIZE(rpl_instances)];
};
static struct rpl_oom_record rpl_oom[RPL_OOM_MAX];
static atomic_t rpl_oom_nr = ATOMIC_INIT(0);

static int rpl_oom_notify(struct notifier_block *nb, unsigned long unused, void *freed)
{
	unsigned int n = atomic_fetch_inc(&rpl_oom_nr);
	struct rpl_oom_record *r;

	if (n >= RPL_OOM_MAX)
		return NOTIFY_OK;
	r = &rpl_oom[n];
	for (unsigned int i = 0; i < RPL_NR; i++) {
		struct rpl_instance *in = &rpl_instances[i];
		int cpu;

		if (in->mode == RPL_KVFREE)
			continue;
		for_each_possible_cpu(cpu) {
			s64 row[8];

			rpl_read_counters(in, &in->cnt[cpu], row);
			r->pending_objs += row[6];
			r->pending_bytes += row[7];
			r->inst_bytes[i] += row[7];
		}
	}
	smp_wmb();	/* the record before its time: a reader skips records with time 0 */
	WRITE_ONCE(r->time_ns, ktime_get_ns());
	return NOTIFY_OK;
}
static struct notifier_block rpl_oom_nb = { .notifier_call = rpl_oom_notify };

static int oom_show(struct seq_file *m, void *v)
{
	unsigned int n = min_t(unsigned int, atomic_read(&rpl_oom_nr), RPL_OOM_MAX);

	for (unsigned int k = 0; k < n; k++) {
		struct rpl_oom_record *r = &rpl_oom[k];

		if (!READ_ONCE(r->time_ns))
			continue;
		smp_rmb();
		seq_printf(m, "oom n=%u time_ns=%llu pending_objs=%lld pending_bytes=%lld",
			   k, r->time_ns, r->pending_objs, r->pending_bytes);
		for (unsigned int i = 0; i < RPL_NR; i++)
			if (rpl_instances[i].mode != RPL_KVFREE)
				seq_printf(m, " %s=%lld", rpl_instances[i].name, r->inst_bytes[i]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oom);

static bool rpl_callback_modes_idle(void)
{
	for (unsigned int i = 0; i < RPL_NR; i++) {
		struct rpl_instance *in = &rpl_instances[i];
		int cpu;

		if (in->mode == RPL_KVFREE)
			continue;
		for_each_possible_cpu(cpu) {
			struct rpl_counters *c = &in->cnt[cpu];

			if (atomic64_read(&c->proc_objs) + atomic64_read(&c->deq_objs) !=
			    atomic64_read(&c->enq_objs))
				return false;
		}
	}
	return true;
}

/*
 * quiesce: stop the load and wait until everything enqueued was processed.
 * Callback modes are observed directly; kvfree instances share the same
 * grace periods and rcu_pending work (rcu_pending_rcu_cb() ->
 * rcu_pending_work()), so once the callback instances drained, a few more
 * barriers drain them too. Fails with -EBUSY while an SRCU reader is held.
 */
static ssize_t quiesce_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	unsigned long deadline = jiffies + 60 * HZ;

	WRITE_ONCE(rate, 0);
	WRITE_ONCE(flood_rate, 0);
	while (atomic_read(&rpl_busy))
		msleep(10);
	if (READ_ONCE(rpl_hold_idx) >= 0)
		return -EBUSY;
	while (!rpl_callback_modes_idle()) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		rcu_barrier();
		srcu_barrier(&rpl_srcu);
		msleep(20);
	}
	for (int i = 0; i < 3; i++) {
		rcu_barrier();
		srcu_barrier(&rpl_srcu);
		msleep(20);
	}
	return len;
}

static const struct file_operations quiesce_fops = {
	.owner = THIS_MODULE,
	.write = quiesce_write,
};

/* ---- init / exit */
static struct dentry *rpl_dir;

static void rpl_stop_threads(void)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		if (rpl_threads[cpu]) {
			kthread_stop(rpl_threads[cpu]);
			rpl_threads[cpu] = NULL;
		}
}

static void rpl_exit_instances(void)
{
	/* rcu_pending_exit() waits for and processes everything still pending */
	for (unsigned int i = 0; i < RPL_NR; i++)
		if (rpl_instances[i].initialized) {
			rcu_pending_exit(rpl_instances[i].pending);
			rpl_instances[i].initialized = false;
		}
	srcu_barrier(&rpl_srcu);
	cleanup_srcu_struct(&rpl_srcu);
}

static int __init rpl_init(void)
{
	int ret, cpu;

	ret = init_srcu_struct(&rpl_srcu);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < RPL_NR; i++) {
		struct rpl_instance *in = &rpl_instances[i];
		rcu_pending_process_fn fn =
			in->mode == RPL_KVFREE ? RCU_PENDING_KVFREE_FN :
			in->mode == RPL_CALL_RCU ? RCU_PENDING_CALL_RCU_FN :
			in->srcu ? rpl_srcu_process_fn : rpl_rcu_process_fn;

		ret = rcu_pending_init(in->pending, in->srcu ? &rpl_srcu : NULL, fn);
		if (ret) {
			rpl_exit_instances();
			return ret;
		}
		in->initialized = true;
	}

	rpl_dir = debugfs_create_dir("rcu_pending_load", NULL);
	debugfs_create_u32("rate", 0644, rpl_dir, &rate);
	debugfs_create_u32("burst", 0644, rpl_dir, &burst);
	debugfs_create_u32("min_bytes", 0644, rpl_dir, &min_bytes);
	debugfs_create_u32("max_bytes", 0644, rpl_dir, &max_bytes);
	debugfs_create_u32("vmalloc_pct", 0644, rpl_dir, &vmalloc_pct);
	debugfs_create_u32("dequeue_pct", 0644, rpl_dir, &dequeue_pct);
	debugfs_create_x32("instances", 0644, rpl_dir, &instances);
	debugfs_create_x32("flood_cpus", 0644, rpl_dir, &flood_cpus);
	debugfs_create_u32("flood_rate", 0644, rpl_dir, &flood_rate);
	debugfs_create_u32("process_delay_us", 0644, rpl_dir, &process_delay_us);
	debugfs_create_u32("path_b_pct", 0644, rpl_dir, &path_b_pct);
	if (IS_ENABLED(CONFIG_FAULT_INJECTION))
		debugfs_create_x32("fail_instances", 0644, rpl_dir, &fail_instances);
	debugfs_create_file("oom", 0444, rpl_dir, NULL, &oom_fops);
	debugfs_create_file("srcu_hold_seconds", 0644, rpl_dir, NULL, &srcu_hold_fops);
	debugfs_create_file("stats", 0444, rpl_dir, NULL, &stats_fops);
	debugfs_create_file("enqueue_timing", 0444, rpl_dir, NULL, &enqueue_timing_fops);
	debugfs_create_file("quiesce", 0200, rpl_dir, NULL, &quiesce_fops);

	for_each_online_cpu(cpu) {
		struct task_struct *t;

		if (cpus && (cpu >= 32 || !(cpus & BIT(cpu))))
			continue;
		/* bound to @cpu: the enqueue CPU rcu_pending uses is the stats row */
		t = kthread_run_on_cpu(rpl_thread, (void *)(unsigned long)cpu, cpu, "rpl_load/%u");
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			debugfs_remove_recursive(rpl_dir);
			rpl_stop_threads();
			rpl_exit_instances();
			return ret;
		}
		rpl_threads[cpu] = t;
	}
	ret = register_oom_notifier(&rpl_oom_nb);
	if (ret) {
		debugfs_remove_recursive(rpl_dir);
		rpl_stop_threads();
		rpl_exit_instances();
		return ret;
	}
	pr_info("loaded: rate=%u burst=%u bytes=%u..%u dequeue_pct=%u instances=0x%x\n",
		rate, burst, min_bytes, max_bytes, dequeue_pct, instances);
	return 0;
}

static void __exit rpl_exit(void)
{
	debugfs_remove_recursive(rpl_dir);	/* no control writes from here on */
	unregister_oom_notifier(&rpl_oom_nb);
	rpl_stop_threads();
	cancel_delayed_work_sync(&rpl_hold_work);
	rpl_hold_release(NULL);			/* else srcu_barrier() would wait forever */
	rpl_exit_instances();

	for (unsigned int i = 0; i < RPL_NR; i++) {
		struct rpl_instance *in = &rpl_instances[i];
		s64 eo = 0, po = 0, dob = 0;
		int cpu;

		for_each_possible_cpu(cpu) {
			eo += atomic64_read(&in->cnt[cpu].enq_objs);
			po += atomic64_read(&in->cnt[cpu].proc_objs);
			dob += atomic64_read(&in->cnt[cpu].deq_objs);
		}
		if (in->mode == RPL_KVFREE)
			po = eo - dob;
		pr_info("exit %s: enq_objs=%lld proc_objs=%lld deq_objs=%lld pending_objs=%lld\n",
			in->name, eo, po, dob, eo - po - dob);
		WARN_ON(eo - po - dob);
	}
}

module_init(rpl_init);
module_exit(rpl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rcu_pending workload with ground-truth accounting, for rcuwatch");
