#!/usr/bin/env bash
# The observer effect (issue 11, target 5): what rcuwatch costs the kernel.
# In one boot of the patched kernel, the workload module times its calls
# into rcu_pending at a steady load, without and with `rcuwatch stat`
# attached, in alternating phases (tests/vm/observer_job.sh). Prints ns per
# enqueue in each phase and the ratio of the medians; not asserted (TCG on a
# shared host is noisy), but fails when a phase is missing, rcuwatch did not
# attach in the asked mode, or exited badly.
# usage: vm_observer_test.sh RCUWATCH_BINARY [--attach MODE] [--out DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
shift
attach=tracepoint out=
while [ $# -gt 0 ]; do
  case $1 in
    --attach) attach=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d /tmp/rcuwatch-vm-observer.XXXXXX)}
. "$here/tests/vm/boot.sh"
vm_prepare "$out"
env_file=$(mktemp /tmp/rcuwatch-observer-env.XXXXXX)
trap 'rm -f "$env_file"' EXIT
echo "ATTACH=$attach" > "$env_file"
vm_boot "$rw" "$out" "$here/tests/vm/observer_job.sh" 900 --add "$env_file:/etc/e2e.env"
python3 - "$out" "$attach" <<'PY'
import re, statistics, sys
out, attach = sys.argv[1], sys.argv[2]
ns = {"off": [], "on": []}
for line in open(f"{out}/observer.txt"):
    m = re.match(r"observer (off|on) (\d) calls=(\d+) ns=(\d+)", line)
    if m and int(m[3]) > 0:
        ns[m[1]].append(int(m[4]) / int(m[3]))
mode = open(f"{out}/mode.txt").read().strip()
rcs = [open(f"{out}/stat{i}.rc").read().strip() for i in (1, 2, 3)]
ok = len(ns["off"]) == 3 and len(ns["on"]) == 3 and mode == f'"mode":"{attach}"' and rcs == ["0"] * 3
for k in ("off", "on"):
    print(f"observer effect: rcuwatch {k:3}: " + ", ".join(f"{v:.0f}" for v in ns[k]) + " ns per enqueue")
if ns["off"] and ns["on"]:
    off, on = statistics.median(ns["off"]), statistics.median(ns["on"])
    print(f"observer effect ({attach} mode, TCG guest): {on:.0f} ns vs {off:.0f} ns per "
          f"rcu_pending enqueue with and without rcuwatch: {on / off:.2f}x (+{on - off:.0f} ns)")
if not ok:
    print(f"FAIL: phases {ns}, mode {mode!r} (wanted {attach}), rcuwatch exit statuses {rcs}")
    sys.exit(1)
PY
