#!/usr/bin/env bash
# Least privilege, live (issue 12, 10): in the patched kernel under qemu,
# rcuwatch works as nobody with exactly CAP_BPF + CAP_PERFMON (+ CAP_SYSLOG
# for symbol names), fails with one line naming what is missing without
# them, and once attached holds no capability in any thread (also the
# exporter while it serves HTTP, and with --user). Guest side:
# tests/vm/privileges_job.sh.
# usage: vm_privileges_test.sh RCUWATCH_BINARY [OUT_DIR]
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rw=$1
out=${2:-$(mktemp -d /tmp/rcuwatch-vm-priv.XXXXXX)}
. "$here/tests/vm/boot.sh"
vm_prepare "$out"
setpriv=$(command -v setpriv) || { echo "SKIPPED: no util-linux setpriv on the host"; exit 77; }
vm_boot "$rw" "$out" "$here/tests/vm/privileges_job.sh" 900 \
  --add "$setpriv:/usr/local/bin/setpriv" || exit $?

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
rc_of() { cat "$out/$1.rc" 2>/dev/null || echo none; }
# works NAME WHAT [OK_RC]: exit 0 (or OK_RC), output, nothing on stderr but warnings
works() {
  if { [ "$(rc_of "$1")" = 0 ] || [ "$(rc_of "$1")" = "${3:-0}" ]; } && [ -s "$out/$1.out" ] && ! grep -q 'error' "$out/$1.err"; then
    ok "$2: exit $(rc_of "$1"), $(wc -l <"$out/$1.out") lines"
  else bad "$2: exit $(rc_of "$1"): $(head -c 400 "$out/$1.err")"; fi
}
# refused NAME WHAT TEXT: exit 1 and one stderr line containing TEXT
refused() {
  if [ "$(rc_of "$1")" = 1 ] && [ "$(wc -l <"$out/$1.err")" = 1 ] && grep -qF -- "$3" "$out/$1.err"; then
    ok "$2: exit 1: $(cat "$out/$1.err")"
  else bad "$2: exit $(rc_of "$1"), stderr: $(cat "$out/$1.err")"; fi
}
# dropped NAME UID BOUNDING WHAT: every thread: that uid, no capability held
# (inheritable, permitted, effective, ambient), the bounding set BOUNDING
# (all of it is dropped with CAP_SETPCAP; without it, as the launcher set it:
# it only limits what an execve could gain, and no_new_privs stops that).
dropped() {
  local f=$out/$1.tasks n zero=0000000000000000
  local want="Uid: $2 CapInh: $zero CapPrm: $zero CapEff: $zero CapBnd: $3 CapAmb: $zero NoNewPrivs: 1 "
  n=$(wc -l <"$f" 2>/dev/null || echo 0)
  if [ "$n" -gt 0 ] && ! grep -vxF "$want" "$f" >/dev/null; then
    ok "$4: $n threads, uid $2, no capability held, bounding set $3, no_new_privs"
  else bad "$4: want '$want', got:"; cat "$f" 2>/dev/null; fi
}

echo "guest: kptr_restrict $(cat "$out/kptr_restrict"), perf_event_paranoid $(cat "$out/perf_event_paranoid")"
if grep -q 'CapEff:.000000c400000000' "$out/launcher.status" && grep -q 'CapBnd:.000000c400000000' "$out/launcher.status"; then
  ok "the launcher gives nobody exactly CAP_BPF, CAP_PERFMON, CAP_SYSLOG (effective and bounding 0xc400000000)"
else bad "launcher: $(tr '\n' ' ' <"$out/launcher.status")"; fi

works exact "stat as nobody with exactly CAP_BPF, CAP_PERFMON, CAP_SYSLOG"
names=$(python3 -c 'import json,sys; print(" ".join(sorted({i["name"] for l in open(sys.argv[1]) for i in json.loads(l)["instances"]})))' "$out/exact.out" 2>/dev/null)
if [ -n "$names" ] && ! grep -qE '(^| )(rcu_pending|call_rcu|kvfree)@0x' <<<"$names"; then
  ok "  with CAP_SYSLOG instances are named: $names"
else bad "  with CAP_SYSLOG, instance names: '$names'"; fi
works exact_nosyslog "stat as nobody with exactly CAP_BPF, CAP_PERFMON"
if grep -q "no CAP_SYSLOG" "$out/exact_nosyslog.err" ||
  { [ "$(cat "$out/kptr_restrict")" = 0 ] && [ "$(cat "$out/perf_event_paranoid")" -le 1 ]; }; then
  ok "  without CAP_SYSLOG it says why names are addresses: $(grep -m1 kallsyms "$out/exact_nosyslog.err")"
else bad "  without CAP_SYSLOG: $(cat "$out/exact_nosyslog.err")"; fi
works top_exact "top -b as nobody with exactly that set"
# report exits 3 when a detector fired (a slow TCG guest can make a grace
# period outlast --gp-limit): it ran all the same.
works report_exact "report --live as nobody with exactly that set" 3
refused no_perfmon "without CAP_PERFMON" "missing CAP_PERFMON: live commands need CAP_BPF and CAP_PERFMON"
refused no_bpf "without CAP_BPF" "missing CAP_BPF: live commands need"
refused none "with no capability" "missing CAP_BPF, CAP_PERFMON:"
for f in no_perfmon no_bpf none; do
  if grep -qiE 'run as root$|no rcu_pending tracepoints' "$out/$f.err"; then bad "$f: the no-hooks or run-as-root message"; fi
done

if grep -q '^rcuwatch_' "$out/exporter.metrics2" 2>/dev/null; then ok "exporter as nobody with exactly that set serves /metrics"
else bad "exporter: no metrics: $(cat "$out/exporter.err")"; fi
dropped exporter 65534 000000c400000000 "exporter (nobody, CAP_BPF+CAP_PERFMON+CAP_SYSLOG at start) while serving"
dropped root 0 0000000000000000 "stat as root (every capability at start) once attached"
dropped user 65534 0000000000000000 "stat as root with --user nobody once attached"
dropped top_user 65534 0000000000000000 "top -b as root with --user nobody"
for f in exporter root user top_user; do
  [ "$(rc_of $f)" = 0 ] || bad "$f exited $(rc_of $f) when stopped: $(cat "$out/$f.err")"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
