#!/bin/sh
# Guest side of scripts/vm-smoke-test.sh (busybox sh): drives rcu_pending_load
# through several load phases with the rcu_pending and grace-period
# tracepoints on, then checks the trace against the module's ground truth.
# Writes stats/trace/summary to $OUT; exits non-zero if a check fails.
set -u
OUT=${OUT:-/out}
T=/sys/kernel/tracing
D=/sys/kernel/debug/rcu_pending_load
fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }

insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10
echo 16384 > $T/buffer_size_kb          # per CPU: the whole run must fit
echo 0 > $T/options/hash-ptr            # real addresses, to match stats' addr=
echo 1 > $T/events/rcu_pending/enable
echo 1 > $T/events/rcu/srcu_grace_period/enable
echo 1 > $T/events/rcu/rcu_grace_period/enable 2>/dev/null || echo "no rcu:rcu_grace_period"
echo 1 > $T/tracing_on

phase() {  # name seconds key=value...
  name=$1 secs=$2; shift 2
  for kv in "$@"; do echo "${kv#*=}" > "$D/${kv%%=*}"; done
  echo "phase $name: $* for ${secs}s"
  sleep "$secs"
}
phase slab 3 instances=0x3f min_bytes=32 max_bytes=2048 burst=16 dequeue_pct=20 rate=1000
phase large 3 min_bytes=8192 max_bytes=65536 vmalloc_pct=50 dequeue_pct=10 rate=100
# strand SRCU memory: only the SRCU instances, a reader held for 2 s
echo 0x38 > $D/instances; echo 2 > $D/srcu_hold_seconds
phase srcu-held 1 min_bytes=64 max_bytes=4096 rate=500
cat $D/stats > $OUT/stats-srcu-held.txt
sleep 2
echo 1 > $D/quiesce || { echo "quiesce failed"; fail=1; }
echo 0 > $T/tracing_on
cat $D/stats > $OUT/stats.txt
cat $T/trace > $OUT/trace.txt
cat $OUT/stats.txt

echo "--- stranded while the SRCU reader was held (totals):"
grep 'cpu=total' $OUT/stats-srcu-held.txt | sed 's/ enq_.*pending_objs/ pending_objs/'

# Sum the trace per (instance address, cpu) and compare with the ground truth rows.
awk '
function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
function norm(a) { sub(/^0x/, "", a); sub(/^0+/, "", a); return tolower(a) }
FNR == NR {   # stats.txt per-CPU rows
  if ($0 ~ /cpu=total/) next
  a = norm(val("addr")) "/" val("cpu"); name[a] = val("instance") "/" val("cpu")
  s_eo[a] = val("enq_objs"); s_eb[a] = val("enq_bytes"); s_po[a] = val("proc_objs")
  s_do[a] = val("deq_objs"); s_db[a] = val("deq_bytes"); s_pe[a] = val("pending_objs")
  next
}
/^#/ { if ($0 ~ /entries-in-buffer/) entries = $0; next }
/ rcu_pending_enqueue: / { a = norm(val("pending")) "/" val("cpu"); b = val("bytes") + 0; w = val("where")
  eo[a]++; eb[a] += b; where[w]++; if (w == 2) imm[a]++
  if (b <= 0) badbytes++; if (b > maxb) maxb = b; if (minb == "" || b < minb) minb = b; next }
/ rcu_pending_dequeue: / { a = norm(val("pending")) "/" val("cpu"); do_[a]++; db[a] += val("bytes"); ndeq++; next }
/ rcu_pending_process: / { a = norm(val("pending")) "/" val("cpu"); po[a] += val("nr_radix") + val("nr_list"); nproc++
  if (val("nr_list") > 0) listproc++; next }
/ rcu_pending_list_expired: / { nexp++; next }
/ srcu_grace_period: / { nsrcu++; next }
/ rcu_grace_period: / { nrcu++; next }
END {
  print "trace: " entries
  printf "events: enqueue=%d (radix=%d list=%d immediate=%d) dequeue=%d process=%d (with list part %d) list_expired=%d srcu_gp=%d rcu_gp=%d\n",
    where[0] + where[1] + where[2], where[0], where[1], where[2], ndeq, nproc, listproc, nexp, nsrcu, nrcu
  printf "enqueue bytes: min=%d max=%d nonpositive=%d\n", minb, maxb, badbytes
  bad = 0; rows = 0
  for (a in eo) if (!(a in name)) { print "trace has events of an unknown instance/cpu " a; bad = 1 }
  for (a in name) {
    rows++
    ok = (eo[a] == s_eo[a] && eb[a] == s_eb[a] && do_[a] == s_do[a] && db[a] == s_db[a] &&
          po[a] + imm[a] == s_po[a] && s_pe[a] == 0 && s_po[a] == s_eo[a] - s_do[a])
    printf "%-20s %s trace enq=%d/%dB deq=%d/%dB proc=%d+%dimm | truth enq=%d/%dB deq=%d/%dB proc=%d pending=%d\n",
      name[a], ok ? "MATCH" : "DIFF ", eo[a], eb[a], do_[a], db[a], po[a], imm[a],
      s_eo[a], s_eb[a], s_do[a], s_db[a], s_po[a], s_pe[a]
    if (!ok) bad = 1
  }
  printf "%d instance/cpu rows compared\n", rows
  exit bad || rows < 6
}' $OUT/stats.txt $OUT/trace.txt > $OUT/summary.txt
match=$?
cat $OUT/summary.txt
check "trace matches ground truth per instance" "[ $match = 0 ]"
check "no trace events lost" "grep -q 'entries-in-buffer/entries-written: \([0-9]*\)/\1 ' $OUT/summary.txt"
for ev in rcu_pending_enqueue rcu_pending_dequeue rcu_pending_process srcu_grace_period; do
  check "$ev events present" "grep -q ' $ev: ' $OUT/trace.txt"
done
check "vmalloc objects went to the lists (where=1)" "grep -q 'where=1' $OUT/trace.txt"
check "rcu_pending_list_expired events present" "grep -q ' rcu_pending_list_expired: ' $OUT/trace.txt"
check "enqueue bytes all positive" "grep -q 'nonpositive=0' $OUT/summary.txt"
check "memory stranded while SRCU reader held" \
  "grep 'instance=rpl_srcu_process .*cpu=total' $OUT/stats-srcu-held.txt | grep -qv 'pending_objs=0 '"

rmmod rcu_pending_load || fail=1

# Module exit under load with the SRCU reader held: must neither hang nor WARN.
insmod /lib/modules/rcu_pending_load.ko rate=2000 dequeue_pct=30 max_bytes=16384 || fail=1
echo 30 > $D/srcu_hold_seconds
sleep 2
grep cpu=total $D/stats | sed 's/ enq_bytes.*pending_objs/ pending_objs/'
check "rmmod under load with SRCU reader held" "rmmod rcu_pending_load"
dmesg | grep -E 'rcu_pending_load|WARNING|BUG' | tee $OUT/module-dmesg.txt
check "no WARN/BUG in dmesg" "! dmesg | grep -qE 'WARNING|BUG'"
exit $fail
