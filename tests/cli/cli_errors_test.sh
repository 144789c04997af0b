#!/usr/bin/env bash
# Bad input ends with one clear line and a non-zero exit, never a crash.
set -u
rw=$1; data=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { # name, expected exit, expected stderr substring, command...
  local name=$1 want_rc=$2 want_msg=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$rc" = "$want_rc" ] && grep -qF -- "$want_msg" "$tmp/err" && [ "$lines" -le 2 ]; then
    pass=$((pass + 1)); echo "ok   $name (exit $rc): $(head -1 "$tmp/err")"
  else
    fail=$((fail + 1)); echo "FAIL $name: exit $rc (want $want_rc), stderr:"; cat "$tmp/err"
  fi
}

check "unknown flag" 64 "error:" "$rw" stat --bogus
check "bad interval" 64 "error:" "$rw" stat -i -3
check "no subcommand" 64 "error:" "$rw"
check "missing recording" 64 "error:" "$rw" replay "$tmp/nope.rwrec"
check "bad --instance" 64 "is not a hex kernel address" "$rw" stat --instance zz
# Detector limits, on every command that evaluates them.
check "NaN --gp-limit" 64 "--gp-limit: 'nan' is not a number of seconds" "$rw" stat --gp-limit nan
check "negative --lag-limit" 64 "--lag-limit: '-1' is not a number of seconds" "$rw" exporter --lag-limit -1
check "negative --flood-rate" 64 "--flood-rate: '-5' is not a rate" "$rw" top --flood-rate -5
check "negative --stranded-bytes" 64 "--stranded-bytes" "$rw" report --live --stranded-bytes -5
check "bad --stranded-bytes unit" 64 "--stranded-bytes" "$rw" replay "$data/testrun.rwrec" --stranded-bytes 3parsecs
check "huge --stranded-for" 64 "--stranded-for: '1e99'" "$rw" stat --stranded-for 1e99
check "bad --list-fallback-objects" 64 "--list-fallback-objects" "$rw" stat --list-fallback-objects x
check "negative --loss-limit" 64 "--loss-limit" "$rw" top --loss-limit -1

printf 'definitely not a recording' >"$tmp/garbage.rwrec"
check "garbage recording" 1 "byte offset 0: bad magic" "$rw" replay "$tmp/garbage.rwrec"

rec=$data/testrun.rwrec
if [ -f "$rec" ]; then
  size=$(stat -c %s "$rec")
  head -c $((size - 7)) "$rec" >"$tmp/trunc.rwrec"
  check "truncated recording" 1 "truncated at byte offset $((size - 7))" "$rw" replay "$tmp/trunc.rwrec"
  cp "$rec" "$tmp/corrupt.rwrec"
  # Change a byte in the middle of the file: some record's checksum fails.
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x5a; open(p,"wb").write(b)' "$tmp/corrupt.rwrec"
  check "corrupt recording" 1 "corrupt record at byte offset" "$rw" replay "$tmp/corrupt.rwrec"
fi

# The live view on a kernel without the rcu_pending hooks (this machine).
if [ "$(id -u)" = 0 ] && ! grep -qs rcu_pending_enqueue /sys/kernel/tracing/available_events; then
  check "kernel without hooks" 2 "no rcu_pending tracepoints" "$rw" stat -n 1
  check "top without hooks" 2 "no rcu_pending tracepoints" "$rw" top -b -n 1
else
  echo "SKIPPED kernel-without-hooks checks: not root, or this kernel has the hooks"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
