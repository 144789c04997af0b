#!/usr/bin/env python3
"""Host side of tests/vm/vm_soak_test.sh: over the whole soak, rcuwatch's
resident memory stays flat after warm-up, its accounting equals the
workload module's ground truth exactly at every quiescent point, each
stranded-memory episode shows, nothing is negative, and the default ring
buffer drops nothing. Exits 1 on any failed check.

usage: check_soak.py OUT_DIR
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import Checks, compare_quiescent, parse_truth  # noqa: E402

out = sys.argv[1]
RSS_FLAT_KB = 4 * 1024  # "flat within a few MB after warm-up"
WARMUP_S = 60  # the first cycle
check = Checks(quiet=lambda what: what.startswith("quiescent"))
fails = check.fails


snaps = [json.loads(l) for l in open(f"{out}/soak.jsonl") if l.strip()]
truth = parse_truth(f"{out}/truth.txt")
marks = [(l.split()[2], float(l.split()[1])) for l in open(f"{out}/marks.txt")]
rss = [(float(t), int(kb)) for t, kb in (l.split() for l in open(f"{out}/rss.txt") if len(l.split()) == 2)]
rc = open(f"{out}/soak.rc").read().strip() if os.path.exists(f"{out}/soak.rc") else "none"
span = (snaps[-1]["time_ns"] - snaps[0]["time_ns"]) / 1e9 if snaps else 0
check("rcuwatch ran the whole soak", rc == "0" and span > 0, f"exit {rc}, {len(snaps)} snapshots over {span:.0f} s")

print(f"== accounting at {len(truth)} quiescent points")
exact = 0
for phase, t, rows in truth:
    after = [s for s in snaps if s["time_ns"] / 1e9 >= t]
    if not after:
        check(f"{phase}: a snapshot after it", False)
        continue
    before = len(fails)
    compare_quiescent(after[0], rows, check, f"{phase} ", verbose=False)
    exact += len(fails) == before
check("exact at every quiescent point", exact == len(truth) and exact > 0,
      f"{exact} of {len(truth)} points: every instance's enqueued, processed, dequeued objects and bytes, pending 0")

print("== stranded memory: one episode per cycle")
holds = [t for name, t in marks if name.startswith("hold")]
seen = 0
for t in holds:
    window = [s for s in snaps if t <= s["time_ns"] / 1e9 <= t + 8]
    oldest = max((s["totals"]["oldest_age_ns"] for s in window), default=0)
    seen += oldest >= 3e9
check("each SRCU hold shows as memory waiting >= 3 s", seen == len(holds) and seen > 0, f"{seen} of {len(holds)} holds")

print("== memory")
t0 = snaps[0]["time_ns"] / 1e9 if snaps else 0
warm = [kb for t, kb in rss if t >= t0 + WARMUP_S]
if len(warm) >= 2:
    check(f"resident memory flat after the first {WARMUP_S} s", max(warm) - min(warm) <= RSS_FLAT_KB,
          f"{len(warm)} samples, {min(warm)} to {max(warm)} KB (spread {max(warm) - min(warm)} KB, limit {RSS_FLAT_KB} KB); "
          f"all: {rss[0][1]} KB at start")
else:
    check("resident memory sampled after warm-up", False, f"{len(warm)} samples")

print("== losses and signs")
last = snaps[-1]["losses"] if snaps else {}
check("default ring buffer: no drops, nothing untracked or mismatched",
      last.get("ringbuf_drops") == 0 and last.get("untracked_objects") == 0 and last.get("process_mismatch") == 0, str(last))
neg = [round(s["time_ns"] / 1e9) for s in snaps
       if s["totals"]["pending_bytes"] < 0 or any(i["pending_bytes"] < 0 or i["pending_objects"] < 0 for i in s["instances"])]
check("nothing negative, in any snapshot", not neg, str(neg[:5]))
print(f"\n{'passed' if not fails else 'FAILED'}: {len(fails)} failed checks")
sys.exit(1 if fails else 0)
