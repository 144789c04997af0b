#!/bin/sh
# Guest side of tests/vm/unit_privileges_test.sh (busybox sh): rcuwatch on a
# live rcu_pending with the systemd unit's privileges and with one fewer.
# /etc/unit-caps holds the unit's capabilities in setpriv's spelling
# (+bpf,+perfmon,...). Loads the bcachefs modules, mounts the scratch
# bcachefs (the key cache's rcu_pending instances then exist), and runs
# `rcuwatch stat -i 0.5 --json` as uid 61184 (DynamicUser's range) with
# those ambient capabilities and no_new_privs (setpriv, as systemd would set
# them up): once it has written its first snapshot, files churn, then it is
# stopped with SIGTERM (as systemd stops the unit). Once per attach mode and
# once without each capability.
# Writes $OUT/runs.txt: "NAME exit=N mode=M lines=N enqueued=N named=yes|no"
# per run (enqueued: summed over the instances of the last snapshot; named:
# the census named the filesystem's key cache), NAME.jsonl, NAME.err.
set -u
OUT=${OUT:-/out}
order=/lib/modules/load-order
for m in $(cat $order); do insmod /lib/modules/$m 2>/dev/null || echo "insmod $m failed"; done
mkdir -p /mnt && mount -t bcachefs /dev/vda /mnt || { echo "mount failed"; exit 13; }
caps=$(cat /etc/unit-caps)
# The initramfs keeps the modes of its staging tree (0700 directories):
# let the unit's uid read the binary and its libraries, as on a real system.
chmod a+rx /
chmod -R a+rX /usr /lib /lib64 /etc /bin /sbin 2>/dev/null
echo "kernel.kptr_restrict=$(cat /proc/sys/kernel/kptr_restrict)" \
  "kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)" >> $OUT/runs.txt
churn() {  # key-cache traffic (as tests/vm/bcachefs_job.sh's worker): files
  # made, renamed, removed, caches dropped (the shrinker frees entries
  # through rcu_pending) and read back
  i=0; while [ $i -lt 100 ]; do echo $i > /mnt/f$i; i=$((i + 1)); done
  i=0; while [ $i -lt 100 ]; do mv /mnt/f$i /mnt/r$i; i=$((i + 1)); done
  sync; echo 3 > /proc/sys/vm/drop_caches; ls -lR /mnt > /dev/null
  rm -f /mnt/r*; sync; echo 3 > /proc/sys/vm/drop_caches; ls -lR /mnt > /dev/null
}
as_unit() { # name, capabilities, rcuwatch args...
  name=$1 c=$2; shift 2
  # util-linux's setpriv (busybox has an applet of the same name in /bin)
  /usr/bin/setpriv --reuid=61184 --regid=61184 --clear-groups --inh-caps="-all,$c" \
    --ambient-caps="-all,$c" --bounding-set="-all,$c" --no-new-privs \
    rcuwatch stat -i 0.5 --json "$@" > $OUT/$name.jsonl 2> $OUT/$name.err &
  rw=$!
  # Loading takes seconds under TCG: churn only once it watches.
  i=0
  while [ ! -s $OUT/$name.jsonl ] && kill -0 $rw 2>/dev/null && [ $i -lt 1200 ]; do
    sleep 0.1; i=$((i + 1))
  done
  if [ -s $OUT/$name.jsonl ]; then
    churn; sleep 1.5; kill -TERM $rw
  else
    kill -KILL $rw 2>/dev/null  # exited by itself, or not started in 120 s
  fi
  wait $rw
  rc=$?
  last=$(tail -1 $OUT/$name.jsonl)
  mode=$(echo "$last" | grep -o '"attach":{[^}]*"mode":"[a-z]*"' | grep -o '"mode":"[a-z]*"' | cut -d'"' -f4)
  enq=$(echo "$last" | grep -o '"enqueued_objects":{"per_sec":[0-9.e+-]*,"total":[0-9]*}' |
    sed 's/.*"total":\([0-9]*\)}/\1/' | awk '{ n += $1 } END { print n + 0 }')
  named=no; echo "$last" | grep -q '"bcachefs vda key cache\[0\]"' && named=yes
  echo "$name exit=$rc mode=${mode:-none} lines=$(wc -l < $OUT/$name.jsonl) enqueued=${enq:-0} named=$named" |
    tee -a $OUT/runs.txt
}
as_unit unit "$caps"
as_unit unit_kprobe "$caps" --attach kprobe
for c in $(echo "$caps" | tr , ' '); do
  as_unit "without_${c#+}" "$(echo "$caps" | tr , '\n' | grep -vx -- "$c" | paste -sd, -)"
done
umount /mnt
exit 0
