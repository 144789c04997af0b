#!/bin/sh
# Guest side (busybox sh): loads rcu_pending_load with the demo workload:
# steady load on all six instances, 10% dequeued, and every 15 s an SRCU
# reader held for 8 s so SRCU memory piles up (stranded) and drains.
# The load starts 3 s after this returns, once rcuwatch has attached: objects
# queued before it attached would show as untracked.
# Used by scripts/demo.sh and scripts/vm-record.sh.
D=/sys/kernel/debug/rcu_pending_load
insmod /lib/modules/rcu_pending_load.ko rate=0 burst=16 min_bytes=64 max_bytes=16384 dequeue_pct=10 ||
  exit 1
(
  sleep 3
  echo 300 > $D/rate
  while sleep 7; do echo 8 > $D/srcu_hold_seconds; sleep 8; done
) </dev/null >/dev/null 2>&1 &
