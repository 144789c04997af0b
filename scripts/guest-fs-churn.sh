#!/bin/sh
# Guest side (busybox sh): a real bcachefs for the demo. Loads the modules
# the kernel needs (/lib/modules/load-order or modules.order, if any), mounts
# the scratch image on /dev/vda at /mnt, and from 3 s on churns file
# metadata in the background (create, rename, delete small files; every
# fifth round a sync, a cache drop and a read-back), which drives
# bcachefs's btree key cache through rcu_pending: freed entries wait for an
# SRCU grace period, and many are reused (dequeued) before it ends.
# Used by scripts/demo.sh.
order=/lib/modules/load-order
[ -f $order ] || order=/lib/modules/modules.order
if [ -f $order ]; then
  for m in $(cat $order); do insmod /lib/modules/$m 2>/dev/null; done
fi
mkdir -p /mnt
mount -t bcachefs /dev/vda /mnt || { echo "guest-fs-churn: cannot mount /dev/vda"; exit 1; }
(
  sleep 3
  i=0
  while :; do
    i=$((i + 1)); d=/mnt/d$((i % 4)); mkdir -p $d
    for f in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo $i > $d/f$f; done
    for f in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do mv $d/f$f $d/g$f; done
    rm -f $d/g*
    if [ $((i % 5)) = 0 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; ls -lR /mnt > /dev/null; fi
    sleep 0.2
  done
) </dev/null >/dev/null 2>&1 &
