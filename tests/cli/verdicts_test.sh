#!/usr/bin/env bash
# One stream, one set of verdicts: the detectors run once per interval in
# SnapshotStream, so `report` (offline), `replay --json` (stat), `top -b` and
# `exporter --replay` (scraped with curl) must agree on every checked-in
# recording: which detectors fired on which subjects, how many episodes, and
# (report vs replay) when each began and ended. At the default limits and at
# others given by flags. report exits 3 exactly when a detector fired.
# Exit 77 (skipped) without curl or python3.
set -u
rw=$1; data=$2
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/install-deps.sh test)"; exit 77; }
done
tmp=$(mktemp -d)
epid=
cleanup() {
  [ -n "$epid" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# scrape FLAGS...: the exporter's metrics once the recording has ended.
scrape() {
  local port; port=$(free_port)
  "$rw" exporter --replay "$rec" --listen "127.0.0.1:$port" "$@" 2>"$tmp/exporter.err" &
  epid=$!
  local deadline=$((SECONDS + 20))
  while [ $SECONDS -lt $deadline ]; do
    if curl -s -m 2 "http://127.0.0.1:$port/metrics" >"$tmp/metrics.txt" 2>/dev/null &&
      grep -q '^rcuwatch_source_ended 1$' "$tmp/metrics.txt"; then
      kill "$epid"; wait "$epid" 2>/dev/null; epid=
      return 0
    fi
    sleep 0.2
  done
  echo "FAIL exporter on $rec did not end within 20 s"; cat "$tmp/exporter.err"
  kill "$epid"; wait "$epid" 2>/dev/null; epid=
  return 1
}

# name|recording|flags
cases=(
  "demo, defaults|demo.rwrec|"
  "demo, other limits|demo.rwrec|--stranded-bytes 16MiB --stranded-for 0 --gp-limit 7.5 --flood-rate 50"
  "testrun, defaults|testrun.rwrec|"
  "testrun, small limits|testrun.rwrec|--gp-limit 0.05 --stranded-age 0.05 --stranded-bytes 1 --stranded-for 0"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name file flags <<<"$c"
  rec=$data/$file
  # shellcheck disable=SC2086 # flags are words
  set -- $flags
  rc=0; "$rw" report "$rec" --json "$@" >"$tmp/report.json" || rc=$?
  "$rw" replay "$rec" --json "$@" >"$tmp/replay.jsonl" || { echo "FAIL $name: replay"; fail=1; continue; }
  "$rw" top -b --replay "$rec" "$@" >"$tmp/top.txt" || { echo "FAIL $name: top -b"; fail=1; continue; }
  scrape "$@" || { fail=1; continue; }
  python3 - "$tmp" "$name" "$rc" <<'PY' || fail=1
import json, re, sys
d, name, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
fails = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {what}: {got}" + ("" if ok else f", want {want}"))
    if not ok: fails.append(what)

report = json.load(open(f"{d}/report.json"))
snaps = [json.loads(l) for l in open(f"{d}/replay.jsonl")]
t0 = snaps[0]["time_ns"]

# Episodes as (detector, subject, onset, end or None), times from the first sample.
def key(e): return (e["detector"], e["subject"]["name"])
from_report = sorted((dt["detector"], e["subject"]["name"], e["onset_ns"], None if e["ongoing"] else e["end_ns"])
                     for dt in report["detectors"] for e in dt["episodes"])
from_replay = [(e["detector"], e["subject"]["name"], e["onset_ns"] - t0, e["end_ns"] - t0)
               for s in snaps for e in s["detectors"]["ended"]]
from_replay += [(f["detector"], f["subject"]["name"], f["episode"]["onset_ns"] - t0, None)
                for f in snaps[-1]["detectors"]["firing"]]
expect("episodes, report = replay", from_report, sorted(from_replay))

counts_replay = {key(e): e["episodes"] for e in snaps[-1]["detectors"]["episodes"]}
counts_report = {}
for dt in report["detectors"]:
    for e in dt["episodes"]:
        counts_report[(dt["detector"], e["subject"]["name"])] = counts_report.get((dt["detector"], e["subject"]["name"]), 0) + 1
expect("episode counts, report = replay", counts_report, counts_replay)

# The exporter: episodes_total per (detector, subject label), non-zero ones.
counts_exporter = {}
for line in open(f"{d}/metrics.txt"):
    m = re.fullmatch(r'rcuwatch_detector_episodes_total\{detector="(\w+)"(?:,(\w+)="([^"]*)")?\} (\d+)\n', line)
    if m and int(m.group(4)):
        subject = ("cpu " + m.group(3)) if m.group(2) == "cpu" else (m.group(3) or "")
        counts_exporter[(m.group(1), subject)] = int(m.group(4))
expect("episode counts, exporter = replay", counts_exporter, counts_replay)

# top -b: in each frame, a FIRING line for exactly the detectors firing then.
frames = open(f"{d}/top.txt").read().split("\nrcuwatch top - ")
expect("top frames", len(frames), len(snaps))
top_firing = [sorted(re.findall(r"^FIRING (\w+): ", f, re.M)) for f in frames]
replay_firing = [sorted({x["detector"] for x in s["detectors"]["firing"]}) for s in snaps]
expect("firing detectors per frame, top = replay", top_firing, replay_firing)

fired = sorted({dt["detector"] for dt in report["detectors"] if dt["episodes_total"]})
expect("verdict names", sorted(report["verdict"]["fired"]), fired)
expect("report exit status", rc, 3 if fired else 0)
print(f"{name}: fired {fired or 'nothing'}")
sys.exit(1 if fails else 0)
PY
done
if [ "$fail" != 0 ]; then echo FAILED; exit 1; fi
echo passed
