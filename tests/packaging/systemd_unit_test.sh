#!/usr/bin/env bash
# rcuwatch-exporter.service (packaging/rcuwatch-exporter.service.in, as
# configured in the build tree):
# - `systemd-analyze verify` clean (its ExecStart pointed at the built
#   binary and its man page on MANPATH, as an installed system has them);
# - `systemd-analyze security --offline=true` exposure at most MAX_EXPOSURE;
# - the sandboxing the issue asks for is there, and the capabilities are
#   exactly those docs/install.md explains;
# - those capabilities, and only those, are enough for what this kernel can
#   run: the real BPF object loaded and every program run (the BPF tests,
#   as root with the unit's capability bounding set), and the unit's own
#   command as the unit runs it (a non-root uid with the unit's ambient
#   capabilities, no_new_privs), `rcuwatch exporter` scraped over HTTP.
#   This host kernel has no rcu_pending, so the exporter serves a replay of
#   tests/data/demo.rwrec; attaching to a live kernel is not shown here
#   (tests/vm/unit_privileges_test.sh does that, in qemu);
# - every system call those runs made is allowed by its SystemCallFilter.
# Not run by systemd itself: machines of this kind have no systemd as PID 1.
# usage: systemd_unit_test.sh UNIT RCUWATCH MAN_PAGE_GZ BPF_TESTS DATA_DIR
set -u
unit=$1 rw=$2 man_gz=$3 bpf_tests=$4 data=$5
MAX_EXPOSURE=3.0
for tool in systemd-analyze setpriv curl python3; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/install-deps.sh test)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (capabilities to hand to the unit's uid)"; exit 77; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
setting() { sed -n "s/^$1=//p" "$unit" | tail -1; }

# --- systemd-analyze verify
exec_start=$(setting ExecStart)
installed_rw=${exec_start%% *}
mkdir -p "$tmp/man/man8" "$tmp/unit"
ln -s "$(readlink -f "$man_gz")" "$tmp/man/man8/rcuwatch.8.gz"
sed "s#^ExecStart=$installed_rw #ExecStart=$(readlink -f "$rw") #" "$unit" > "$tmp/unit/rcuwatch-exporter.service"
if out=$(MANPATH=$tmp/man systemd-analyze verify "$tmp/unit/rcuwatch-exporter.service" 2>&1) && [ -z "$out" ]; then
  ok "systemd-analyze verify: clean"
else
  bad "systemd-analyze verify: $out"
fi

# --- exposure
security=$(systemd-analyze security --offline=true "$tmp/unit/rcuwatch-exporter.service" 2>&1)
exposure=$(echo "$security" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && python3 -c "import sys; sys.exit(not float('$exposure') <= $MAX_EXPOSURE)"; then
  ok "systemd-analyze security: exposure $exposure (at most $MAX_EXPOSURE)"
else
  bad "systemd-analyze security: exposure '${exposure}' over $MAX_EXPOSURE"
  echo "$security" | grep '✗'
fi

# --- what the issue asks of the unit
for want in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  ProtectKernelModules=yes RestrictAddressFamilies= SystemCallFilter= MemoryDenyWriteExecute=yes \
  LockPersonality=yes DynamicUser=yes; do
  if grep -q "^$want" "$unit"; then ok "unit has $want"; else bad "unit lacks $want"; fi
done
[[ $exec_start == */rcuwatch\ exporter* ]] && ok "ExecStart runs rcuwatch exporter" ||
  bad "ExecStart is '$exec_start'"
caps=$(setting CapabilityBoundingSet)
[ "$caps" = "$(setting AmbientCapabilities)" ] && ok "ambient = bounding capabilities: $caps" ||
  bad "AmbientCapabilities '$(setting AmbientCapabilities)' differ from CapabilityBoundingSet '$caps'"
for c in $caps; do
  case $c in
    CAP_BPF | CAP_PERFMON | CAP_SYSLOG | CAP_SYS_ADMIN) ;;
    *) bad "capability $c: not one docs/install.md explains" ;;
  esac
done
# setpriv's spelling: cap_sys_admin -> sys_admin
setpriv_caps=$(echo "$caps" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_//p' | sed 's/^/+/' | paste -sd,)

# --- the BPF object, loaded and run with the unit's capabilities only
run_bpf() { # bounding set, gtest filter
  setpriv --inh-caps=-all --bounding-set="-all,$1" --no-new-privs \
    "$bpf_tests" --gtest_brief=1 --gtest_filter="$2" > "$tmp/bpf.out" 2>&1
}
if run_bpf "$setpriv_caps" '*' && grep -q "PASSED" "$tmp/bpf.out"; then
  ok "BPF tests with only $caps: $(grep -o 'BPF_PROG_TEST_RUN: [0-9]* distinct programs executed [0-9]* times' "$tmp/bpf.out")"
else
  bad "BPF tests with only $caps:"; tail -5 "$tmp/bpf.out"
fi
# Each capability is needed. Without CAP_SYS_ADMIN the load fails (libbpf
# 1.1: BPF_BTF_GET_NEXT_ID). CAP_BPF and CAP_PERFMON add nothing while
# CAP_SYS_ADMIN is there (the kernel's bpf_capable() and perfmon_capable()
# accept it too); they are listed for a libbpf that needs no CAP_SYS_ADMIN.
# CAP_SYSLOG: /proc/kallsyms shows addresses to the unit's uid only with it.
for c in $caps; do
  short=$(echo "${c#CAP_}" | tr A-Z a-z)
  fewer=$(echo "$setpriv_caps" | tr , '\n' | grep -vx "+$short" | paste -sd,)
  case $c in
    CAP_SYSLOG)
      addr() { setpriv --reuid=61184 --regid=61184 --clear-groups --inh-caps="-all,$1" \
        --ambient-caps="-all,$1" --bounding-set="-all,$1" --no-new-privs \
        awk '$2 == "T" { print $1; exit }' /proc/kallsyms; }
      with=$(addr "$setpriv_caps") without=$(addr "$fewer")
      if [ "${without//0/}" = "" ] && [ -n "${with//0/}" ]; then
        ok "without CAP_SYSLOG /proc/kallsyms hides addresses from the unit's uid ($without), with it: $with"
      else
        echo "NOTE CAP_SYSLOG: kallsyms addresses with it '$with', without '$without'" \
          "(kernel.kptr_restrict=$(sysctl -n kernel.kptr_restrict)," \
          "perf_event_paranoid=$(sysctl -n kernel.perf_event_paranoid) here)"
      fi ;;
    CAP_BPF | CAP_PERFMON)
      [[ " $caps " == *" CAP_SYS_ADMIN "* ]] ||
        { run_bpf "$fewer" 'StockHandlersTest.*' && bad "the BPF load works without $c"; } ;;
    *)
      if run_bpf "$fewer" 'StockHandlersTest.*'; then
        echo "NOTE $c: the BPF load works without it here; see docs/install.md"
      else
        ok "without $c the BPF load fails: $(grep -m1 -o 'cannot load[^(]*' "$tmp/bpf.out")"
      fi ;;
  esac
done

# --- the unit's command, as the unit runs it (DynamicUser: a uid of
# 61184-65519 with no home, no groups; ambient capabilities; no_new_privs),
# on a replay: --listen moved to a free port, --replay added.
mkdir -p "$tmp/run" && chmod 755 "$tmp" "$tmp/run"
cp "$rw" "$tmp/run/rcuwatch" && cp "$data/demo.rwrec" "$tmp/run/" && chmod 644 "$tmp/run/demo.rwrec"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
read -r -a args <<< "${exec_start#* }"
args=("${args[@]/127.0.0.1:9640/127.0.0.1:$port}")
setpriv --reuid=61184 --regid=61184 --clear-groups --inh-caps="-all,$setpriv_caps" \
  --ambient-caps="-all,$setpriv_caps" --bounding-set="-all,$setpriv_caps" --no-new-privs \
  "$tmp/run/rcuwatch" "${args[@]}" --replay "$tmp/run/demo.rwrec" 2> "$tmp/exporter.err" &
pid=$!
got=""
for _ in $(seq 1 50); do
  got=$(curl -s -m 2 "http://127.0.0.1:$port/metrics") && [ -n "$got" ] && break
  sleep 0.2
done
if echo "$got" | grep -q '^rcuwatch_source_ended' && echo "$got" | grep -q '^rcuwatch_pending_bytes{'; then
  ok "'${args[*]} --replay demo.rwrec' as uid 61184 with $caps: $(echo "$got" | grep -c '^rcuwatch_') series served"
else
  bad "the unit's command as uid 61184 served no metrics:"; cat "$tmp/exporter.err"
fi
status=$(awk '/^CapEff/ { print $2 }' /proc/$pid/status 2>/dev/null)
expected=$(setpriv --inh-caps="-all,$setpriv_caps" --ambient-caps="-all,$setpriv_caps" \
  --bounding-set="-all,$setpriv_caps" --reuid=61184 awk '/^CapEff/ { print $2 }' /proc/self/status)
# The unit grants $expected; rcuwatch drops every one of them once its
# source is open (privileges.hpp), so serving it holds none. That the grant
# is enough to attach is vm_unit_privileges' part.
[ -n "$expected" ] && [ "$expected" != 0000000000000000 ] ||
  bad "the unit's capabilities as setpriv grants them: '$expected'"
[ "$status" = 0000000000000000 ] && ok "its effective capabilities once serving: none (the unit granted $expected)" ||
  bad "its effective capabilities once serving: '$status', want none (the unit granted $expected)"

# --- SystemCallFilter: every system call rcuwatch made here (the exporter
# serving a replay and scraped; the BPF object loaded, its programs run,
# maps read: the BPF tests) is one the unit's filter allows.
if command -v strace >/dev/null; then
  strace -f -qq -o "$tmp/strace.exporter" "$tmp/run/rcuwatch" "${args[@]}" --replay "$tmp/run/demo.rwrec" \
    2>/dev/null &
  tracer=$!
  for _ in $(seq 1 50); do curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.2; done
  curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/metrics"
  kill "$(pgrep -P $tracer)" 2>/dev/null; wait $tracer 2>/dev/null
  strace -f -qq -o "$tmp/strace.bpf" "$bpf_tests" --gtest_brief=1 > /dev/null 2>&1
  python3 - "$tmp/unit/rcuwatch-exporter.service" "$tmp/strace.exporter" "$tmp/strace.bpf" > "$tmp/syscalls" <<'PY'
import re, subprocess, sys
def expand(group):  # a systemd syscall group, its nested groups expanded
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            names |= expand(line) if line.startswith("@") else {line}
    return names
allowed = None
for value in re.findall(r"^SystemCallFilter=(.*)$", open(sys.argv[1]).read(), re.M):
    deny = value.startswith("~")
    names = set().union(*[expand(n) if n.startswith("@") else {n} for n in value.lstrip("~").split()])
    if allowed is None:
        allowed = names if not deny else None
    elif deny:
        allowed -= names
    else:
        allowed |= names
used = set()
for f in sys.argv[2:]:
    used |= set(re.findall(r"^\d+ +([a-z0-9_]+)\(", open(f).read(), re.M))
print(len(used), " ".join(sorted(used - allowed)))
PY
  read -r count denied < "$tmp/syscalls"
  [ -n "$count" ] && [ "$count" -gt 20 ] && [ -z "$denied" ] &&
    ok "SystemCallFilter allows all $count system calls rcuwatch made here" ||
    bad "SystemCallFilter denies system calls rcuwatch made: '$denied' ($count seen)"
else
  echo "SKIPPED the system call check: no strace (scripts/install-deps.sh test)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
