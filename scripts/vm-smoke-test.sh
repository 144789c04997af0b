#!/usr/bin/env bash
# End-to-end check of the guest kernel: builds it (cached), boots it with the
# workload module and scripts/vm-smoke-job.sh, and checks that the rcu_pending
# tracepoints agree exactly with rcu_pending_load's ground truth.
# Usage: vm-smoke-test.sh [OUT_DIR]   (default: a new temp dir; kept)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d /tmp/rcuwatch-smoke.XXXXXX)}
kdir=$("$here/scripts/build-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
  --run "$here/scripts/vm-smoke-job.sh" | tail -1)
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" --timeout 600
