#!/usr/bin/env bash
# deploy/prometheus/rcuwatch-rules.yml and deploy/grafana/rcuwatch-dashboard.json
# against a real Prometheus (Debian package `prometheus`):
#   - `promtool check rules` and `promtool test rules` (the rules' own unit
#     tests: input series, alerts fired only after their `for:`);
#   - Prometheus loads the rules (every `for:` cut to 2 s: the demo's
#     stranded episode lasts seconds, not minutes) and scrapes two exporters
#     replaying tests/data/demo.rwrec at half speed, one with
#     --per-cpu=false: /api/v1/alerts must show RcuwatchStrandedMemory and
#     RcuwatchGracePeriodStuck (rpl_srcu) firing for both, and none of the
#     alerts about losses, lag or a missing exporter;
#   - the dashboard JSON parses, has the panels docs/exporter.md lists, and
#     every panel's PromQL (with $job, $instance and $__rate_interval set as
#     Grafana would) returns data from that Prometheus.
# Loopback only; every wait is bounded. Exit 77 (skipped) without a tool.
set -u
rw=$1; data=$2; deploy=$3
source "$(dirname "$0")/lib.sh" curl prometheus promtool python3
rules=$deploy/prometheus/rcuwatch-rules.yml
dashboard=$deploy/grafana/rcuwatch-dashboard.json

# --- promtool
if out=$(promtool check rules "$rules" 2>&1); then ok "promtool check rules: $(echo "$out" | grep -o '[0-9]* rules found')"
else bad "promtool check rules:"; echo "$out"; fi
if out=$(cd "$(dirname "$rules")" && promtool test rules rcuwatch-rules.test.yml 2>&1); then ok "promtool test rules: SUCCESS"
else bad "promtool test rules:"; echo "$out"; fi

# --- the rules with every `for:` at 2 s, and nothing else changed
sed -E 's/^( +for: )[0-9]+[smh]$/\12s/' "$rules" >"$tmp/rules.yml"
expect "for: lines cut to 2 s" "$(diff "$rules" "$tmp/rules.yml" | grep -c '^> *for: 2s$')" \
  "$(grep -cE '^ +for: ' "$rules")"
expect "no other line changed" "$(diff "$rules" "$tmp/rules.yml" | grep -c '^[<>]' )" \
  "$((2 * $(grep -cE '^ +for: ' "$rules")))"

# --- Prometheus first (so it sees the episode from the start), then the exporters
e1=$(free_port); e2=$(free_port); pport=$(free_port)
cat >"$tmp/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['$tmp/rules.yml']
scrape_configs:
  - job_name: rcuwatch
    static_configs:
      - targets: ['127.0.0.1:$e1', '127.0.0.1:$e2']
CONF
promtool check config "$tmp/prometheus.yml" >/dev/null 2>&1 || bad "promtool check config"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
papi=http://127.0.0.1:$pport
if ! wait_http "$papi/-/ready" 30; then
  bad "prometheus not ready within 30 s"; tail -20 "$tmp/prometheus.log"; exit 1
fi
start=$(date +%s)
"$rw" exporter --replay "$data/demo.rwrec" --speed 0.5 --listen "127.0.0.1:$e1" 2>"$tmp/e1.err" &
pids+=($!)
"$rw" exporter --replay "$data/demo.rwrec" --speed 0.5 --per-cpu=false --listen "127.0.0.1:$e2" \
  2>"$tmp/e2.err" &
pids+=($!)

# --- alerts seen while the recording plays (about 40 s), and a little after
python3 - "$papi" "127.0.0.1:$e1" "127.0.0.1:$e2" <<'PY' || fail=$((fail + 1))
import json, sys, time, urllib.parse, urllib.request
api, targets = sys.argv[1], sys.argv[2:]
def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)
def ended(target):
    try:
        with urllib.request.urlopen(f"http://{target}/metrics", timeout=5) as r:
            return "\nrcuwatch_source_ended 1\n" in r.read().decode()
    except OSError:
        return False
firing = {}   # (alertname, instance, name) -> the largest value seen
deadline = time.time() + 120
# From the first scrape of both targets on: before it, `up` is absent (and,
# with `for:` at 2 s, RcuwatchExporterAbsent would fire: 10 minutes in the rules).
def up():
    q = urllib.parse.urlencode({"query": 'up{job="rcuwatch"}'})
    return get(f"{api}/api/v1/query?{q}")["data"]["result"]
while len(up()) < len(targets) and time.time() < deadline:
    time.sleep(0.2)
time.sleep(2.5)  # two rule evaluations: what `up` being absent made fire resolves
ended_at = None
while time.time() < deadline:
    for a in get(f"{api}/api/v1/alerts")["data"]["alerts"]:
        if a["state"] == "firing":
            key = (a["labels"]["alertname"], a["labels"].get("instance", ""), a["labels"].get("name", ""))
            firing[key] = max(firing.get(key, 0.0), float(a["value"]))
    if ended_at is None and all(ended(t) for t in targets):
        ended_at = time.time()
    if ended_at is not None and time.time() > ended_at + 5:
        break
    time.sleep(0.5)
fails = []
def expect(what, good, detail):
    print(f"{'ok  ' if good else 'FAIL'} {what}: {detail}")
    if not good: fails.append(what)
expect("both recordings ended within 120 s", ended_at is not None, ended_at)
print("alerts seen firing:", {f"{k[0]} {k[1]} {k[2]}".strip(): v for k, v in sorted(firing.items())})
for t in targets:
    v = firing.get(("RcuwatchStrandedMemory", t, ""))
    expect(f"RcuwatchStrandedMemory fired for {t} (value: pending bytes > 1 MiB)",
           v is not None and v > 1 << 20, v)
    v = firing.get(("RcuwatchGracePeriodStuck", t, "rpl_srcu"))
    expect(f"RcuwatchGracePeriodStuck fired for {t} on rpl_srcu (value: seconds running > 1)",
           v is not None and v > 1, v)
    expect(f"no grace period alert on rcu for {t}",
           ("RcuwatchGracePeriodStuck", t, "rcu") not in firing, "none")
others = sorted({k[0] for k in firing} - {"RcuwatchStrandedMemory", "RcuwatchGracePeriodStuck"})
expect("no other alert fired (losses, lag, stuck source, exporter down or absent)", not others, others)
now = get(f"{api}/api/v1/alerts")["data"]["alerts"]
still = [a["labels"]["alertname"] for a in now if a["state"] == "firing"]
expect("the stranded alert resolved once the recording's memory was freed",
       "RcuwatchStrandedMemory" not in still, still)
sys.exit(1 if fails else 0)
PY

# --- the dashboard: every panel's queries return data from this Prometheus
python3 - "$papi" "$dashboard" "$start" <<'PY' || fail=$((fail + 1))
import json, math, sys, time, urllib.parse, urllib.request
api, path, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
fails = []
def expect(what, good, detail=""):
    print(f"{'ok  ' if good else 'FAIL'} {what}" + (f": {detail}" if detail != "" else ""))
    if not good: fails.append(what)
try:
    dash = json.load(open(path))
except ValueError as e:
    expect("dashboard JSON parses", False, e); sys.exit(1)
expect("dashboard JSON parses", True, path)
panels = []
def walk(ps):
    for p in ps:
        panels.append(p)
        walk(p.get("panels", []))
walk(dash.get("panels", []))
titles = [p.get("title", "") for p in panels]
for want in ["Pending bytes by instance", "Pending bytes by CPU", "Oldest pending age by instance",
             "Grace periods per second", "Grace-period duration", "Losses"]:
    expect(f"panel '{want}'", want in titles)
expect("the duration panel is a heatmap", any(p.get("type") == "heatmap" for p in panels))
ids = [p.get("id") for p in panels]
expect("panel ids unique", len(ids) == len(set(ids)), ids)
names = {v["name"] for v in dash.get("templating", {}).get("list", [])}
expect("variables datasource, job, instance", {"datasource", "job", "instance"} <= names, sorted(names))
def query_range(expr):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": int(time.time()), "step": 1})
    with urllib.request.urlopen(f"{api}/api/v1/query_range?{q}", timeout=10) as r:
        body = json.load(r)
    return body["data"]["result"]
count = 0
for p in panels:
    targets = p.get("targets", [])
    if p.get("type") != "row":
        expect(f"panel '{p.get('title')}' has queries", bool(targets))
    for t in targets:
        expr = (t["expr"].replace("$__rate_interval", "15s").replace("$job", "rcuwatch")
                .replace("$instance", ".*"))
        try:
            result = query_range(expr)
        except Exception as e:  # a query Prometheus refuses: HTTP 400
            expect(f"'{p['title']}' {t.get('refId')}: {expr}", False, e); continue
        points = sum(1 for s in result for _, v in s["values"] if not math.isnan(float(v)))
        expect(f"'{p['title']}' {t.get('refId')}: {len(result)} series, {points} points", points > 0, "")
        count += 1
        if p.get("type") == "heatmap":
            expect("heatmap series are buckets (le)", all("le" in s["metric"] for s in result), "")
print(f"dashboard: {len(panels)} panels, {count} queries checked")
sys.exit(1 if fails else 0)
PY

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
