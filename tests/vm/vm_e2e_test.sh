#!/usr/bin/env bash
# End-to-end: boots the patched kernel in qemu with rcuwatch and the workload
# module, runs tests/vm/e2e_job.sh there, and checks rcuwatch against the
# module's ground truth (tests/vm/check_e2e.py).
# usage: vm_e2e_test.sh RCUWATCH_BINARY [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
out=${2:-$(mktemp -d /tmp/rcuwatch-e2e.XXXXXX)}
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
kdir=$("$here/scripts/build-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --run "$here/tests/vm/e2e_job.sh" | tail -1)
echo "booting $kdir/bzImage; results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
  --timeout 900 > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -E "^phase|rcuwatch (wrote|exit)" "$out/console.log" || true
"$rw" replay "$out/run.rwrec" --json --final > "$out/replay.json"
# The report of the guest's recording, offline (exit 3: a detector fired).
rc=0; "$rw" report "$out/run.rwrec" --json > "$out/report-offline.json" || rc=$?
echo "report exit $rc" > "$out/report-offline.err"
python3 "$here/tests/vm/check_e2e.py" "$out" "$out/replay.json"
