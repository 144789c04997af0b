#!/usr/bin/env python3
"""Host side of tests/vm/bcachefs_test.sh: rcuwatch watched a real bcachefs
being mounted, churned and unmounted. There is no ground-truth module here:
checks what must hold anyway, prints rcuwatch's figures beside bcachefs's
own key-cache counters, exits 1 on any failure.

usage: check_bcachefs.py OUT_DIR [--expect-mode MODE]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import Checks  # noqa: E402

out = sys.argv[1]
expect_mode = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--expect-mode" else None
check = Checks()
fails = check.fails


snaps = [json.loads(l) for l in open(f"{out}/stat.jsonl") if l.strip()]
results = dict(l.strip().split("=", 1) for l in open(f"{out}/results.txt") if "=" in l)
points = []  # (uptime, tag, {counter: value})
unmounted_at = None
for line in open(f"{out}/sysfs.txt"):
    f = line.split()
    if f[0] == "Q":
        points.append((float(f[1]), f[2], {k: int(v) for k, v in (x.split("=") for x in f[3:])}))
    elif f[0] == "U":
        unmounted_at = float(f[1])
check("rcuwatch sampled the run", len(snaps) >= 10, f"{len(snaps)} snapshots")
if len(snaps) < 10:
    sys.exit(1)
last = snaps[-1]
attach = last["attach"]
print(f"rcuwatch attached by {attach['mode']}: {len(attach['attached'])} hooks, missing {attach['missing']}")
check("rcuwatch chose a mode itself", attach["mode"] in ("tracepoint", "fentry", "kprobe"), attach["mode"])
if expect_mode:
    check(f"the mode is {expect_mode}", attach["mode"] == expect_mode, attach["mode"])


def fs_instances(s):
    return [i for i in s["instances"] if i["name"].startswith("bcachefs ")]


names = sorted(i["name"] for i in fs_instances(last))
print(f"instances: {names}")
check("the key cache's two instances, named after bcachefs, told apart",
      len(names) == 2 and names[0] != names[1] and names[0].endswith("key cache[0]")
      and names[1].endswith("key cache[1]"), str(names))
check("no instance rcuwatch could only name by address",
      not [i["name"] for i in last["instances"] if "0x" in i["name"]],
      str([i["name"] for i in last["instances"]]))


def total(s, key, part=None):
    return sum((i[key][part] if part else i[key]) for i in fs_instances(s))


def flows(s):
    return {k: (total(s, f"{k}_objects", "total"), total(s, f"{k}_bytes", "total"))
            for k in ("enqueued", "processed", "dequeued")}


def stable_after(t):
    """rcuwatch's reading of the state bcachefs's counters were read in, at
    uptime t: the snapshots just before and just after t, if they agree (the
    job was quiet from 3 s before t to 1.5 s after, but the filesystem's own
    background work can still enqueue and process a few objects right at t;
    such a point is not quiescent)."""
    at = lambda s: s["time_ns"] / 1e9
    before = [s for s in snaps if t - 1.5 <= at(s) <= t]
    after = [s for s in snaps if t < at(s) <= t + 1.5]
    if not before or not after:
        return None
    a, b = before[-1], after[0]
    if flows(a) == flows(b) and total(a, "pending_objects") == total(b, "pending_objects"):
        return b
    return None


slab = int(results.get("slab_size") or 0)
print(f"struct bkey_cached: object {results.get('object_size')} B, slab stride {slab} B (what ksize() returns)")
print(f"\n{'point':10} {'rcuwatch: enqueued':>20} {'processed':>18} {'dequeued':>16} {'pending':>12}"
      f"   bcachefs: pending  freed  keys")
quiescent = 0
for t, tag, sysfs in points:
    s = stable_after(t)
    if s is None:
        print(f"{tag:10} no quiescent reading after {t:.1f}s")
        continue
    quiescent += 1
    fl = flows(s)
    pend_o, pend_b = total(s, "pending_objects"), total(s, "pending_bytes")
    pre_o, pre_b = total(s, "preexisting_objects"), total(s, "preexisting_bytes")
    print(f"{tag:10} {fl['enqueued'][0]:>8}/{fl['enqueued'][1]:>10} {fl['processed'][0]:>7}/{fl['processed'][1]:>9}"
          f" {fl['dequeued'][0]:>6}/{fl['dequeued'][1]:>8} {pend_o:>4}/{pend_b:>6}"
          f"   {sysfs['pending']:>17} {sysfs['freed']:>6} {sysfs['keys']:>5}")
    for unit, i in (("objects", 0), ("bytes", 1)):
        lhs = fl["enqueued"][i] + (pre_o, pre_b)[i]
        rhs = fl["processed"][i] + fl["dequeued"][i] + (pend_o, pend_b)[i]
        check(f"{tag}: enqueued + preexisting = processed + dequeued + pending ({unit})", lhs == rhs,
              f"{lhs} vs {rhs}")
    # btree_key_cache.c: nr_pending goes up after every rcu_pending_enqueue()
    # and down in __bkey_cached_free() (processed), never on a dequeue.
    check(f"{tag}: bcachefs 'pending' = enqueued - processed", sysfs["pending"] == fl["enqueued"][0] - fl["processed"][0],
          f"bcachefs {sysfs['pending']}, rcuwatch {fl['enqueued'][0] - fl['processed'][0]}")
    if slab:
        for k in ("enqueued", "processed", "dequeued"):
            check(f"{tag}: {k} bytes = {slab} x objects", fl[k][1] == slab * fl[k][0],
                  f"{fl[k][1]} vs {slab} x {fl[k][0]}")
check("quiescent points found", quiescent >= len(points) - 1 and quiescent >= 3, f"{quiescent} of {len(points)}")
check("the churn went through rcu_pending", flows(last)["enqueued"][0] > 0 and flows(last)["dequeued"][0] > 0,
      str(flows(last)))

after = [s for s in snaps if unmounted_at and s["time_ns"] / 1e9 > unmounted_at + 0.5]
check("sampled after the unmount", bool(after), f"unmounted at {unmounted_at}")
if after:
    check("nothing pending after the unmount", total(after[-1], "pending_objects") == 0
          and total(after[-1], "pending_bytes") == 0,
          f"{total(after[-1], 'pending_objects')} objects, {total(after[-1], 'pending_bytes')} bytes")

gps = [g for g in last["grace_periods"] if g["flavor"] == "srcu"]
print(f"grace periods: {[(g['name'], g['completed']['total']) for g in last['grace_periods']]}")
check("the filesystem's SRCU grace periods seen", any(g["completed"]["total"] > 0 for g in gps)
      and all("btree_trans_barrier" in g["name"] for g in gps), str([(g["name"], g["completed"]["total"]) for g in gps]))
# Counted one by one: no more than 1000 a second over the run (the patched
# kernel's tracepoint counts ~3 a second under this load), and never falling.
span_s = max(1e-9, (last["time_ns"] - snaps[0]["time_ns"]) / 1e9)
series = [[g["completed"]["total"] for g in s["grace_periods"] if g["flavor"] == "srcu"] for s in snaps]
check("the SRCU grace periods counted plausibly (<= 1000/s, never falling)",
      all(g["completed"]["total"] <= 1000 * span_s for g in gps)
      and all(sum(a) <= sum(b) for a, b in zip(series, series[1:]) if len(a) == len(b)),
      f"{[(g['name'], g['completed']['total']) for g in gps]} over {span_s:.1f} s")
losses = last["losses"]
check("nothing lost", not any(losses.get(k, 0) for k in (
    "ringbuf_drops", "untracked_objects", "process_mismatch", "pending_map_full", "unsized_objects",
    "nested_enqueues")), str(losses))
print(f"(objects placed at enqueue's return: {losses.get('late_placements', 0)})")
print(f"\n{len(fails)} failures" if fails else "\nall checks passed")
sys.exit(1 if fails else 0)
