#!/usr/bin/env bash
# Least privilege on this machine (issue 12, 10), with a replay source: once
# its source is open, rcuwatch holds no capability in any thread (effective,
# permitted, inheritable, bounding, ambient all empty; no_new_privs set),
# --user switches user, and the exporter serves HTTP without capabilities,
# also on a port below 1024 (bound with CAP_NET_BIND_SERVICE, then dropped).
# The live side (CAP_BPF + CAP_PERFMON exactly, the errors without them) is
# tested in the VM: tests/vm/vm_privileges_test.sh.
# usage: privileges_test.sh RCUWATCH DATA_DIR. Needs root (exit 77 otherwise).
set -u
rw=$1 rec=$2/testrun.rwrec
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root"; exit 77; }
command -v curl >/dev/null || { echo "SKIPPED: no curl"; exit 77; }
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# every_task PID: one line per thread with its capability sets and no_new_privs
every_task() {
  for s in /proc/"$1"/task/*/status; do
    awk '/^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ { printf "%s %s ", $1, $2 } END { print "" }' "$s"
  done
}
none='CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000 CapAmb: 0000000000000000 NoNewPrivs: 1 '
all_dropped() {  # PID WHAT
  local tasks; tasks=$(every_task "$1")
  if [ -n "$tasks" ] && ! grep -vxF "$none" <<<"$tasks" >/dev/null; then
    ok "$2: $(wc -l <<<"$tasks") threads, no capability in any set, no_new_privs"
  else
    bad "$2:"; echo "$tasks"
  fi
}
started() {  # PID: the process is up and has opened its source (first output or 1 s)
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 1; sleep 0.1; done
  return 0
}
free_port() { python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); print(s.getsockname()[1])' "${1:-0}"; }

"$rw" replay "$rec" --speed 0.02 >/dev/null 2>"$tmp/err" &
pid=$!; pids+=("$pid")
if started "$pid"; then all_dropped "$pid" "replay (root)"; else bad "replay died: $(cat "$tmp/err")"; fi
kill -INT "$pid"; wait "$pid"

"$rw" replay "$rec" --speed 0.02 --user nobody >/dev/null 2>"$tmp/err" &
pid=$!; pids+=("$pid")
if started "$pid"; then
  all_dropped "$pid" "replay --user nobody"
  uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/"$pid"/status)
  gid=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' /proc/"$pid"/status)
  groups=$(awk '/^Groups:/ { print $2 }' /proc/"$pid"/status)
  if [ "$uid" = "65534 65534 65534 65534" ] && [ "$gid" = "65534 65534 65534 65534" ] && [ -z "$groups" ]; then
    ok "--user nobody: uid and gid 65534 (real, effective, saved, fs), no supplementary groups"
  else bad "--user nobody: Uid $uid, Gid $gid, Groups '$groups'"; fi
else bad "replay --user nobody died: $(cat "$tmp/err")"; fi
kill -INT "$pid"; wait "$pid"

"$rw" replay "$rec" --user no-such-user-rcuwatch >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 64 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "no such user" "$tmp/err"; then
  ok "--user of an unknown user: exit 64: $(cat "$tmp/err")"
else bad "--user unknown: exit $rc: $(cat "$tmp/err")"; fi

# The exporter: bound, then serving with no capability in any thread.
for port in "$(free_port)" "$(for p in $(seq 1000 1023); do free_port "$p" 2>/dev/null && break; done)"; do
  [ -n "$port" ] || { echo "SKIPPED low port: none free"; continue; }
  "$rw" exporter --replay "$rec" --speed 0.02 --listen "127.0.0.1:$port" 2>"$tmp/err" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" && break; sleep 0.1; done
  if grep -q '^rcuwatch_' "$tmp/metrics" 2>/dev/null; then
    ok "exporter on port $port serves /metrics"
    all_dropped "$pid" "exporter on port $port, after a scrape"
  else bad "exporter on port $port: no metrics: $(cat "$tmp/err")"; fi
  kill -TERM "$pid"; wait "$pid"
  rm -f "$tmp/metrics"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
