#!/usr/bin/env bash
# The detectors' verdicts, proven in the patched guest kernel: boots it in a
# memory-limited qemu with rcuwatch and the workload module, runs one scenario
# per verdict (tests/vm/diagnosis_job.sh), then checks on the host
# (tests/vm/check_diagnosis.py) that each scenario's live report gave the
# expected verdicts, that `report` on the scenario's recording gives the same
# ones offline, and the numbers behind them against the module's ground truth.
# usage: diagnosis_test.sh RCUWATCH_BINARY [--variant patched|stock] [--attach MODE]
#                          [--phases "healthy srcu ..."] [--out DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
shift
variant=patched attach=auto phases="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=$2; shift 2 ;;
    --attach) attach=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "diagnosis_test: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d /tmp/rcuwatch-diagnosis.XXXXXX)}
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
. "$here/tests/vm/boot.sh"
vm_kernel "$variant"
env_file=$(mktemp /tmp/rcuwatch-diagnosis-env.XXXXXX)
trap 'rm -f "$env_file"' EXIT
{
  echo "ATTACH=$attach"
  [ -z "$phases" ] || echo "PHASES=\"$phases\""
} > "$env_file"
initrd=$("$here/scripts/make-initramfs.sh" "${vm_modules[@]}" --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --add "$env_file:/etc/e2e.env" \
  --run "$here/tests/vm/diagnosis_job.sh" | tail -1)
echo "booting $kdir/bzImage ($variant, --attach $attach, 320 MB); results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" --mem 320 \
  --timeout 1500 > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -E "^phase|rcuwatch died|SKIPPED" "$out/console.log" || true
# Each scenario's recording, offline, with the flags it ran with (detector
# limits): its report (text and JSON, with the exit status) and its last
# snapshot.
for rec in "$out"/*.rwrec; do
  p=$(basename "$rec" .rwrec)
  flags=()
  read -r -a flags < "$out/$p.flags" || true
  rc=0; "$rw" report "$rec" --json "${flags[@]}" > "$out/$p.offline.json" || rc=$?
  echo "$rc" > "$out/$p.offline.rc"
  "$rw" report "$rec" "${flags[@]}" > "$out/$p.offline.txt" || true
  "$rw" replay "$rec" --json --final "${flags[@]}" > "$out/$p.final.json"
done
python3 "$here/tests/vm/check_diagnosis.py" "$out"
