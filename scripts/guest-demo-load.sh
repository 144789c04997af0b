#!/bin/sh
# Guest side (busybox sh): loads rcu_pending_load with the demo workload:
# steady load on all six instances, 10% dequeued, and every 15 s an SRCU
# reader held for 8 s so SRCU memory piles up (stranded) and drains.
# Used by scripts/demo.sh and scripts/vm-record.sh.
D=/sys/kernel/debug/rcu_pending_load
insmod /lib/modules/rcu_pending_load.ko rate=300 burst=16 min_bytes=64 max_bytes=16384 dequeue_pct=10 ||
  exit 1
( while sleep 7; do echo 8 > $D/srcu_hold_seconds; sleep 8; done ) </dev/null >/dev/null 2>&1 &
