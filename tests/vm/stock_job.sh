#!/bin/sh
# Guest side of tests/vm/stock_kernel_smoke_test.sh (busybox sh, in the stock
# kernel): bcachefs is a module with module BTF, rcu_pending has no
# tracepoints and RCU no grace-period events, but rcu_pending's functions are
# in kallsyms, kprobes fire on them, and the workload module runs with exact
# ground truth. Exits non-zero if a check fails.
set -u
OUT=${OUT:-/out}
T=/sys/kernel/tracing
D=/sys/kernel/debug/rcu_pending_load
M=/lib/modules
fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }
ksym() { awk -v s="$1" '$3 == s { found = 1 } END { exit !found }' /proc/kallsyms; }

for m in $(cat $M/modules.order); do
  insmod $M/$m || { echo "FAIL insmod $m"; fail=1; }
done
insmod $M/rcu_pending_load.ko rate=0 || { echo "FAIL insmod rcu_pending_load.ko"; exit 10; }
lsmod > $OUT/lsmod.txt

check "bcachefs module BTF at /sys/kernel/btf/bcachefs" "[ -f /sys/kernel/btf/bcachefs ]"
check "bcachefs BTF names rcu_pending_enqueue and struct rcu_pending_pcpu" \
  "grep -q rcu_pending_enqueue /sys/kernel/btf/bcachefs && grep -q rcu_pending_pcpu /sys/kernel/btf/bcachefs"
check "workload module BTF at /sys/kernel/btf/rcu_pending_load" "[ -f /sys/kernel/btf/rcu_pending_load ]"
check "no rcu_pending: tracepoints" "! grep -q '^rcu_pending:' $T/available_events"
check "no rcu:rcu_grace_period tracepoint" "! grep -qx 'rcu:rcu_grace_period' $T/available_events"
check "no rcu:srcu_grace_period tracepoint" "! grep -qx 'rcu:srcu_grace_period' $T/available_events"
for s in rcu_pending_enqueue rcu_pending_dequeue rcu_pending_dequeue_from_all \
         __process_finished_items rcu_pending_rcu_cb rcu_pending_work rpl_srcu_process; do
  check "kallsyms has $s" "ksym $s"
done
check "virtio_blk is built in" "[ -d /sys/bus/virtio/drivers/virtio_blk ]"

# A kprobe on the module function rcuwatch's stock mode hooks: once per
# rcu_pending_enqueue() call, i.e. per enqueue of the call_rcu and process
# instances (kvfree ones enqueue through rcu_pending_kvfree()).
echo 'p:rpl_enqueue rcu_pending_enqueue' >> $T/kprobe_events
check "kprobe on rcu_pending_enqueue" "[ -d $T/events/kprobes/rpl_enqueue ]"
echo 16384 > $T/buffer_size_kb
echo 1 > $T/events/kprobes/rpl_enqueue/enable 2>/dev/null
echo 1 > $T/tracing_on

echo 20 > $D/dequeue_pct
echo 100 > $D/rate
sleep 3
echo 1 > $D/quiesce || { echo "FAIL quiesce"; fail=1; }
echo 0 > $T/tracing_on
cat $D/stats > $OUT/stats.txt
cat $OUT/stats.txt
grep -c ' rpl_enqueue: ' $T/trace > $OUT/kprobe-hits.txt

awk -v hits="$(cat $OUT/kprobe-hits.txt)" '
function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
/cpu=total/ {
  n++; eo = val("enq_objs"); ok = eo > 0 && eo == val("proc_objs") + val("deq_objs") && val("pending_objs") == 0 &&
    val("enq_bytes") == val("proc_bytes") + val("deq_bytes") && val("pending_bytes") == 0
  if (val("mode") != "kvfree") enq_calls += eo
  printf "%-18s %s enq=%d proc=%d deq=%d pending=%d\n", val("instance"), ok ? "OK  " : "BAD ", eo, val("proc_objs"), val("deq_objs"), val("pending_objs")
  if (!ok) bad = 1
}
END {
  printf "kprobe rcu_pending_enqueue hits=%d, call_rcu+process enqueues=%d\n", hits, enq_calls
  exit bad || n != 6 || hits != enq_calls
}' $OUT/stats.txt > $OUT/summary.txt
rc=$?
cat $OUT/summary.txt
check "stats: enq = proc + deq and nothing pending at quiescence, all 6 instances" "[ $rc = 0 ]"

check "rmmod rcu_pending_load" "rmmod rcu_pending_load"
dmesg | grep -E 'rcu_pending_load|bcachefs|WARNING|BUG' > $OUT/module-dmesg.txt
check "no WARN/BUG in dmesg" "! dmesg | grep -qE 'WARNING|BUG'"
exit $fail
