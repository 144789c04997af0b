#!/usr/bin/env bash
# `rcuwatch report` of the checked-in recordings against numbers derived by hand.
#
# testrun.rwrec (scenario in tests/cli/replay_test.sh): 3 samples 100 ms apart;
#   peak 8352 B / 9 objects at the first sample, test_rcu_process holding the
#   most then (4288 + 64 = 4352 B); final 256 B / 1 object;
#   test_rcu_process enqueued 6 / 4608 B, processed 4 / 4320 B, dequeued 1 / 32 B,
#   peak pending 4352 B; test_srcu_kvfree enqueued 4 / 4000 B, processed 4 / 4000 B,
#   peak 4000 B; one rcu and one test_srcu grace period; nothing older than
#   100 ms: no stranded episode at the default 1 s.
# demo.rwrec (VM, 40 samples 0.5 s apart, `rcuwatch replay --json` of it): an
#   SRCU reader is held; from the sample at +10.06 s to the one at +16.60 s the
#   oldest pending age is >= 1 s (1.35 s .. 7.89 s), all of it in the three
#   rpl_srcu_* instances, waiting-gp, while rpl_srcu's completed
#   count stays at 612; at +17.10 s everything has drained. Peak 22416672 B
#   (21.4 MiB) in 2153 objects at +16.60 s. -> exactly one episode, ~7.0 s.
#   Detectors at their defaults: stranded_bytes (>= 1 MiB pending >= 1 s, for
#   2 s) from +10.06 s (3.6 MiB) to +17.10 s, firing from the first sample 2 s
#   after its onset; gp_too_long on rpl_srcu (its grace period started at
#   about +8.7 s and ended between +16.60 and +17.10 s) from +10.06 s, its
#   first sample 1 s into it, to +17.10 s; nothing else (the list objects are
#   vmalloc()ed objects of the kvfree instances, on the list by design):
#   report exits 3. testrun: no detector, exit 0.
set -eu
rw=$1; data=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status() { # expected exit status, command...: runs it, fails on another status
  local want=$1 rc=0; shift
  "$@" || rc=$?
  [ "$rc" = "$want" ] || { echo "FAIL exit status $rc (want $want): $*" >&2; exit 1; }
  echo "ok   exit status $rc: ${*: -2}" >&2
}
status 0 "$rw" report "$data/testrun.rwrec" --json >"$tmp/testrun.json"
status 0 "$rw" report "$data/testrun.rwrec" >"$tmp/testrun.txt"
status 3 "$rw" report "$data/demo.rwrec" --json >"$tmp/demo.json"
status 3 "$rw" report "$data/demo.rwrec" >"$tmp/demo.txt"
"$rw" replay "$data/demo.rwrec" --json >"$tmp/demo-replay.jsonl"
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
fails = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: rcuwatch {got}, by hand {want}")
    if not ok: fails.append(what)
def expect_in(what, got, lo, hi):
    ok = lo <= got <= hi
    print(f"{'ok  ' if ok else 'FAIL'} {what}: rcuwatch {got}, want {lo}..{hi}")
    if not ok: fails.append(what)

r = json.load(open(f"{d}/testrun.json"))
expect("testrun samples", r["source"]["samples"], 3)
expect("testrun cpus", r["source"]["nr_cpus"], 2)
expect("testrun peak", (r["peak"]["bytes"], r["peak"]["objects"], r["peak"]["at_ns"]), (8352, 9, 0))
expect("testrun peak instance", (r["peak"]["top_instance"], r["peak"]["top_instance_bytes"]),
       ("test_rcu_process", 4352))
expect("testrun final", (r["final"]["bytes"], r["final"]["objects"]), (256, 1))
inst = {i["name"]: i for i in r["instances"]}
t = inst["test_rcu_process"]
expect("rcu instance flavor/mode/gp", (t["flavor"], t["mode"], t["grace_period"]), ("rcu", "process", "rcu"))
expect("rcu enqueued", (t["enqueued_objects"], t["enqueued_bytes"]), (6, 4608))
expect("rcu processed", (t["processed_objects"], t["processed_bytes"]), (4, 4320))
expect("rcu dequeued", (t["dequeued_objects"], t["dequeued_bytes"]), (1, 32))
expect("rcu peak/final pending", (t["peak_pending_bytes"], t["final_pending_bytes"]), (4352, 256))
s = inst["test_srcu_kvfree"]
expect("srcu instance flavor/mode/gp", (s["flavor"], s["mode"], s["grace_period"]), ("srcu", "kvfree", "test_srcu"))
expect("srcu enqueued", (s["enqueued_objects"], s["enqueued_bytes"]), (4, 4000))
expect("srcu processed", (s["processed_objects"], s["processed_bytes"]), (4, 4000))
expect("srcu peak/final pending", (s["peak_pending_bytes"], s["final_pending_bytes"]), (4000, 0))
gps = {g["name"]: g for g in r["grace_periods"]}
expect("gp completed", (gps["rcu"]["completed"], gps["test_srcu"]["completed"]), (1, 1))
expect("testrun episodes", r["episodes_total"], 0)
expect("testrun losses", r["losses"]["any"], False)
expect("testrun verdict", (r["verdict"]["detector_fired"], r["verdict"]["fired"]), (False, []))
expect("testrun detectors listed", [d["detector"] for d in r["detectors"]],
       ["stranded_bytes", "gp_too_long", "callback_flood", "processing_lag", "list_fallback", "losses"])

r = json.load(open(f"{d}/demo.json"))
expect("demo samples", r["source"]["samples"], 40)
expect("demo kernel", r["source"]["kernel_release"], "6.12.117")
expect("demo peak bytes", r["peak"]["bytes"], 22416672)
expect("demo peak objects", r["peak"]["objects"], 2153)
expect("demo final", (r["final"]["bytes"], r["final"]["objects"]), (0, 0))
expect("demo episodes", r["episodes_total"], 1)
if r["episodes"]:
    e = r["episodes"][0]
    expect_in("episode duration s", e["duration_ns"] / 1e9, 6, 10)
    expect_in("episode peak MiB", e["peak_bytes"] / 2**20, 20.0001, 1e9)
    expect("episode state", e["state"], "waiting-gp")
    expect("episode ongoing", e["ongoing"], False)
    expect("episode instances", sorted(i["name"] for i in e["instances"]),
           ["rpl_srcu_call_rcu", "rpl_srcu_kvfree", "rpl_srcu_process"])
    expect("episode instance flavors", {i["flavor"] for i in e["instances"]}, {"srcu"})
    expect("episode instance states", {i["state"] for i in e["instances"]}, {"waiting-gp"})
    expect("episode grace periods", [(g["name"], g["flavor"], g["completed"]) for g in e["grace_periods"]],
           [("rpl_srcu", "srcu", 0)])
    # Start and end against the samples of `rcuwatch replay`: the first with
    # the oldest age >= 1 s, and the first after it below 1 s.
    snaps = [json.loads(l) for l in open(f"{d}/demo-replay.jsonl")]
    t0 = snaps[0]["time_ns"]
    old = [s["totals"]["oldest_age_ns"] >= 1e9 for s in snaps]
    first = old.index(True)
    after = old.index(False, first)
    expect("episode start", e["start_ns"], snaps[first]["time_ns"] - t0)
    expect("episode end", e["end_ns"], snaps[after]["time_ns"] - t0)
    expect("episode max age", e["max_age_ns"], max(s["totals"]["oldest_age_ns"] for s in snaps))
expect("demo verdict", (r["verdict"]["detector_fired"], r["verdict"]["fired"]),
       (True, ["stranded_bytes", "gp_too_long"]))
det = {d["detector"]: d for d in r["detectors"]}
for name in ["callback_flood", "processing_lag", "list_fallback", "losses"]:
    expect(f"demo {name} episodes", det[name]["episodes_total"], 0)
snaps = [json.loads(l) for l in open(f"{d}/demo-replay.jsonl")]
rel = [s["time_ns"] - snaps[0]["time_ns"] for s in snaps]
def stranded(s):  # bytes of seqs pending >= 1 s
    return sum(q["bytes"] for q in s["seqs"] if q["age_ns"] >= 1e9)
expect("demo stranded_bytes episodes", det["stranded_bytes"]["episodes_total"], 1)
if det["stranded_bytes"]["episodes"]:
    e = det["stranded_bytes"]["episodes"][0]
    over = [stranded(s) >= 2**20 for s in snaps]
    onset = over.index(True)
    expect("stranded onset", e["onset_ns"], rel[onset])
    expect("stranded end", e["end_ns"], rel[over.index(False, onset)])
    expect("stranded firing: first sample >= 2 s after onset", e["firing_ns"],
           next(t for t in rel if t - rel[onset] >= 2e9))
    expect("stranded peak", e["peak"], max(stranded(s) for s in snaps))
    expect("stranded subject", e["subject"]["kind"], "machine")
    expect("stranded instances", e["instances"], ["rpl_srcu_call_rcu", "rpl_srcu_kvfree", "rpl_srcu_process"])
    expect("stranded grace periods", e["grace_periods"], ["rpl_srcu"])
    expect("stranded at peak", sorted(c["where"]["name"] for c in e["at_peak"]),
           ["rpl_srcu_call_rcu", "rpl_srcu_kvfree", "rpl_srcu_process"])
expect("demo gp_too_long episodes", det["gp_too_long"]["episodes_total"], 1)
if det["gp_too_long"]["episodes"]:
    e = det["gp_too_long"]["episodes"][0]
    expect("gp subject", (e["subject"]["kind"], e["subject"]["name"]), ("grace_period", "rpl_srcu"))
    expect_in("gp peak s (the reader held ~8 s)", e["peak"] / 1e9, 7.5, 8.5)
    running = [any(g["name"] == "rpl_srcu" and g["in_progress_ns"] >= 1e9 for g in s["grace_periods"])
               for s in snaps]
    onset = running.index(True)
    expect("gp onset", e["onset_ns"], rel[onset])
    expect("gp end", e["end_ns"], rel[running.index(False, onset)])
    expect_in("gp onset s, by hand", e["onset_ns"] / 1e9, 10.0, 10.1)
    expect_in("gp end s, by hand", e["end_ns"] / 1e9, 17.0, 17.2)
    expect("gp waiting instances", e["instances"], ["rpl_srcu_call_rcu", "rpl_srcu_kvfree", "rpl_srcu_process"])
srcu = {g["name"]: g for g in r["grace_periods"]}["rpl_srcu"]
expect_in("rpl_srcu longest gap s", srcu["longest_gap_ns"] / 1e9, 7.5, 8.5)
expect("rpl_srcu gp durations bucketed", srcu["duration_bucketed"], True)
txt = open(f"{d}/demo.txt").read()
for want in ["Stranded episodes (oldest pending >= 1.00s): 1", "none completed during the episode",
             "waiting-gp", "rpl_srcu_kvfree", "kernel 6.12.117",
             "Verdict:  2 detectors fired: stranded_bytes (1 episode), gp_too_long (1 episode on rpl_srcu)",
             "  callback_flood  >= 10.0k objects/s queued on a CPU: none"]:
    expect(f"text has {want!r}", want in txt, True)
expect("text has no warning", "WARNING" in txt, False)
expect("testrun text verdict", "Verdict:  no detector fired" in open(f"{d}/testrun.txt").read(), True)
print(f"{len(fails) and 'FAILED' or 'passed'}: {len(fails)} mismatches")
sys.exit(1 if fails else 0)
PY

# Bad input: one error line naming the byte offset, exit 1 (as replay).
check() { # name, expected stderr substring, file
  local rc=0
  "$rw" report "$3" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = 1 ] && grep -qF -- "$2" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ]; then
    echo "ok   $1 (exit 1): $(cat "$tmp/err")"
  else
    echo "FAIL $1: exit $rc, stderr:"; cat "$tmp/err"; exit 1
  fi
}
printf 'definitely not a recording' >"$tmp/garbage.rwrec"
check "garbage recording" "byte offset 0: bad magic" "$tmp/garbage.rwrec"
size=$(stat -c %s "$data/testrun.rwrec")
head -c $((size - 7)) "$data/testrun.rwrec" >"$tmp/trunc.rwrec"
check "truncated recording" "truncated at byte offset $((size - 7))" "$tmp/trunc.rwrec"
grep -q "WARNING: input ended early" "$tmp/out" || { echo "FAIL truncated: no partial report"; exit 1; }
cp "$data/testrun.rwrec" "$tmp/corrupt.rwrec"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x5a; open(p,"wb").write(b)' "$tmp/corrupt.rwrec"
check "corrupt recording" "corrupt record at byte offset" "$tmp/corrupt.rwrec"
rc=0; "$rw" report >/dev/null 2>"$tmp/err" || rc=$?
if [ "$rc" != 64 ]; then echo "FAIL no FILE: exit $rc"; exit 1; fi
echo "ok   no FILE nor --live (exit 64): $(cat "$tmp/err")"
echo passed
