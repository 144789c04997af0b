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
. "$here/tests/vm/boot.sh"
vm_prepare "$out"
echo "a $seconds s soak"
vm_boot "$rw" "$out" "$here/tests/vm/soak_job.sh" $((seconds + 600)) -- --append "rcuwatch.soak=$seconds"
grep -E "^soak" "$out/console.log" || true
python3 "$here/tests/vm/check_soak.py" "$out"
