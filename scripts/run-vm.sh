#!/usr/bin/env bash
# Boots the rcuwatch test VM under qemu (TCG: KVM guests die on these machines)
# and returns the guest job's results: the files it wrote to $OUT land in
# --out DIR, and its exit status becomes this script's exit status.
#
# Usage: run-vm.sh --kernel BZIMAGE --initrd CPIO_GZ [--out DIR] [--port N]...
#                  [--timeout SECONDS] [--mem MB] [--smp N] [--append ARGS]
#                  [--disk FILE]... [--scratch-disk IMAGE.zst]...
#   --port N     forward 127.0.0.1:N on the host to the guest's port N (repeatable)
#   --disk FILE  attach FILE as a raw virtio-blk disk (/dev/vda, vdb, ... in
#                the order given; the guest kernel needs virtio_blk)
#   --scratch-disk IMAGE.zst  attach a fresh sparse copy of IMAGE for this boot
#                only (scripts/scratch-disk.sh), e.g.
#                tests/data/bcachefs-1.13-256M.img.zst, a real bcachefs
#   --timeout S  kill qemu after S seconds (default 600); exit status 124
# Exit status: the job's, 124 on timeout, 125 when the guest ended without
# reporting (panic, crash). The guest console goes to stdout.
#
# Transport: the guest's /init writes "RCUWATCH-RESULTS-BEGIN", a base64
# tar.gz of its /out, "RCUWATCH-RESULTS-END" and "RCUWATCH-EXIT <rc>" to
# ttyS1, which qemu saves in a host file (no 9p or virtio-console needed).
set -euo pipefail
kernel="" initrd="" out="" timeout=600 mem=1024 smp=2 append="" ports=() disks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --port) ports+=("$2"); shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --disk) [ -f "$2" ] || { echo "run-vm: no such disk image: $2" >&2; exit 2; }
      disks+=("$2"); shift 2 ;;
    --scratch-disk) [ -f "$2" ] || { echo "run-vm: no such disk image: $2" >&2; exit 2; }
      disks+=("zst:$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run-vm: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "run-vm: --kernel and --initrd are required" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
netdev="user,id=n0"
for p in "${ports[@]}"; do netdev+=",hostfwd=tcp:127.0.0.1:$p-:$p"; done
drives=() n=0
for d in "${disks[@]}"; do
  if [[ $d == zst:* ]]; then
    d=$("$(dirname "$0")/scratch-disk.sh" "${d#zst:}" "$tmp/disk$n.img")
  fi
  [[ $d != *,* ]] || { echo "run-vm: a disk path with a comma confuses qemu: $d" >&2; exit 2; }
  drives+=(-drive "file=$d,if=virtio,format=raw")
  n=$((n + 1))
done

rc=0
# On a terminal (the demo), qemu must stay in the foreground process group:
# otherwise its first read of the console stops it with SIGTTIN.
fg=()
[ -t 0 ] && fg=(--foreground)
timeout "${fg[@]}" -k 5 "$timeout" qemu-system-x86_64 -accel tcg -nographic -no-reboot \
  -smp "$smp" -m "$mem" -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 oops=panic loglevel=6 $append" \
  -netdev "$netdev" -device virtio-net-pci,netdev=n0 "${drives[@]}" \
  -serial mon:stdio -serial "file:$tmp/ttyS1" || rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
  echo "run-vm: timeout after ${timeout}s" >&2
  exit 124
fi

results=$tmp/ttyS1
exit_line=$(tr -d '\r' < "$results" | grep -a '^RCUWATCH-EXIT ' | tail -1 || true)
if [ -z "$exit_line" ]; then
  echo "run-vm: the guest ended without reporting (qemu status $rc)" >&2
  exit 125
fi
if [ -n "$out" ]; then
  mkdir -p "$out"
  tr -d '\r' < "$results" | sed -n '/^RCUWATCH-RESULTS-BEGIN$/,/^RCUWATCH-RESULTS-END$/p' |
    sed '1d;$d' | base64 -d | tar -C "$out" -xzf -
  echo "run-vm: guest results in $out" >&2
fi
guest_rc=${exit_line#RCUWATCH-EXIT }
echo "run-vm: guest job exit status $guest_rc" >&2
exit "$guest_rc"
