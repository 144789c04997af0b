#!/usr/bin/env bash
# Records the demo workload of the patched kernel in qemu with
# `rcuwatch record`, for offline analysis, bug reports and test fixtures.
# usage: vm-record.sh OUTPUT.rwrec [SECONDS] [INTERVAL]   (default 20 s, 0.5 s)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out_file=$1; secs=${2:-20}; interval=${3:-0.5}
[ "$(id -u)" = 0 ] || { echo "vm-record.sh: run as root" >&2; exit 1; }
count=$(awk -v s="$secs" -v i="$interval" 'BEGIN { printf "%d", s / i }')
cmake -S "$here" -B "$here/build" >/dev/null && cmake --build "$here/build" -j"$(nproc)" --target rcuwatch >/dev/null
kdir=$("$here/scripts/build-kernel.sh" | tail -1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/job.sh" <<JOB
#!/bin/sh
sh /demo-load.sh || exit 1
rcuwatch record -o \$OUT/recording.rwrec -i $interval -n $count
JOB
initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
  --add "$here/build/cli/rcuwatch:/usr/sbin/rcuwatch" \
  --add "$here/scripts/guest-demo-load.sh:/demo-load.sh" --run "$tmp/job.sh" | tail -1)
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$tmp/out" \
  --timeout $((secs * 4 + 120)) > "$tmp/console.log" 2>&1 || { tail -30 "$tmp/console.log"; exit 1; }
cp "$tmp/out/recording.rwrec" "$out_file"
echo "recorded $(stat -c %s "$out_file") bytes to $out_file"
