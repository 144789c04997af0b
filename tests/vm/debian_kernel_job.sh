#!/bin/sh
# Guest side of tests/vm/debian_kernel_smoke_test.sh (busybox sh, in Debian's
# own trixie kernel): insmods bcachefs and what it needs, mounts the scratch
# bcachefs on /dev/vda, churns file metadata from several processes so the
# btree key cache frees and reuses `struct bkey_cached` objects through
# rcu_pending, and records what a stock-kernel rcuwatch would find here.
# Writes to $OUT: results.txt (key=value lines the host asserts on),
# facts.txt (kallsyms, tracepoints, BTF, kprobe counts), key_cache_*.txt,
# modules.txt. Exits non-zero only when it cannot go on.
set -u
OUT=${OUT:-/out}
T=/sys/kernel/tracing
WORKERS=${WORKERS:-4}
CHURN_SECONDS=${CHURN_SECONDS:-15}
FILES=${FILES:-40}   # per worker and round
now() { cut -d' ' -f1 /proc/uptime; }
res() { echo "$1" | tee -a $OUT/results.txt; }

res "job_start_uptime_s=$(now)"
res "kernel=$(uname -r)"

# Modules, in the order scripts/debian-kernel-modules.sh worked out. A CPU
# feature module (crc32c-intel, sha256-ssse3) refuses with ENODEV on qemu's
# default CPU; the generic ones then serve.
for m in $(cat /lib/modules/load-order); do
  if err=$(insmod /lib/modules/$m 2>&1); then
    res "insmod_ok=$m"
  else
    res "insmod_failed=$m ${err##*: }"
  fi
done
cat /proc/modules > $OUT/modules.txt

# What rcuwatch's stock mode can hook on this kernel.
{
  echo "== /proc/kallsyms: rcu_pending and the key cache's free path"
  grep -E 'rcu_pending|process_finished_items|bkey_cached_free' /proc/kallsyms | grep -v ' __pfx_' | sort -k3
  echo "== available_events matching rcu: $(grep -c rcu $T/available_events)"
  grep rcu $T/available_events
  echo "== bcachefs trace events: $(grep -c '^bcachefs:' $T/available_events)"
  grep -E '^bcachefs:.*(key_cache|btree_path_free|trans_restart_key_cache)' $T/available_events | head -20
  echo "== /sys/kernel/btf"
  ls -l /sys/kernel/btf/vmlinux /sys/kernel/btf/bcachefs 2>&1
} > $OUT/facts.txt 2>&1
# The host has the same BTF from the package (fetch-debian-kernel.sh: btf/)
# and reads it with bpftool; sizes and a checksum say it is the same.
for b in vmlinux bcachefs; do
  if [ -e /sys/kernel/btf/$b ]; then
    res "btf_$b=$(wc -c < /sys/kernel/btf/$b) $(md5sum < /sys/kernel/btf/$b | cut -d' ' -f1)"
  else
    res "btf_$b=missing"
  fi
done

# Count rcu_pending traffic with kprobe events (kprobe_profile's hit counts
# are exact; no trace buffer involved): enqueue and process per object, the
# dequeue calls of bkey_cached_alloc(), and the process function.
# Successful dequeues (an object reused before its grace period) are the
# kretprobe events whose return value is not NULL; only those are traced.
kprobes=no
if [ -w $T/kprobe_events ]; then
  if echo 'p:rcuwatch/enqueue rcu_pending_enqueue' >> $T/kprobe_events &&
     echo 'p:rcuwatch/process __process_finished_items' >> $T/kprobe_events &&
     echo 'p:rcuwatch/bkey_cached_free __bkey_cached_free' >> $T/kprobe_events &&
     echo 'r:rcuwatch/dequeue rcu_pending_dequeue ret=$retval:x64' >> $T/kprobe_events &&
     echo 'r:rcuwatch/dequeue_from_all rcu_pending_dequeue_from_all ret=$retval:x64' >> $T/kprobe_events; then
    kprobes=yes
    echo 0 > $T/tracing_on
    echo 8192 > $T/buffer_size_kb
    for e in enqueue process bkey_cached_free; do echo '__probe_ip == 0' > $T/events/rcuwatch/$e/filter; done
    for e in dequeue dequeue_from_all; do echo 'ret != 0' > $T/events/rcuwatch/$e/filter; done
    echo 1 > $T/events/rcuwatch/enable
  else
    echo "kprobe_events refused: $(cat $T/kprobe_events)" >> $OUT/facts.txt
  fi
fi
res "kprobes=$kprobes"
kprobe_counts() {  # $1: phase; hits of each probe so far
  [ $kprobes = yes ] || return 0
  for e in enqueue process bkey_cached_free dequeue dequeue_from_all; do
    res "kprobe_hits_${1}_$e=$(awk -v e=$e '$1 == e { print $2 }' $T/kprobe_profile)"
  done
}

mkdir -p /mnt
if mount -t bcachefs /dev/vda /mnt 2> $OUT/mount.err; then
  res "mount_rc=0"
else
  res "mount_rc=$?"; cat $OUT/mount.err
  exit 0   # the host reports what failed
fi
grep ' /mnt ' /proc/mounts | tee -a $OUT/results.txt
fs=$(ls -d /sys/fs/bcachefs/*-*-*-*-* | head -1)
res "fs_sysfs=$fs"
ls $fs/internal > $OUT/internal-files.txt
key_cache() {  # the key-cache counters bcachefs exports (fs/bcachefs/btree_key_cache.c)
  for f in $fs/internal/btree_key_cache $fs/internal/btree_cache; do
    [ -r $f ] && { echo "== ${f#$fs/}"; cat $f; }
  done
}
key_cache > $OUT/key_cache_before.txt
kprobe_counts mounted

# Churn: WORKERS processes, each in its own directory, per round: create
# FILES files, stat them, rename them, stat the kept files, delete the
# renamed ones (and ls -l the directory); drop the caches between rounds so
# inodes are evicted, the key cache's shrinker frees its entries and the
# next round reads them back.
worker() {  # $1: id, $2: round; appends its op count to $OUT/ops.$1
  d=/mnt/w$1; n=0; i=0
  [ -d $d/keep ] || { mkdir -p $d/keep; while [ $i -lt $FILES ]; do echo $i > $d/keep/k$i; i=$((i + 1)); done; n=$((n + FILES + 1)); }
  i=0
  while [ $i -lt $FILES ]; do echo "$1 $2 $i" > $d/f$i; i=$((i + 1)); done
  i=0
  while [ $i -lt $FILES ]; do [ -f $d/f$i ] && mv $d/f$i $d/r$i; [ -e $d/keep/k$i ]; i=$((i + 1)); done
  ls -l $d $d/keep > /dev/null
  i=0
  while [ $i -lt $FILES ]; do rm $d/r$i; i=$((i + 1)); done
  n=$((n + FILES * 5 + 2))   # create, stat, rename, stat kept, unlink; two ls -l
  echo $n >> $OUT/ops.$1
}
[ $kprobes = yes ] && echo 1 > $T/tracing_on
t0=$(now); rounds=0
echo "churn: $WORKERS workers, $FILES files each per round, for ${CHURN_SECONDS}s"
while awk -v a="$t0" -v b="$(now)" -v s="$CHURN_SECONDS" 'BEGIN { exit !(b - a < s) }'; do
  rounds=$((rounds + 1)); pids=""
  w=1; while [ $w -le $WORKERS ]; do worker $w $rounds 2>> $OUT/churn.err & pids="$pids $!"; w=$((w + 1)); done
  wait $pids
  sync
  echo 3 > /proc/sys/vm/drop_caches
  echo "round $rounds at $(now)s: key cache $(grep -E '^(keys|pending):' $fs/internal/btree_key_cache | tr -s ' \n' ' ')"
done
t1=$(now)
[ $kprobes = yes ] && echo 0 > $T/tracing_on
ops=$(cat $OUT/ops.* | awk '{ s += $1 } END { print s + 0 }')
res "churn_rounds=$rounds"
res "churn_ops=$ops"
res "churn_seconds=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }')"
res "churn_errors=$(cat $OUT/churn.err 2>/dev/null | wc -l)"
key_cache > $OUT/key_cache_after.txt
kprobe_counts churned

if [ $kprobes = yes ]; then
  { echo "== kprobe_profile (event, hits, misses) after churn"; cat $T/kprobe_profile; } >> $OUT/facts.txt
  res "dequeue_success=$(grep -c ' dequeue: ' $T/trace)"
  res "dequeue_from_all_success=$(grep -c ' dequeue_from_all: ' $T/trace)"
  res "trace_overrun=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')"
fi

if umount /mnt 2> $OUT/umount.err; then res "umount_rc=0"; else res "umount_rc=$?"; cat $OUT/umount.err; fi
# rcu_pending_exit() at unmount processes what was still pending.
kprobe_counts unmounted
res "job_end_uptime_s=$(now)"
exit 0
