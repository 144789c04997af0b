#!/bin/sh
# Guest side of tests/vm/vm_e2e_test.sh (busybox sh, in a guest kernel):
# rcuwatch attached (--attach $ATTACH) while rcu_pending_load runs steady
# load, strands SRCU memory, then quiesces. Saves rcuwatch's JSON lines, its
# recording and timestamped copies of the module's ground truth to $OUT; the
# host compares them. /etc/e2e.env may set:
#   ATTACH        --attach of every rcuwatch started here (default auto)
#   ALSO_ATTACH   a second `rcuwatch stat` in another mode, for comparison
#   VMALLOC_PCT   of large objects made with vmalloc (stock modes cannot size them)
# and /lib/modules/modules.order lists modules to load first (bcachefs).
set -u
OUT=${OUT:-/out}
ATTACH=auto ALSO_ATTACH= VMALLOC_PCT=50
[ -f /etc/e2e.env ] && . /etc/e2e.env
D=/sys/kernel/debug/rcu_pending_load
now() { cut -d' ' -f1 /proc/uptime; }  # CLOCK_BOOTTIME = rcuwatch's monotonic clock here (no suspend)
truth() { echo "T $(now) $1" >> $OUT/truth.txt; cat $D/stats >> $OUT/truth.txt; }

if [ -f /lib/modules/modules.order ]; then
  for m in $(cat /lib/modules/modules.order); do insmod /lib/modules/$m || exit 9; done
fi
insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10
rcuwatch stat -i 0.5 --json --attach $ATTACH --record $OUT/run.rwrec > $OUT/stat.jsonl 2> $OUT/rcuwatch.err &
rw=$!
also=
if [ -n "$ALSO_ATTACH" ]; then
  rcuwatch stat -i 0.5 --json --attach $ALSO_ATTACH > $OUT/stat-also.jsonl 2> $OUT/also.err &
  also=$!
fi
# Two more views on the same live kernel, each with its own BPF programs:
# the Prometheus exporter (scraped at quiescence) and a live report window
# that spans the whole run.
rcuwatch exporter --attach $ATTACH --listen 127.0.0.1:9640 -i 0.5 2> $OUT/exporter.err &
exp=$!
rcuwatch report --attach $ATTACH --live --duration 18 -i 0.5 --json > $OUT/report-live.json 2> $OUT/report.err &
rep=$!
# Start the load only once rcuwatch is attached (its first snapshot is out):
# objects enqueued before would be "untracked" and the totals would differ.
for i in $(seq 1 1200); do  # 120 s: TCG on a busy host
  [ -s $OUT/stat.jsonl ] && break
  kill -0 $rw 2>/dev/null || { echo "rcuwatch died:"; cat $OUT/rcuwatch.err; exit 11; }
  sleep 0.1
done
[ -s $OUT/stat.jsonl ] || { echo "rcuwatch did not start in 120 s"; exit 12; }
if [ -n "$also" ]; then
  for i in $(seq 1 1200); do [ -s $OUT/stat-also.jsonl ] && break; sleep 0.1; done
  [ -s $OUT/stat-also.jsonl ] || { echo "the second rcuwatch did not start:"; cat $OUT/also.err; exit 13; }
fi
for i in $(seq 1 1200); do  # 120 s: TCG on a busy host
  wget -q -O /dev/null http://127.0.0.1:9640/metrics 2>/dev/null && break
  sleep 0.1
done
sleep 1  # the live report attaches as the exporter does

echo "phase steady: all six instances, slab and vmalloc sizes, 20% dequeued"
echo 0x3f > $D/instances; echo 32 > $D/min_bytes; echo 16384 > $D/max_bytes
echo $VMALLOC_PCT > $D/vmalloc_pct; echo 20 > $D/dequeue_pct; echo 8 > $D/burst; echo 200 > $D/rate
sleep 3
for i in 1 2 3; do truth steady; sleep 1; done

echo "phase stranded: SRCU instances only, an SRCU reader held for 5 s"
echo 0 > $D/dequeue_pct; echo 0x38 > $D/instances; echo 4096 > $D/max_bytes
echo 5 > $D/srcu_hold_seconds
sleep 1; truth held
sleep 2; truth held
sleep 4; truth released

echo "phase quiesce"
echo 1 > $D/quiesce || echo "quiesce failed"
sleep 3
truth quiescent
# Stock modes remember where each queued object sits (map "objects") until
# it leaves, dequeued or processed with its batch: quiescent, nothing is
# queued, so no rcuwatch here remembers anything.
if command -v bpftool > /dev/null; then
  for id in $(bpftool map show name objects | awk -F: '/^[0-9]+:/ { print $1 }'); do
    bpftool -j map dump id $id > $OUT/objects-map-$id.json
  done
fi
sleep 1  # the exporter's next snapshot is after quiescence
wget -q -O $OUT/metrics.txt http://127.0.0.1:9640/metrics || echo "scraping the exporter failed"
kill -INT $rw; wait $rw; echo "rcuwatch exit $?" >> $OUT/rcuwatch.err
[ -n "$also" ] && { kill -INT $also; wait $also; echo "second rcuwatch exit $?" >> $OUT/also.err; }
kill -TERM $exp; wait $exp; echo "exporter exit $?" >> $OUT/exporter.err
wait $rep; echo "report exit $?" >> $OUT/report.err
echo "rcuwatch wrote $(wc -l < $OUT/stat.jsonl) snapshots; stderr:"; cat $OUT/rcuwatch.err
exit 0
