#!/usr/bin/env bash
# Soak in the patched kernel under qemu (issue 12): the workload in cycles
# of a minute (load, SRCU memory stranded, quiescence) for SOAK_SECONDS
# (default 120, what CI runs; docs/reliability.md has a 1800 s run). Checks
# (tests/vm/check_soak.py): resident memory flat after warm-up, accounting
# exact at every quiescent point, every stranded episode seen, no drops at
# the default ring buffer size. Guest: tests/vm/soak_job.sh.
# usage: [SOAK_SECONDS=N] vm_soak_test.sh RCUWATCH_BINARY [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
seconds=${SOAK_SECONDS:-120}
out=${2:-$(mktemp -d /tmp/rcuwatch-vm-soak.XXXXXX)}
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
kdir=$("$here/scripts/build-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --run "$here/tests/vm/soak_job.sh" | tail -1)
echo "booting $kdir/bzImage for a $seconds s soak; results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
  --append "rcuwatch.soak=$seconds" --timeout $((seconds + 600)) > "$out/console.log" 2>&1 ||
  { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -E "^soak" "$out/console.log" || true
python3 "$here/tests/vm/check_soak.py" "$out"
