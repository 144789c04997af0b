#!/bin/sh
# Guest side of tests/vm/vm_observer_test.sh (busybox sh): the workload
# module times each call into rcu_pending (debugfs enqueue_timing) at a
# steady load, in alternating phases without and with `rcuwatch stat`
# attached (off on off on off on), all in this one boot. Each phase writes
# "observer PHASE N calls=C ns=NS" to the console and $OUT/observer.txt.
# /etc/e2e.env may set ATTACH (default auto) and SECONDS_PER_PHASE (10).
set -u
OUT=${OUT:-/out}
ATTACH=auto SECONDS_PER_PHASE=10
[ -f /etc/e2e.env ] && . /etc/e2e.env
D=/sys/kernel/debug/rcu_pending_load
if [ -f /lib/modules/modules.order ]; then  # the stock kernel: bcachefs first
  for m in $(cat /lib/modules/modules.order); do insmod /lib/modules/$m || exit 9; done
fi
insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10
[ -f $D/enqueue_timing ] || { echo "observer: SKIPPED: the module has no enqueue_timing"; exit 12; }
timing() { sed 's/calls=\([0-9]*\) ns=\([0-9]*\)/\1 \2/' $D/enqueue_timing; }

# A steady load on every instance: small objects, no dequeues, no vmalloc.
echo 0x3f > $D/instances; echo 64 > $D/min_bytes; echo 512 > $D/max_bytes
echo 0 > $D/vmalloc_pct; echo 0 > $D/dequeue_pct; echo 16 > $D/burst; echo 2000 > $D/rate
sleep 3

rw=
# Attaching and detaching rcuwatch happen at a quiescent point (no enqueue,
# nothing left to process), then the load resumes and settles. Under TCG,
# fentry attach patching a call site that the other vCPU was running
# oopsed the guest now and then (`Oops: int3` at rcu_pending_enqueue+0x5,
# __process_finished_items+0x1, poll_state_synchronize_srcu+0x5: 3 of 8
# boots; docs/kernel.md). The phases time only the steady load after it.
quiet() { echo 1 > $D/quiesce || { echo "observer: quiesce failed"; exit 13; }; }
resume() { echo 2000 > $D/rate; sleep 3; }
phase() {  # phase NAME INDEX
  set -- "$1" "$2" $(timing)
  sleep $SECONDS_PER_PHASE
  set -- "$1" "$2" "$3" "$4" $(timing)
  line="observer $1 $2 calls=$(($5 - $3)) ns=$(($6 - $4))"
  echo "$line"; echo "$line" >> $OUT/observer.txt
}
for i in 1 2 3; do
  phase off $i
  quiet
  rcuwatch stat -i 1 --json --attach "$ATTACH" > $OUT/stat$i.txt 2> $OUT/stat$i.err &
  rw=$!
  for t in $(seq 1 600); do  # attached once the first line is out (60 s: TCG)
    [ -s $OUT/stat$i.txt ] && break
    kill -0 $rw 2>/dev/null || { echo "observer: rcuwatch died"; cat $OUT/stat$i.err; exit 11; }
    sleep 0.1
  done
  resume
  phase on $i
  grep -o "\"mode\":\"[a-z]*\"" $OUT/stat$i.txt | head -1 > $OUT/mode.txt
  quiet
  kill -INT $rw; wait $rw; echo $? > $OUT/stat$i.rc
  resume
done
echo 0 > $D/rate
exit 0
