#!/usr/bin/env bash
# rcuwatch-exporter.service's privileges on a live rcu_pending: Debian
# trixie's own kernel (bcachefs a module) in qemu, a real bcachefs mounted,
# rcuwatch run as the unit runs it (a DynamicUser-range uid, the unit's
# ambient capabilities, no_new_privs: tests/vm/unit_privileges_job.sh).
# It must attach (fentry by itself, and kprobe when asked) and count with
# exactly the unit's capabilities; each capability the unit grants is shown
# to be needed, or said not to be on this kernel. No systemd in the guest:
# the unit's namespaces and filters are not part of this run.
# usage: unit_privileges_test.sh RCUWATCH UNIT [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1 unit=$2
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test needs root (kernels under /var/cache, qemu)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIPPED: no setpriv (util-linux)"; exit 77; }
out=${3:-$(mktemp -d /tmp/rcuwatch-unit-privileges.XXXXXX)}
mkdir -p "$out"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tail -1)
echo "$caps" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd, > "$out/unit-caps"
kdir=$("$here/scripts/fetch-debian-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --modules-dir "$kdir/bcachefs-modules" \
  --add "$rw:/usr/sbin/rcuwatch" --add "$(command -v setpriv):/usr/bin/setpriv" \
  --add "$out/unit-caps:/etc/unit-caps" --run "$here/tests/vm/unit_privileges_job.sh" | tail -1)
echo "booting Debian $(cat "$kdir/package"); the unit's capabilities: $caps; results in $out"
"$here/scripts/run-vm.sh" --kernel "$kdir/vmlinuz" --initrd "$initrd" --out "$out" \
  --scratch-disk "$here/tests/data/bcachefs-1.13-256M.img.zst" --timeout 900 \
  > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
cat "$out/runs.txt"
fail=0
run() { grep "^$1 " "$out/runs.txt" || true; }
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
field() { run "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
check "with the unit's capabilities rcuwatch attaches by itself (fentry), counts and names" \
  '[ "$(field unit exit)" = 0 ] && [ "$(field unit mode)" = fentry ] && [ "$(field unit enqueued)" -gt 0 ] && [ "$(field unit named)" = yes ]'
check "with the unit's capabilities --attach kprobe attaches and counts too" \
  '[ "$(field unit_kprobe exit)" = 0 ] && [ "$(field unit_kprobe mode)" = kprobe ] && [ "$(field unit_kprobe enqueued)" -gt 0 ]'
# What one fewer capability does means something only once the unit's
# own set has been seen to work.
[ $fail = 0 ] || { echo "the unit's own run failed:"; cat "$out/unit.err"; exit 1; }
for c in $caps; do
  name=without_$(echo "${c#CAP_}" | tr A-Z a-z)
  case $c in
    CAP_SYSLOG)  # kallsyms addresses: the census finds bcachefs's instances by
      # them. The names alone still say which functions exist: it must attach.
      if [ "$(field "$name" exit)" != 0 ] || ! [ "$(field "$name" enqueued)" -gt 0 ]; then
        echo "FAIL without $c it must still attach and count (only names need it): $(run "$name"):" \
          "$(head -c 300 "$out/$name.err" | tr '\n' ' ')"
        fail=1
      elif [ "$(field "$name" named)" = no ]; then
        echo "ok   without $c it attaches and counts, but the census cannot name the filesystem's instances: $(run "$name")"
      else
        echo "NOTE $c: not needed on this kernel: $(run "$name")"
      fi ;;
    *)
      if [ "$(field "$name" exit)" != 0 ]; then
        echo "ok   without $c it fails: $(run "$name"): $(head -c 300 "$out/$name.err" | tr '\n' ' ')"
      else
        echo "NOTE $c: not needed on this kernel: $(run "$name")"
      fi ;;
  esac
done
exit $fail
