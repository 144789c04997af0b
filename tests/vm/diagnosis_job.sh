#!/bin/sh
# Guest side of tests/vm/diagnosis_test.sh (busybox sh, in the patched guest
# kernel): one scenario per detector verdict (docs/diagnosing.md), each
# watched by its own `rcuwatch report --live` that also records it. For each
# phase P the host gets $OUT/P.json (the live report), P.rc (its exit
# status), P.rwrec (its recording), P.flags (its rcuwatch flags, for the
# offline report) and the module's ground truth before and after (truth.txt,
# blocks "T <uptime> P:begin|P:end"). /etc/e2e.env may set
# ATTACH (default auto) and PHASES (default all, in this order):
#   healthy   steady load: no detector may fire
#   srcu      an SRCU reader held: gp_too_long on rpl_srcu + stranded_bytes
#   flood     CPU 1 floods: callback_flood on cpu 1 only
#   list      failslab fails rcu_pending's radix allocations of two instances
#   slow      a slow process function: processing_lag
#   paths     two enqueue call paths, 30% of the bytes through path b
#   oom       SRCU memory stranded, then a process the OOM killer kills
set -u
OUT=${OUT:-/out}
ATTACH=auto PHASES="healthy srcu flood list slow paths oom"
[ -f /etc/e2e.env ] && . /etc/e2e.env
D=/sys/kernel/debug/rcu_pending_load
F=/sys/kernel/debug/failslab
now() { cut -d' ' -f1 /proc/uptime; }
truth() { echo "T $(now) $1" >> $OUT/truth.txt; cat $D/stats >> $OUT/truth.txt; }
pending_bytes() {  # of the instances in mask $1, from the module's own count
  # busybox awk has no ^ (built without math support): the bit by halving
  awk -v mask=$(($1)) '/cpu=total/ { for (i = 1; i <= NF; i++) { split($i, kv, "=");
      v[kv[1]] = kv[2] } m = mask; for (k = 0; k < v["bit"]; k++) m = int(m / 2)
      if (m % 2) sum += v["pending_bytes"] }
      END { print sum + 0 }' $D/stats
}
mem_available_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# The stock kernel: bcachefs (rcu_pending) and what it needs first.
if [ -f /lib/modules/modules.order ]; then
  for m in $(cat /lib/modules/modules.order); do insmod /lib/modules/$m || exit 9; done
fi
insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10

# The load knobs back to the defaults of an idle module.
reset_load() {
  echo 0 > $D/rate; echo 0 > $D/flood_rate; echo 0 > $D/flood_cpus; echo 0 > $D/dequeue_pct
  echo 0 > $D/process_delay_us; echo 0 > $D/path_b_pct; echo 0 > $D/vmalloc_pct
  [ -f $D/fail_instances ] && echo 0 > $D/fail_instances
  echo 16 > $D/burst; echo 64 > $D/min_bytes; echo 4096 > $D/max_bytes
}

# start PHASE [rcuwatch flags]: a live report of the phase, recorded; returns
# once rcuwatch is attached (the recording's header is written then) and has
# taken a first sample.
start() {
  phase=$1
  shift
  echo "$*" > $OUT/$phase.flags
  rcuwatch report --live --duration 3600 -i 0.5 --attach $ATTACH --json \
    --record $OUT/$phase.rwrec "$@" > $OUT/$phase.json 2> $OUT/$phase.err &
  rw=$!
  for i in $(seq 1 300); do
    [ -s $OUT/$phase.rwrec ] && break
    kill -0 $rw 2>/dev/null || { echo "rcuwatch died:"; cat $OUT/$phase.err; exit 11; }
    sleep 0.1
  done
  [ -s $OUT/$phase.rwrec ] || { echo "rcuwatch did not start in 30 s"; exit 12; }
  sleep 1
  truth $phase:begin
  echo "phase $phase: started"
}

# finish: quiesce (everything enqueued processed), then stop the report.
finish() {
  echo 1 > $D/quiesce || echo "phase $phase: quiesce failed"
  sleep 1
  truth $phase:end
  kill -INT $rw
  wait $rw
  echo $? > $OUT/$phase.rc
  echo "phase $phase: done, report exit $(cat $OUT/$phase.rc)"
  reset_load
}

reset_load
for phase in $PHASES; do
  case $phase in
  healthy)
    start healthy
    echo 0x3f > $D/instances; echo 32 > $D/min_bytes; echo 8192 > $D/max_bytes
    echo 20 > $D/dequeue_pct; echo 200 > $D/rate
    sleep 8
    finish ;;
  srcu)
    start srcu
    echo 0x38 > $D/instances; echo 200 > $D/rate
    sleep 1
    echo 5 > $D/srcu_hold_seconds
    sleep 8
    finish ;;
  flood)
    # CPU 1 floods at 8000 objects/s, CPU 0 enqueues 200/s; limit 2000/s.
    start flood --flood-rate 2000
    echo 0x06 > $D/instances; echo 32 > $D/min_bytes; echo 256 > $D/max_bytes
    echo 64 > $D/burst; echo 0x2 > $D/flood_cpus; echo 8000 > $D/flood_rate; echo 200 > $D/rate
    sleep 6
    finish ;;
  list)
    # Every slab allocation of a task with make_it_fail fails: the module sets
    # it around its enqueues of rpl_rcu_kvfree and rpl_rcu_process
    # (fail_instances) only: a list object is the rcu_head in process mode,
    # the head (not the pointer a radix tree would hold) in kvfree mode.
    if [ ! -d $F ] || [ ! -f $D/fail_instances ]; then
      echo "phase list: SKIPPED: no failslab (CONFIG_FAILSLAB, FAULT_INJECTION_DEBUG_FS)"
      continue
    fi
    echo 100 > $F/probability; echo 1 > $F/interval; echo -1 > $F/times; echo 0 > $F/space
    echo 0 > $F/verbose; echo Y > $F/task-filter; echo N > $F/ignore-gfp-wait
    start list
    echo 0x5 > $D/fail_instances; echo 0x07 > $D/instances; echo 200 > $D/rate
    sleep 5
    finish
    echo 0 > $F/probability ;;
  slow)
    # 10 ms per object in the process function (sleeping), 300 objects a
    # second per CPU in bursts of 300: more than the work item and the
    # enqueues' own processing get through, so seqs wait past their grace
    # period. The lag limit is halved: enqueues process inline too (the
    # thread then stops enqueueing), which holds the lag near 1 s (measured:
    # peaks of 0.51 and 0.96 s at 150/s).
    start slow --lag-limit 0.5
    echo 0x4 > $D/instances; echo 10000 > $D/process_delay_us; echo 300 > $D/burst
    echo 300 > $D/rate
    sleep 8
    echo 0 > $D/rate
    finish ;;
  paths)
    # 30% of the enqueues through rpl_enqueue_path_b; a stack per 16 KiB.
    start paths --sample-bytes 16KiB
    echo 0x4 > $D/instances; echo 30 > $D/path_b_pct; echo 64 > $D/min_bytes
    echo 4096 > $D/max_bytes; echo 400 > $D/rate
    sleep 8
    finish ;;
  oom)
    # SRCU memory stranded (a reader held) until ~90 MB are left, then a
    # process that wants more than that: the OOM killer kills it.
    start oom
    echo -1000 > /proc/$rw/oom_score_adj
    echo 0x30 > $D/instances; echo 2048 > $D/min_bytes; echo 8192 > $D/max_bytes
    echo 60 > $D/srcu_hold_seconds
    echo 64 > $D/burst; echo 2000 > $D/rate
    for i in $(seq 1 600); do
      [ $(mem_available_kb) -lt 92160 ] && break
      sleep 0.1
    done
    echo 0 > $D/rate
    sleep 1
    echo "phase oom: $(pending_bytes 0x30) bytes stranded, MemAvailable $(mem_available_kb) kB"
    truth oom:stranded
    dd if=/dev/zero of=/dev/null bs=160M count=1 2> $OUT/oom-dd.err
    echo "dd exit $? (137: killed)" > $OUT/oom-dd.rc
    sleep 2
    cat $D/oom > $OUT/oom-truth.txt
    echo 0 > $D/srcu_hold_seconds
    sleep 1
    finish ;;
  *) echo "unknown phase $phase"; exit 13 ;;
  esac
done
exit 0
