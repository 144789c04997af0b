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
. "$here/tests/vm/boot.sh"
vm_prepare "$out"
vm_boot "$rw" "$out" "$here/tests/vm/faults_job.sh" 900
grep -E "^phase" "$out/console.log" || true
python3 "$here/tests/vm/check_faults.py" "$out" "$rw"
