#!/usr/bin/env bash
# rcuwatch watching a real bcachefs (the image in tests/data) in qemu:
# mounted, churned, unmounted (tests/vm/bcachefs_job.sh in the guest), then
# checked by tests/vm/check_bcachefs.py against what can be known without a
# ground-truth module: the key cache's instances named after the filesystem,
# every object accounted at every quiescent point, nothing pending after
# unmount, the filesystem's SRCU grace periods seen, bytes = the slab size of
# struct bkey_cached x objects, and bcachefs's own key-cache counters.
# usage: bcachefs_test.sh RCUWATCH_BINARY --kernel debian|patched|stock
#                         [--expect-mode MODE] [--out DIR]
#   debian   Debian trixie's own linux-image-6.12 (scripts/fetch-debian-kernel.sh)
#   patched  our guest kernel with the tracepoints; stock: without (build-kernel.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
shift
kernel="" expect="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --expect-mode) expect=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "bcachefs_test: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test needs root (kernels under /var/cache, qemu)"; exit 77; }
out=${out:-$(mktemp -d /tmp/rcuwatch-bcachefs.XXXXXX)}
mods=()
case "$kernel" in
  debian)
    kdir=$("$here/scripts/fetch-debian-kernel.sh" | tail -1)
    bzimage=$kdir/vmlinuz
    mods=(--modules-dir "$kdir/bcachefs-modules")
    what="Debian $(cat "$kdir/package")" ;;
  patched|stock)
    . "$here/tests/vm/boot.sh"
    vm_kernel "$kernel"
    bzimage=$kdir/bzImage
    mods=("${vm_modules[@]}")
    what="our $kernel kernel" ;;
  *) echo "bcachefs_test: --kernel debian, patched or stock" >&2; exit 2 ;;
esac
initrd=$("$here/scripts/make-initramfs.sh" "${mods[@]}" --add "$rw:/usr/sbin/rcuwatch" \
  --run "$here/tests/vm/bcachefs_job.sh" | tail -1)
echo "booting $what; results in $out"
"$here/scripts/run-vm.sh" --kernel "$bzimage" --initrd "$initrd" --out "$out" \
  --scratch-disk "$here/tests/data/bcachefs-1.13-256M.img.zst" --timeout 900 \
  > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
grep -aE "^(rcuwatch chose|round |rcuwatch wrote)" "$out/console.log" || true
python3 "$here/tests/vm/check_bcachefs.py" "$out" ${expect:+--expect-mode "$expect"}
