#!/usr/bin/env bash
# `rcuwatch exporter --replay tests/data/testrun.rwrec`, scraped with curl and
# by a real Prometheus (Debian package `prometheus`): the recording's final
# numbers (derived by hand in tests/cli/replay_test.sh) must come out of the
# exporter and out of Prometheus' storage; the text must pass `promtool check
# metrics`; bad requests get 404/405/400, slow clients are cut off, bad flags
# give one line and a non-zero exit. Loopback only; every wait is bounded.
# Exit 77 (skipped) without curl, prometheus or promtool.
set -u
rw=$1; data=$2
source "$(dirname "$0")/lib.sh" curl prometheus promtool python3
# The value of one exposed series, exactly as written (name{labels}).
value_of() { awk -v s="$1" '$1 == s { print $2 }' "$tmp/metrics.txt"; }
sum_of() { awk -v n="$1" 'index($1, n "{") == 1 { s += $2 } END { print s + 0 }' "$tmp/metrics.txt"; }

eport=$(free_port)
"$rw" exporter --replay "$data/testrun.rwrec" --listen "127.0.0.1:$eport" 2>"$tmp/exporter.err" &
epid=$!; pids+=("$epid")
base=http://127.0.0.1:$eport
if ! wait_http "$base/metrics" 10; then
  bad "exporter did not serve $base/metrics within 10 s"; cat "$tmp/exporter.err"; exit 1
fi

# A client that sends half a request line and then nothing: cut off by the
# server's read timeout (5 s) while other requests are served.
( exec 3<>"/dev/tcp/127.0.0.1/$eport"; printf 'GET /metr' >&3
  start=$SECONDS; timeout 20 cat <&3 >/dev/null; echo "$? $((SECONDS - start))" >"$tmp/slow" ) &
slowpid=$!; pids+=("$slowpid")

# --- values (the replay's final interval)
curl -s -m 5 -D "$tmp/headers" "$base/metrics" >"$tmp/metrics.txt"
expect "content type" "$(grep -i '^content-type:' "$tmp/headers" | tr -d '\r' | cut -d' ' -f2-)" \
  "text/plain; version=0.0.4; charset=utf-8"
rcu='{rcu_pending="test_rcu_process",flavor="rcu",mode="process"}'
srcu='{rcu_pending="test_srcu_kvfree",flavor="srcu",mode="kvfree"}'
expect "total pending bytes" "$(sum_of rcuwatch_pending_bytes)" 256
expect "total pending objects" "$(sum_of rcuwatch_pending_objects)" 1
expect "test_rcu_process pending bytes" "$(value_of "rcuwatch_pending_bytes$rcu")" 256
expect "test_rcu_process enqueued bytes" "$(value_of "rcuwatch_enqueued_bytes_total$rcu")" 4608
expect "test_rcu_process processed bytes" "$(value_of "rcuwatch_processed_bytes_total$rcu")" 4320
expect "test_rcu_process dequeued bytes" "$(value_of "rcuwatch_dequeued_bytes_total$rcu")" 32
expect "test_srcu_kvfree processed bytes" "$(value_of "rcuwatch_processed_bytes_total$srcu")" 4000
expect "test_srcu_kvfree pending bytes" "$(value_of "rcuwatch_pending_bytes$srcu")" 0
expect "rcu grace periods completed" \
  "$(value_of 'rcuwatch_grace_periods_completed_total{flavor="rcu",name="rcu"}')" 1
expect "test_srcu grace periods completed" \
  "$(value_of 'rcuwatch_grace_periods_completed_total{flavor="srcu",name="test_srcu"}')" 1
expect "rcu histogram count" \
  "$(value_of 'rcuwatch_grace_period_duration_seconds_count{flavor="rcu",name="rcu"}')" 1
expect "ring buffer drops" "$(value_of rcuwatch_ringbuf_dropped_events_total)" 0
expect "recording ended" "$(value_of rcuwatch_source_ended)" 1
expect "snapshots" "$(value_of rcuwatch_snapshots_total)" 3

# --- the JSON API: the snapshot `replay --json --final` prints (but the
# per instance x CPU x seq rows, which the exporter does not keep), versioned
curl -s -m 5 "$base/api/v1/snapshot" >"$tmp/api.json"
"$rw" replay --json --final "$data/testrun.rwrec" >"$tmp/final.json" 2>/dev/null
api_check=$(python3 - "$tmp/api.json" "$tmp/final.json" <<'PY'
import json, sys
api = json.load(open(sys.argv[1]))
final = json.loads(open(sys.argv[2]).read().splitlines()[-1])
snap = api.get("snapshot", {})
problems = [k for k in sorted(set(snap) | set(final)) if k != "seq_cpus" and snap.get(k) != final.get(k)]
if api.get("version") != 1: problems.append(f"version {api.get('version')}")
if api.get("source_ended") is not True: problems.append("source_ended")
if snap.get("seq_cpus") != []: problems.append("seq_cpus not empty")
if not final.get("seq_cpus"): problems.append("replay printed no seq_cpus (the test data changed?)")
print("same" if not problems else "differs: " + ", ".join(problems))
PY
)
expect "/api/v1/snapshot = replay --json --final (seq_cpus empty), version 1, ended" "$api_check" same
expect "/healthz after the recording ended" "$(curl -s -m 5 -w ' %{http_code}' "$base/healthz" | tr -d '\n')" \
  "ok: the recording ended; its last snapshot is served 200"

if promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1; then
  ok "promtool check metrics: no problems"
else
  bad "promtool check metrics:"; cat "$tmp/promtool.out"
fi

# --- HTTP behaviour
code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@"; }
expect "GET /" "$(code "$base/")" 200
expect "GET / links /metrics" "$(curl -s -m 5 "$base/" | grep -c 'href="/metrics"')" 1
expect "HEAD /metrics" "$(code -I "$base/metrics")" 200
expect "GET /nope" "$(code "$base/nope")" 404
expect "POST /metrics" "$(code -X POST -d x=1 "$base/metrics")" 405
expect "DELETE /" "$(code -X DELETE "$base/")" 405
expect "405 names the allowed methods" \
  "$(curl -s -m 5 -D - -o /dev/null -X PUT "$base/metrics" | grep -i '^allow:' | tr -d '\r')" "Allow: GET, HEAD"
expect "unknown method" "$(code -X FROB "$base/metrics")" 400
raw_status() { # bytes to send: the status code of the first response line
  ( exec 3<>"/dev/tcp/127.0.0.1/$eport"; printf "$1" >&3; timeout 5 head -1 <&3 ) 2>/dev/null |
    awk '{ print $2 }'
}
expect "garbage request line" "$(raw_status 'garbage\r\n\r\n')" 400
expect "binary junk" "$(raw_status '\x00\x01\xff\xfe\r\n\r\n')" 400
expect "bad HTTP version" "$(raw_status 'GET /metrics HTTP/9.9\r\n\r\n')" 400
expect "still serving after all that" "$(code "$base/metrics")" 200

# --- bad flags: one line, non-zero exit
flag_check() { # what, want exit, want stderr substring, args...
  local what=$1 want=$2 msg=$3; shift 3
  "$rw" exporter "$@" >/dev/null 2>"$tmp/flag.err" </dev/null & local p=$!
  local deadline=$((SECONDS + 10))
  while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill "$p" 2>/dev/null; wait "$p"; local rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$msg" "$tmp/flag.err" && [ "$(wc -l <"$tmp/flag.err")" = 1 ]; then
    ok "$what (exit $rc): $(cat "$tmp/flag.err")"
  else
    bad "$what: exit $rc (want $want), stderr:"; cat "$tmp/flag.err"
  fi
}
flag_check "--listen garbage" 64 "'garbage' is not ADDRESS:PORT" --listen garbage --replay "$data/testrun.rwrec"
flag_check "--listen without port" 64 "is not ADDRESS:PORT" --listen 127.0.0.1 --replay "$data/testrun.rwrec"
flag_check "--listen port out of range" 64 "is not ADDRESS:PORT" --listen 127.0.0.1:70000 --replay "$data/testrun.rwrec"
flag_check "port in use" 1 "cannot listen on 127.0.0.1:$eport: Address already in use" \
  --listen "127.0.0.1:$eport" --replay "$data/testrun.rwrec"
flag_check "bad --max-seq-series" 64 "error:" --max-seq-series -1 --replay "$data/testrun.rwrec"

# --- a real Prometheus scraping the exporter every second
pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: rcuwatch
    static_configs:
      - targets: ['127.0.0.1:$eport']
EOF
promtool check config "$tmp/prometheus.yml" >/dev/null || bad "promtool check config"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
ppid=$!; pids+=("$ppid")
papi=http://127.0.0.1:$pport
if ! wait_http "$papi/-/ready" 30; then
  bad "prometheus not ready within 30 s"; tail -20 "$tmp/prometheus.log"
else
  query() { curl -s -m 5 -G "$papi/api/v1/query" --data-urlencode "query=$1"; }
  # Until the first scrape is stored (scrape interval 1 s; bounded).
  deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    query 'up{job="rcuwatch"} == 1' | grep -q '"result":\[{' && break
    sleep 0.5
  done
  python3 - "$papi" <<'PY' || fail=$((fail + 1))
import json, sys, urllib.parse, urllib.request
api = sys.argv[1]
def query(q):
    with urllib.request.urlopen(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": q}), timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]
fails = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} prometheus {what}: {got}" + ("" if ok else f", want {want}"))
    if not ok: fails.append(what)
up = query('up{job="rcuwatch"}')
expect("up", [r["value"][1] for r in up], ["1"])
rows = query("rcuwatch_pending_bytes")
got = {r["metric"].get("rcu_pending"): r["value"][1] for r in rows}
expect("rcuwatch_pending_bytes per rcu_pending", got, {"test_rcu_process": "256", "test_srcu_kvfree": "0"})
expect("labels kept as exported (no exported_instance)",
       sorted(k for k in rows[0]["metric"] if k != "rcu_pending") if rows else None,
       ["__name__", "flavor", "instance", "job", "mode"])
expect("sum(rcuwatch_pending_bytes)", [r["value"][1] for r in query("sum(rcuwatch_pending_bytes)")], ["256"])
expect("test_rcu_process enqueued bytes",
       [r["value"][1] for r in query('rcuwatch_enqueued_bytes_total{rcu_pending="test_rcu_process"}')], ["4608"])
expect("rcu grace periods completed",
       [r["value"][1] for r in query('rcuwatch_grace_periods_completed_total{flavor="rcu"}')], ["1"])
# The one RCU grace period lasted about 100 ms: its log2 bucket is (65.536 ms, 131.072 ms].
q = query('histogram_quantile(0.5, rcuwatch_grace_period_duration_seconds_bucket{name="rcu"})')
v = float(q[0]["value"][1]) if q else -1
expect("median rcu grace period within (0.065536, 0.131072] s", 0.065536 < v <= 0.131072, True)
print(f"prometheus numbers: pending_bytes {got}, median rcu gp {v:.6f} s")
sys.exit(1 if fails else 0)
PY
  # The value stored equals the value the exporter serves.
  stored=$(query 'rcuwatch_pending_bytes{rcu_pending="test_rcu_process"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])' 2>/dev/null)
  curl -s -m 5 "$base/metrics" >"$tmp/metrics.txt"
  expect "prometheus stored = exporter serves (test_rcu_process pending bytes)" \
    "$stored" "$(value_of "rcuwatch_pending_bytes$rcu")"
  scraped() { query 'rcuwatch_scrapes_total' |
    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["data"]["result"][0]["value"][1]))' 2>/dev/null; }
  deadline=$((SECONDS + 10))
  while [ "$(scraped || echo 0)" -lt 2 ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  expect "prometheus scrapes again (rcuwatch_scrapes_total >= 2)" "$([ "$(scraped || echo 0)" -ge 2 ] && echo yes)" yes
fi

# --- the slow client was cut off by the timeout, not served forever
wait "$slowpid"
read -r slow_rc slow_s <"$tmp/slow" 2>/dev/null
if [ "${slow_rc:-x}" = 0 ] && [ "${slow_s:-99}" -le 10 ]; then
  ok "slow client disconnected after ${slow_s}s"
else
  bad "slow client: cat exit ${slow_rc:-?} after ${slow_s:-?}s (want 0 within 10 s)"
fi

# --- graceful stop on SIGTERM
kill -TERM "$epid"
deadline=$((SECONDS + 5))
while kill -0 "$epid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
if kill -0 "$epid" 2>/dev/null; then
  bad "exporter still running 5 s after SIGTERM"
else
  wait "$epid"; expect "exporter exit status after SIGTERM" "$?" 0
fi
expect "exporter stderr lines" "$(wc -l <"$tmp/exporter.err")" 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
