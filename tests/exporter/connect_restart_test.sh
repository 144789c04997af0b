#!/usr/bin/env bash
# `rcuwatch stat --connect` across an exporter restart: the viewer follows an
# exporter replaying demo.rwrec until it has counted list fallbacks (counts
# made from lifecycle events, not read from lifetime counters), the
# exporter is killed and started again from the recording's start, and the
# viewer, told the stream starts afresh, must start afresh too: its last
# interval equals `stat --replay`'s last (index, list fallbacks, detector
# episodes), none of the first exporter's counts carried over.
# Usage: connect_restart_test.sh RCUWATCH DATA_DIR. Exit 77 (skipped)
# without curl or python3. Loopback only; every wait is bounded.
set -u
rw=$(realpath "$1")
rec=$(realpath "$2/demo.rwrec")
source "$(dirname "$0")/lib.sh" curl python3

# index, list fallbacks, detector episodes of the last JSON line of FILE
final_of() {
  tail -n 1 "$1" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
episodes = sum(e["episodes"] for e in s["detectors"]["episodes"])
print(s["index"], s["totals"]["list_fallbacks"], episodes)' 2>/dev/null
}
# Bounded wait for a JSON line of FILE whose list fallbacks are above zero.
wait_list_fallbacks() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        if json.loads(line)["totals"]["list_fallbacks"] > 0: sys.exit(0)
    except ValueError: pass
sys.exit(1)' "$1" && return 0
    sleep 0.2
  done
  return 1
}

"$rw" stat --replay "$rec" --json >"$tmp/local.json" 2>"$tmp/local.err" ||
  { bad "stat --replay failed: $(cat "$tmp/local.err")"; exit 1; }
want=$(final_of "$tmp/local.json")

port=$(free_port)
url=http://127.0.0.1:$port
start_exporter() {
  "$rw" exporter --replay "$rec" --speed "$1" --listen "127.0.0.1:$port" 2>>"$tmp/exporter.err" &
  epid=$!; pids+=("$epid")
  wait_http "$url/healthz" 10 || { bad "exporter not healthy within 10 s"; exit 1; }
}

start_exporter 2
timeout 120 "$rw" stat --connect "$url" --json >"$tmp/remote.json" 2>"$tmp/remote.err" &
vpid=$!; pids+=("$vpid")
if wait_list_fallbacks "$tmp/remote.json" 30; then
  ok "the viewer counted list fallbacks from the first exporter"
else
  bad "no list fallback seen from the first exporter within 30 s"
fi
kill "$epid"; wait "$epid" 2>/dev/null
sleep 1.5  # a failed request or two: the viewer retries every second
start_exporter 4
wait "$vpid"; rc=$?
expect "the viewer ends with the recording" "$rc" 0
if grep -q "the exporter restarted" "$tmp/remote.err"; then
  ok "the viewer says the exporter restarted"
else
  bad "no restart reported: $(tail -n 3 "$tmp/remote.err")"
fi
expect "last interval after the restart (index, list fallbacks, episodes) as stat --replay's" \
  "$(final_of "$tmp/remote.json")" "$want"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
