#!/usr/bin/env bash
# Bad input ends with one clear line and a non-zero exit, never a crash.
set -u
rw=$1; data=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { # name, expected exit, expected stderr substring ("": stderr empty), command...
  local name=$1 want_rc=$2 want_msg=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$rc" = "$want_rc" ] && [ "$lines" -le 2 ] &&
    { if [ -n "$want_msg" ]; then grep -qF -- "$want_msg" "$tmp/err"; else [ ! -s "$tmp/err" ]; fi; }; then
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
check "bad --ringbuf" 64 "--ringbuf: 3000 bytes is not a power of two from 4KiB to 1GiB" "$rw" stat --ringbuf 3000
# NaN passes every comparison: it must be refused, not taken (issue 12, 9).
check "-i nan" 64 "--interval: 'nan' is not a finite number" "$rw" stat -i nan
check "--speed nan" 64 "--speed: 'nan' is not a finite number" "$rw" replay --speed nan "$data/testrun.rwrec"
check "--stranded-age nan" 64 "--stranded-age: 'nan' is not a number of seconds" "$rw" report --stranded-age nan "$data/testrun.rwrec"
check "-d inf" 64 "--delay: 'inf' is not a finite number" "$rw" top -d inf
# A range error is a short line, not DBL_MAX in 309 digits.
check "range error" 64 "--speed: -1 is below 0" "$rw" replay --speed -1 "$data/testrun.rwrec"
check "range error, huge" 64 "--interval: 1e308 is not from 0.01 to 3600" "$rw" stat -i 1e308
if [ "$(head -c 300 "$tmp/err" | wc -c)" -ge 300 ]; then
  fail=$((fail + 1)); echo "FAIL range error message is $(wc -c <"$tmp/err") bytes long"
fi
check "report without a file" 64 "report needs a recording FILE, or --live" "$rw" report
check "report with both" 64 "a recording FILE or --live, not both" "$rw" report --live "$data/testrun.rwrec"
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

# Output that cannot be written is an error, not exit 0 (issue 12, 7).
if [ -c /dev/full ] && [ -f "$rec" ]; then
  for cmd in "replay" "replay --json" "stat --replay" "report" "report --json" "top -b --replay"; do
    # shellcheck disable=SC2086  # $cmd is the command and its flags
    check "$cmd > /dev/full" 1 "cannot write to standard output: No space left on device" \
      sh -c '"$@" >/dev/full' sh "$rw" $cmd "$rec"
  done
else
  echo "SKIPPED write-error checks: no /dev/full"
fi

# Recording over the recording being replayed is refused before it is
# truncated (issue 12, 8: a 1 MB recording became 5 KB); another name for
# the same file (symlink, hard link) too.
if [ -f "$rec" ]; then
  cp "$rec" "$tmp/in.rwrec"; ln -s "$tmp/in.rwrec" "$tmp/symlink.rwrec"; ln "$tmp/in.rwrec" "$tmp/hardlink.rwrec"
  sum=$(md5sum <"$tmp/in.rwrec")
  for out in in symlink hardlink; do
    check "stat --replay F --record F ($out)" 64 "is the recording being replayed" \
      "$rw" stat --replay "$tmp/in.rwrec" --record "$tmp/$out.rwrec"
  done
  if [ "$(md5sum <"$tmp/in.rwrec")" = "$sum" ]; then pass=$((pass + 1)); echo "ok   the input is unchanged"
  else fail=$((fail + 1)); echo "FAIL the input was changed"; fi
  "$rw" stat --replay "$tmp/in.rwrec" --record "$tmp/copy.rwrec" >/dev/null 2>&1
  if cmp -s <("$rw" replay "$tmp/copy.rwrec") <("$rw" replay "$rec"); then
    pass=$((pass + 1)); echo "ok   --record to another file still records"
  else fail=$((fail + 1)); echo "FAIL --record to another file"; fi

  # A full disk while recording (RLIMIT_FSIZE here: EFBIG; the VM test
  # fills a real tmpfs): stat's lines go on, the file keeps every complete
  # record and replays without an error, the exit status says it failed.
  demo=$2/demo.rwrec
  if [ -f "$demo" ]; then
    check "stat --record on a full disk" 1 "recording stopped" \
      sh -c 'trap "" XFSZ; ulimit -f 200; exec "$@"' sh "$rw" stat --replay "$demo" --record "$tmp/full.rwrec"
    want=$("$rw" replay "$demo" | wc -l)
    if [ "$(wc -l <"$tmp/out")" = "$want" ] && "$rw" replay "$tmp/full.rwrec" >/dev/null 2>&1 &&
      [ "$(stat -c %s "$tmp/full.rwrec")" -le 204800 ]; then
      pass=$((pass + 1)); echo "ok   full disk: all $want lines printed, $(stat -c %s "$tmp/full.rwrec") bytes recorded, a valid recording"
    else fail=$((fail + 1)); echo "FAIL full disk: $(wc -l <"$tmp/out") of $want lines, or the recording is not valid"; fi
  fi

  # A pipe or FIFO as the recording: read to its end, the same numbers; a
  # size of 2^64-1 is never reported (issue 12, 9).
  if cmp -s <("$rw" replay <(cat "$rec")) <("$rw" replay "$rec"); then
    pass=$((pass + 1)); echo "ok   replay of a pipe"
  else fail=$((fail + 1)); echo "FAIL replay of a pipe differs from the file"; fi
  size=$(stat -c %s "$rec")
  # shellcheck disable=SC2016  # expanded by the inner sh
  check "truncated pipe" 1 "/dev/stdin: truncated at byte offset $((size - 7))" \
    sh -c 'head -c "$1" "$2" | "$3" replay /dev/stdin' sh $((size - 7)) "$rec" "$rw"
  mkfifo "$tmp/fifo"
  (cat "$rec" >"$tmp/fifo" &)
  check "report of a FIFO" 0 "" "$rw" report "$tmp/fifo"
  if grep -q 18446744073709551615 "$tmp/out" "$tmp/err"; then
    fail=$((fail + 1)); echo "FAIL a size of 2^64-1 reported"
  fi
fi

# The live view on a kernel without the rcu_pending hooks (this machine).
if [ "$(id -u)" = 0 ] && ! grep -qs rcu_pending_enqueue /sys/kernel/tracing/available_events; then
  check "kernel without hooks" 2 "no rcu_pending tracepoints" "$rw" stat -n 1
  check "top without hooks" 2 "no rcu_pending tracepoints" "$rw" top -b -n 1
  # Without the hooks, no capability would help: the same exit 2, not a
  # capability error (the capability errors are tested in the VM, which has hooks).
  if command -v setpriv >/dev/null; then
    check "no hooks, as nobody without capabilities" 2 "no rcu_pending tracepoints" \
      setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$rw" stat -n 1
  fi
else
  echo "SKIPPED kernel-without-hooks checks: not root, or this kernel has the hooks"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
