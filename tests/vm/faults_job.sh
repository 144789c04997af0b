#!/bin/sh
# Guest side of tests/vm/vm_faults_test.sh (busybox sh, patched kernel):
# live faults while rcuwatch watches the workload module.
#  1. ring buffer overflow: a burst of lifecycle events into --ringbuf 4096
#     (and a default-sized rcuwatch beside it), then quiescence: the
#     drops are counted, the counters still exact against the module;
#  2. disk full while recording: `stat --record` and `record -o` into a 64 KiB
#     tmpfs under load;
#  3. the module unloaded while watched, then 70 s more (the aggregator
#     retires instances 60 s after they last moved).
# Saves rcuwatch's JSON lines, stderr, exit statuses, the recordings and the
# module's ground truth (truth.txt, as tests/vm/truth.py reads it) to $OUT.
set -u
OUT=${OUT:-/out}
D=/sys/kernel/debug/rcu_pending_load
now() { cut -d' ' -f1 /proc/uptime; }
truth() { echo "T $(now) $1" >> $OUT/truth.txt; cat $D/stats >> $OUT/truth.txt; }
# wait_output FILE PID: until FILE has a line (rcuwatch attached and sampled)
wait_output() {
  for i in $(seq 1 1200); do  # 120 s: TCG on a busy host
    [ -s $1 ] && return 0
    kill -0 $2 2>/dev/null || { echo "rcuwatch died before its first output"; return 1; }
    sleep 0.1
  done
  return 1
}
load() {  # load RATE BURST: all six instances, slab and vmalloc sizes, 20% dequeued
  echo 0x3f > $D/instances; echo 32 > $D/min_bytes; echo 16384 > $D/max_bytes
  echo 50 > $D/vmalloc_pct; echo 20 > $D/dequeue_pct; echo $2 > $D/burst; echo $1 > $D/rate
}

insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10

echo "phase ringbuf: a burst into a 4 KiB ring buffer"
rcuwatch stat -i 0.5 --json --ringbuf 4096 > $OUT/ringbuf_small.jsonl 2> $OUT/ringbuf_small.err &
small=$!
rcuwatch stat -i 0.5 --json > $OUT/ringbuf_default.jsonl 2> $OUT/ringbuf_default.err &
default=$!
wait_output $OUT/ringbuf_small.jsonl $small || exit 11
wait_output $OUT/ringbuf_default.jsonl $default || exit 11
load 2000 64
sleep 6
echo 0 > $D/rate
echo 1 > $D/quiesce || echo "quiesce failed"
sleep 3
truth ringbuf_quiescent
sleep 1.5  # a snapshot after the truth
kill -INT $small $default; wait $small; echo $? > $OUT/ringbuf_small.rc; wait $default; echo $? > $OUT/ringbuf_default.rc

echo "phase disk full: recording into a 256 KiB tmpfs"
mkdir -p /mnt/small && mount -t tmpfs -o size=256k tmpfs /mnt/small || exit 12
load 200 8
rcuwatch stat -i 0.5 --json --record /mnt/small/stat.rwrec > $OUT/full_stat.jsonl 2> $OUT/full_stat.err &
st=$!
wait_output $OUT/full_stat.jsonl $st || exit 13
for i in $(seq 1 600); do grep -q 'recording stopped' $OUT/full_stat.err && break; sleep 0.1; done
sleep 3  # the view goes on after the recording stopped
kill -INT $st; wait $st; echo $? > $OUT/full_stat.rc
cp /mnt/small/stat.rwrec $OUT/full_stat.rwrec
rm -f /mnt/small/stat.rwrec
rcuwatch record -o /mnt/small/record.rwrec -i 0.5 -n 10000 2> $OUT/full_record.err
echo $? > $OUT/full_record.rc
cp /mnt/small/record.rwrec $OUT/full_record.rwrec
df -k /mnt/small > $OUT/full_df.txt

echo "phase unload: the module unloaded under load, watched 70 s more"
rcuwatch stat -i 0.5 --json > $OUT/unload.jsonl 2> $OUT/unload.err &
st=$!
wait_output $OUT/unload.jsonl $st || exit 14
sleep 3
echo "T $(now) unload" >> $OUT/unload_times.txt
rmmod rcu_pending_load; echo $? > $OUT/rmmod.rc
echo "T $(now) unloaded" >> $OUT/unload_times.txt
sleep 70
kill -INT $st; wait $st; echo $? > $OUT/unload.rc
exit 0
