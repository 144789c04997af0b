#!/usr/bin/env bash
# The main job: rcuwatch's live view (`rcuwatch top`) on real rcu_pending
# traffic.
# - On a kernel where rcuwatch can attach (our tracepoints, or a stock
#   kernel with bcachefs loaded): builds rcuwatch and runs it here.
# - Elsewhere (like these machines): boots a kernel in qemu and runs
#   rcuwatch top on the guest console in this terminal. Quit with q (the VM
#   then powers off); Ctrl-A X kills the VM.
#     scripts/demo.sh           our patched kernel (built on first use, about
#                               8 minutes, cached after): a real bcachefs
#                               churned in the guest, beside the workload
#                               module, which holds an SRCU reader every 15 s
#                               so its memory piles up (stranded) and drains
#     scripts/demo.sh --stock   Debian's own trixie kernel, unpatched, with its
#                               bcachefs module: rcuwatch finds its way in
#                               (fentry) and shows the real filesystem's key
#                               cache
# Other arguments go to `rcuwatch top` (e.g. -d 2).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (BPF, and the kernel caches in /var/cache)" >&2; exit 1; }
stock=""
if [ "${1:-}" = --stock ]; then stock=1; shift; fi

scripts/install-deps.sh all
echo "[demo] building rcuwatch" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target rcuwatch >/dev/null
rw=$here/build/cli/rcuwatch

# Here, if this kernel lets rcuwatch in (exit 2: no way in).
if [ -z "$stock" ] && "$rw" stat -n 1 -i 0.1 >/dev/null 2>&1; then
  exec "$rw" top "$@"
fi

adds=()
if [ -n "$stock" ]; then
  echo "[demo] Debian's own kernel in qemu: its bcachefs module, a real filesystem, rcuwatch in stock mode" >&2
  kdir=$(scripts/fetch-debian-kernel.sh | tail -1)
  kernel=$kdir/vmlinuz
  adds+=(--modules-dir "$kdir/bcachefs-modules")
  load="sh /fs-churn.sh"
else
  echo "[demo] this kernel ($(uname -r)) offers no way in: running our patched kernel in qemu" >&2
  kdir=$(scripts/build-kernel.sh | tail -1)
  kernel=$kdir/bzImage
  adds+=(--module "$kdir/rcu_pending_load.ko" --add "$here/scripts/guest-demo-load.sh:/demo-load.sh")
  load="sh /fs-churn.sh && sh /demo-load.sh"
fi
adds+=(--add "$here/scripts/guest-fs-churn.sh:/fs-churn.sh")

# The guest console becomes this terminal: same terminal type and size.
term=${TERM:-xterm}
tinfo=""
for d in /etc/terminfo /lib/terminfo /usr/share/terminfo; do
  [ -f "$d/${term:0:1}/$term" ] && { tinfo="$d/${term:0:1}/$term"; break; }
done
[ -n "$tinfo" ] || { term=vt100; tinfo=$(ls /lib/terminfo/v/vt100 /usr/share/terminfo/v/vt100 2>/dev/null | head -1); }
read -r rows cols < <(stty size 2>/dev/null || echo "40 120")

job=$(mktemp /tmp/rcuwatch-demo-job.XXXXXX)
trap 'rm -f "$job"' EXIT
cat > "$job" <<JOB
#!/bin/sh
$load || exit 1
stty -F /dev/ttyS0 rows $rows cols $cols 2>/dev/null
export TERM=$term TERMINFO=/usr/share/terminfo
setsid cttyhack rcuwatch top $*
JOB
initrd=$(scripts/make-initramfs.sh "${adds[@]}" --add "$rw:/usr/sbin/rcuwatch" \
  --add "$tinfo:/usr/share/terminfo/${term:0:1}/$term" --run "$job" | tail -1)
echo "[demo] booting; quit rcuwatch with q (Ctrl-A X kills the VM)" >&2
exec scripts/run-vm.sh --kernel "$kernel" --initrd "$initrd" --timeout 86400 --append quiet \
  --scratch-disk "$here/tests/data/bcachefs-1.13-256M.img.zst"
