#!/usr/bin/env bash
# End-to-end: boots a guest kernel in qemu with rcuwatch and the workload
# module, runs tests/vm/e2e_job.sh there, and checks rcuwatch against the
# module's ground truth (tests/vm/check_e2e.py).
# usage: vm_e2e_test.sh RCUWATCH_BINARY [--variant patched|stock] [--attach MODE]
#                       [--also-attach MODE] [--expect-mode MODE] [--out DIR]
#   --variant      the guest kernel (scripts/build-kernel.sh): patched (our
#                  tracepoints, the default) or stock (bcachefs a module, no patch)
#   --attach       what every rcuwatch in the guest is started with (default auto)
#   --also-attach  a second `rcuwatch stat` in another mode: its final numbers
#                  must equal the first's
#   --expect-mode  the mode --attach auto must choose
#   --no-vmalloc   no vmalloc objects (stock modes cannot size them; the
#                  default on the stock kernel)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
shift
variant=patched attach=auto also="" expect="" out="" no_vmalloc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=$2; shift 2 ;;
    --attach) attach=$2; shift 2 ;;
    --also-attach) also=$2; shift 2 ;;
    --expect-mode) expect=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-vmalloc) no_vmalloc=1; shift ;;
    *) echo "vm_e2e_test: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d /tmp/rcuwatch-e2e.XXXXXX)}
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
. "$here/tests/vm/boot.sh"
vm_kernel "$variant"
env_file=$(mktemp /tmp/rcuwatch-e2e-env.XXXXXX)
trap 'rm -f "$env_file"' EXIT
{
  echo "ATTACH=$attach"
  echo "ALSO_ATTACH=$also"
  # Stock modes cannot size vmalloc objects (docs/kernel.md): none there.
  if [ "$variant" = stock ] || [ -n "$no_vmalloc" ]; then echo "VMALLOC_PCT=0"; fi
} > "$env_file"
initrd=$("$here/scripts/make-initramfs.sh" "${vm_modules[@]}" --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --add "$env_file:/etc/e2e.env" --add "$(command -v bpftool):/usr/sbin/bpftool" \
  --run "$here/tests/vm/e2e_job.sh" | tail -1)
echo "booting $kdir/bzImage ($variant, --attach $attach${also:+, also $also}); results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
  --timeout 900 > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -E "^phase|rcuwatch (wrote|exit)" "$out/console.log" || true
"$rw" replay "$out/run.rwrec" --json --final > "$out/replay.json"
# The report of the guest's recording, offline (exit 3: a detector fired).
rc=0; "$rw" report "$out/run.rwrec" --json > "$out/report-offline.json" || rc=$?
echo "report exit $rc" > "$out/report-offline.err"
python3 "$here/tests/vm/check_e2e.py" "$out" "$out/replay.json" ${expect:+--expect-mode "$expect"}
