#!/usr/bin/env bash
# `rcuwatch replay` of the checked-in tests/data/testrun.rwrec must print the
# numbers derived by hand from the scenario that made it (see
# RecordedScenarioReplaysToTheSameNumbers in tests/bpf/bpf_prog_test.cpp):
#   interval 1: test_rcu_process  cpu0 seq100: 64+128+4096, cpu1 seq100: 32+32
#               test_srcu_kvfree  cpu1 seq8:   4 x 1000
#               -> 9 objects, 4288+64+4000 = 8352 bytes pending
#   interval 2: rcu gp 100 ends; seq100 processed (cpu0: 3 = 4288 B; cpu1: 1 = 32 B
#               after one 32 B object was dequeued); cpu0 seq104: 256
#               -> 5 objects, 256+4000 = 4256 bytes pending
#   interval 3: srcu gp 8 ends; its 4 objects processed -> 1 object, 256 bytes
#   totals: test_rcu_process enqueued 6 / 4608 B, processed 4 / 4320 B, dequeued 1 / 32 B
#           test_srcu_kvfree enqueued 4 / 4000 B, processed 4 / 4000 B
set -eu
rw=$1; data=$2
out=$(mktemp); trap 'rm -f "$out"' EXIT
"$rw" replay "$data/testrun.rwrec" --json >"$out"
python3 - "$out" <<'PY'
import json, sys
snaps = [json.loads(l) for l in open(sys.argv[1])]
fails = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: rcuwatch {got}, by hand {want}")
    if not ok: fails.append(what)
expect("intervals", len(snaps), 3)
for i, (objs, b) in enumerate([(9, 8352), (5, 4256), (1, 256)]):
    expect(f"interval {i+1} pending objects", snaps[i]["totals"]["pending_objects"], objs)
    expect(f"interval {i+1} pending bytes", snaps[i]["totals"]["pending_bytes"], b)
last = snaps[-1]
inst = {x["name"]: x for x in last["instances"]}
r, s = inst["test_rcu_process"], inst["test_srcu_kvfree"]
expect("rcu enqueued objects", r["enqueued_objects"]["total"], 6)
expect("rcu enqueued bytes", r["enqueued_bytes"]["total"], 4608)
expect("rcu processed objects", r["processed_objects"]["total"], 4)
expect("rcu processed bytes", r["processed_bytes"]["total"], 4320)
expect("rcu dequeued bytes", r["dequeued_bytes"]["total"], 32)
expect("rcu mode/flavor", (r["mode"], r["flavor"]), ("process", "rcu"))
expect("srcu processed bytes", s["processed_bytes"]["total"], 4000)
expect("srcu mode/flavor", (s["mode"], s["flavor"]), ("kvfree", "srcu"))
expect("srcu pending after its gp", s["pending_bytes"], 0)
gps = {g["name"]: g for g in last["grace_periods"]}
expect("rcu gp completed", gps["rcu"]["completed"]["total"], 1)
expect("rcu last gp_seq", gps["rcu"]["last_completed_gp_seq"], 100)
expect("srcu gp completed", gps["test_srcu"]["completed"]["total"], 1)
expect("srcu last gp_seq", gps["test_srcu"]["last_completed_gp_seq"], 8)
first_seqs = {(q["instance"], q["seq"]): q for q in snaps[0]["seqs"]}
expect("interval 1 seq100 cpus", first_seqs[("test_rcu_process", 100)]["cpus"], 2)
expect("interval 1 seq100 state", first_seqs[("test_rcu_process", 100)]["state"], "waiting-gp")
expect("drops", last["losses"]["ringbuf_drops"], 0)
print(f"{len(fails) and 'FAILED' or 'passed'}: {len(fails)} mismatches")
sys.exit(1 if fails else 0)
PY
