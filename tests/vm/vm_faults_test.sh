#!/usr/bin/env bash
# Live faults in the patched kernel under qemu (issue 12): a ring buffer
# overflowed by a burst at --ringbuf 4096, a full disk while recording, the
# workload module unloaded while watched. Guest: tests/vm/faults_job.sh;
# checks: tests/vm/check_faults.py.
# usage: vm_faults_test.sh RCUWATCH_BINARY [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
out=${2:-$(mktemp -d /tmp/rcuwatch-vm-faults.XXXXXX)}
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
kdir=$("$here/scripts/build-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --run "$here/tests/vm/faults_job.sh" | tail -1)
echo "booting $kdir/bzImage; results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
  --timeout 900 > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -E "^phase" "$out/console.log" || true
python3 "$here/tests/vm/check_faults.py" "$out" "$rw"
