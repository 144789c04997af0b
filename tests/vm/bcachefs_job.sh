#!/bin/sh
# Guest side of tests/vm/bcachefs_test.sh (busybox sh): rcuwatch watches a
# real bcachefs. Loads the modules the kernel needs (/lib/modules/load-order,
# else modules.order), starts `rcuwatch stat --json` with no --attach (it
# must choose a mode itself), mounts the scratch image on /dev/vda, churns
# file metadata from several processes in rounds (cache drops between them,
# so the key cache's shrinker frees entries through rcu_pending and the next
# round reuses them), pausing after each round for a quiescent point where
# it records bcachefs's own key-cache counters; then unmounts and lets
# rcuwatch sample the end. Writes to $OUT: stat.jsonl, sysfs.txt (counters
# per quiescent point), slab.txt, rcuwatch.err, results.txt.
set -u
OUT=${OUT:-/out}
WORKERS=4 ROUNDS=4 FILES=60
[ -f /etc/e2e.env ] && . /etc/e2e.env
now() { cut -d' ' -f1 /proc/uptime; }
res() { echo "$1" | tee -a $OUT/results.txt; }

order=/lib/modules/load-order
[ -f $order ] || order=/lib/modules/modules.order
if [ -f $order ]; then
  # A CPU-feature variant (crc32c-intel, sha256-ssse3) may refuse with
  # ENODEV on qemu's CPU: the generic module then serves.
  for m in $(cat $order); do insmod /lib/modules/$m 2>/dev/null || echo "insmod $m failed"; done
fi
grep -q bcachefs /proc/filesystems || { echo "no bcachefs in this kernel"; exit 10; }

rcuwatch stat -i 0.5 --json > $OUT/stat.jsonl 2> $OUT/rcuwatch.err &
rw=$!
for i in $(seq 1 1200); do  # 120 s: TCG on a busy host
  [ -s $OUT/stat.jsonl ] && break
  kill -0 $rw 2>/dev/null || { echo "rcuwatch died:"; cat $OUT/rcuwatch.err; exit 11; }
  sleep 0.1
done
[ -s $OUT/stat.jsonl ] || { echo "rcuwatch did not start in 120 s"; exit 12; }
grep -m1 -o '"mode":"[a-z]*"' $OUT/stat.jsonl | sed 's/^/rcuwatch chose /'

mkdir -p /mnt
mount -t bcachefs /dev/vda /mnt || { echo "mount failed"; exit 13; }
fs=$(ls -d /sys/fs/bcachefs/*-*-*-*-* | head -1)
res "fs_sysfs=$fs"
res "fs_name=$(basename $(dirname $(readlink -f /sys/block/vda/dev)) 2>/dev/null)"
# ksize() of a struct bkey_cached: its cache's size (merged caches alias).
res "slab_size=$(cat /sys/kernel/slab/bkey_cached/slab_size 2>/dev/null)"
res "object_size=$(cat /sys/kernel/slab/bkey_cached/object_size 2>/dev/null)"

kc() { awk -v k="$1" -F: '$1 == k { gsub(/ /, "", $2); print $2 }' $fs/internal/btree_key_cache; }
quiet() {  # a quiescent point: no churn, caches written back, grace periods passed
  sync; sleep 3
  echo "Q $(now) $1 pending=$(kc pending) freed=$(kc freed) keys=$(kc keys)" >> $OUT/sysfs.txt
  sleep 1.5  # two more rcuwatch samples of the same state
}
worker() {  # $1: id, $2: round
  d=/mnt/w$1; i=0
  mkdir -p $d
  while [ $i -lt $FILES ]; do echo "$1 $2 $i" > $d/f$i; i=$((i + 1)); done
  i=0
  while [ $i -lt $FILES ]; do mv $d/f$i $d/r$i; stat $d/r$i > /dev/null; i=$((i + 1)); done
  ls -l $d > /dev/null
  i=0
  while [ $i -lt $FILES ]; do [ $((i % 3)) = 0 ] || rm $d/r$i; i=$((i + 1)); done
}
quiet mounted
r=1
while [ $r -le $ROUNDS ]; do
  pids=""
  w=1; while [ $w -le $WORKERS ]; do worker $w $r & pids="$pids $!"; w=$((w + 1)); done
  wait $pids
  sync
  echo 3 > /proc/sys/vm/drop_caches
  ls -lR /mnt > /dev/null   # read back: the key cache fills again, reusing pending objects
  echo "round $r at $(now)s: key cache pending=$(kc pending) keys=$(kc keys)"
  quiet "round$r"
  r=$((r + 1))
done
umount /mnt || { echo "umount failed"; exit 14; }
echo "U $(now) unmounted" >> $OUT/sysfs.txt
sleep 2
kill -INT $rw; wait $rw; echo "rcuwatch exit $?" >> $OUT/rcuwatch.err
echo "rcuwatch wrote $(wc -l < $OUT/stat.jsonl) snapshots"
exit 0
