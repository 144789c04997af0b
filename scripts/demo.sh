#!/usr/bin/env bash
# The main job: rcuwatch's live view (`rcuwatch top`) on real rcu_pending
# traffic.
# - On a kernel with the rcu_pending tracepoints: builds rcuwatch and runs it.
# - Elsewhere (like these machines): builds the patched kernel (first run
#   about 8 minutes, cached after) and the workload module, boots them in qemu
#   with a demo workload that strands SRCU memory every few seconds, and runs
#   rcuwatch top on the guest console in this terminal. Quit with q
#   (the VM then powers off); Ctrl-A X kills the VM.
# Extra arguments go to `rcuwatch top` (e.g. -d 2).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (BPF, and the kernel build cache in /var/cache)" >&2; exit 1; }

scripts/install-deps.sh all
echo "[demo] building rcuwatch" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target rcuwatch >/dev/null
rw=$here/build/cli/rcuwatch

if grep -qs '^rcu_pending:rcu_pending_enqueue$' /sys/kernel/tracing/available_events ||
   [ -d /sys/kernel/debug/tracing/events/rcu_pending ]; then
  exec "$rw" top "$@"
fi

echo "[demo] this kernel ($(uname -r)) has no rcu_pending tracepoints: running the patched kernel in qemu" >&2
kdir=$(scripts/build-kernel.sh | tail -1)

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
sh /demo-load.sh || exit 1
stty -F /dev/ttyS0 rows $rows cols $cols 2>/dev/null
export TERM=$term TERMINFO=/usr/share/terminfo
setsid cttyhack rcuwatch top $*
JOB
initrd=$(scripts/make-initramfs.sh --module "$kdir/rcu_pending_load.ko" \
  --add "$rw:/usr/sbin/rcuwatch" --add "$here/scripts/guest-demo-load.sh:/demo-load.sh" \
  --add "$tinfo:/usr/share/terminfo/${term:0:1}/$term" \
  --run "$job" | tail -1)
echo "[demo] booting; quit rcuwatch with q (Ctrl-A X kills the VM)" >&2
exec scripts/run-vm.sh --kernel "$kdir/bzImage" --initrd "$initrd" --timeout 86400 --append quiet
