#!/bin/sh
# Guest side of tests/vm/vm_soak_test.sh (busybox sh, patched kernel): the
# workload for rcuwatch.soak=SECONDS (kernel command line; default 120) in
# cycles of a minute: 20 s of load across all six instances, with SRCU
# memory stranded (a reader held 5 s) in the middle, then quiescence and the
# module's ground truth. rcuwatch stat (default ring buffer) watches it all;
# its resident memory is sampled every 5 s.
set -u
OUT=${OUT:-/out}
D=/sys/kernel/debug/rcu_pending_load
now() { cut -d' ' -f1 /proc/uptime; }
truth() { echo "T $(now) $1" >> $OUT/truth.txt; cat $D/stats >> $OUT/truth.txt; }
mark() { echo "T $(now) $1" >> $OUT/marks.txt; }
seconds=120
for arg in $(cat /proc/cmdline); do
  case "$arg" in rcuwatch.soak=*) seconds=${arg#rcuwatch.soak=} ;; esac
done
echo "soak: $seconds s"

insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10
rcuwatch stat -i 1 --json > $OUT/soak.jsonl 2> $OUT/soak.err &
rw=$!
for i in $(seq 1 1200); do  # 120 s: TCG on a busy host
  [ -s $OUT/soak.jsonl ] && break
  kill -0 $rw 2>/dev/null || { echo "rcuwatch died"; cat $OUT/soak.err; exit 11; }
  sleep 0.1
done
( while kill -0 $rw 2>/dev/null; do
    echo "$(now) $(awk '/^VmRSS:/ { print $2 }' /proc/$rw/status)" >> $OUT/rss.txt
    sleep 5
  done ) &

start=$(cut -d. -f1 /proc/uptime)
cycle=0
while [ $(( $(cut -d. -f1 /proc/uptime) - start )) -lt "$seconds" ]; do
  cycle=$((cycle + 1))
  t0=$(cut -d. -f1 /proc/uptime)
  mark "load$cycle"
  echo 0x3f > $D/instances; echo 32 > $D/min_bytes; echo 16384 > $D/max_bytes
  echo 50 > $D/vmalloc_pct; echo 20 > $D/dequeue_pct; echo 8 > $D/burst; echo 200 > $D/rate
  sleep 8
  mark "hold$cycle"
  echo 5 > $D/srcu_hold_seconds
  sleep 12
  echo 0 > $D/rate
  echo 1 > $D/quiesce || echo "quiesce failed in cycle $cycle"
  sleep 3
  truth "quiescent$cycle"
  sleep 3  # rcuwatch's next snapshots see the same quiescence
  mark "idle$cycle"
  left=$(( 60 - ($(cut -d. -f1 /proc/uptime) - t0) ))
  [ $left -gt 0 ] && sleep $left
done
kill -INT $rw; wait $rw; echo $? > $OUT/soak.rc
echo "soak: $cycle cycles"
exit 0
