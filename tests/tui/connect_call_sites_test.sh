#!/usr/bin/env bash
# Call sites over `--connect`: the kernel stacks of a recording's call sites
# (its STACKS records) reach a remote viewer through the exporter's tick log,
# so `top -b --connect --table callsite` names the same call paths, with the
# same figures, as `top -b --replay --table callsite` of the recording (last
# frame). Before, a remote view showed "(stack not read)".
# Usage: connect_call_sites_test.sh RCUWATCH RECORDING (one with call sites:
# tests/data/callsites.rwrec, recorded in the VM by vm_diagnosis's oom phase).
set -u
rw=$(realpath "$1")
rec=$(realpath "$2")
source "$(dirname "$0")/../exporter/lib.sh" curl
trap cleanup EXIT
# The last frame's call-site table (its heading and rows).
call_sites() { awk '/^rcuwatch top - /{t=""} {t=t $0 "\n"} END{printf "%s", t}' "$1" |
  sed -n '/^Call sites:/,$p'; }

"$rw" top -b --replay "$rec" --table callsite >"$tmp/local.txt" 2>"$tmp/local.err"
expect "local top exit" "$?" 0
local_rows=$(call_sites "$tmp/local.txt")
expect "the recording names call paths" "$(grep -c ' <- ' <<<"$local_rows")" 2

port=$(free_port)
"$rw" exporter --replay "$rec" --speed 0 --listen "127.0.0.1:$port" 2>"$tmp/exporter.err" &
pids+=($!)
wait_http "http://127.0.0.1:$port/healthz" 10 || { bad "exporter not healthy"; exit 1; }
timeout 60 "$rw" top -b --connect "http://127.0.0.1:$port" --table callsite \
  >"$tmp/remote.txt" 2>"$tmp/remote.err"
expect "top -b --connect exit" "$?" 0
remote_rows=$(call_sites "$tmp/remote.txt")
if [ -n "$local_rows" ] && [ "$remote_rows" = "$local_rows" ]; then
  ok "remote call sites = local ones: $(grep ' <- ' <<<"$remote_rows" | awk '{print $1, $2, $3 $4}' | tr '\n' ';')"
else
  bad "remote call sites differ from local ones:"; diff <(echo "$local_rows") <(echo "$remote_rows") | head
fi
expect "no '(stack not read)' remotely" "$(grep -c 'stack not read' "$tmp/remote.txt")" 0
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
