#!/usr/bin/env bash
# The stock guest kernel (scripts/build-kernel.sh stock: bcachefs as a module,
# no rcu_pending tracepoints, no RCU_TRACE) boots, loads bcachefs and the
# workload module, and offers what rcuwatch's stock mode needs: module BTF,
# kallsyms, kprobes, and exact ground truth from the module
# (tests/vm/stock_job.sh runs in the guest).
# usage: stock_kernel_smoke_test.sh [OUT_DIR]   (default: a new temp dir; kept)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
out=${1:-$(mktemp -d /tmp/rcuwatch-stock.XXXXXX)}
kdir=$("$here/scripts/build-kernel.sh" stock | tail -1)
mods=()
while read -r m; do mods+=(--module "$kdir/$m"); done < "$kdir/modules.order"
initrd=$("$here/scripts/make-initramfs.sh" "${mods[@]}" --module "$kdir/rcu_pending_load.ko" \
  --add "$kdir/modules.order:/lib/modules/modules.order" --run "$here/tests/vm/stock_job.sh" | tail -1)
echo "booting $kdir/bzImage; results in $out"
mkdir -p "$out"
rc=0
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
  --timeout 600 > "$out/console.log" 2>&1 || rc=$?
grep -aE '^(PASS|FAIL) |OK  |BAD |kprobe ' "$out/console.log" || true
[ $rc = 0 ] || { echo "guest job failed (status $rc):"; tail -40 "$out/console.log"; }
exit $rc
