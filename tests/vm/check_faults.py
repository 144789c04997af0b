#!/usr/bin/env python3
"""Host side of tests/vm/vm_faults_test.sh: checks what rcuwatch did under
each live fault of tests/vm/faults_job.sh (ring buffer overflow, disk full
while recording, the workload module unloaded) against the module's ground
truth and the recordings replayed here. Exits 1 on any failed check.

usage: check_faults.py OUT_DIR RCUWATCH
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import Checks, compare_quiescent, parse_truth  # noqa: E402

out, rw = sys.argv[1], sys.argv[2]
check = Checks()
fails = check.fails


def lines(name):
    try:
        return [json.loads(l) for l in open(f"{out}/{name}") if l.strip()]
    except FileNotFoundError:
        return []


def text(name):
    try:
        return open(f"{out}/{name}").read().strip()
    except FileNotFoundError:
        return ""


def negatives(snap):
    """Every negative pending figure in a snapshot."""
    bad = []
    for key in ("pending_objects", "pending_bytes"):
        if snap["totals"][key] < 0:
            bad.append(f"totals.{key}")
    for i in snap["instances"]:
        bad += [f"{i['name']}.{k}" for k in ("pending_objects", "pending_bytes") if i[k] < 0]
    for c in snap["cpus"]:
        bad += [f"cpu{c['cpu']}.{k}" for k in ("pending_objects", "pending_bytes") if c[k] < 0]
    bad += [f"seq {q['instance']}/{q['seq']}" for q in snap["seqs"] if q["objects"] < 0 or q["bytes"] < 0]
    return bad


truth = {phase: rows for phase, _, rows in parse_truth(f"{out}/truth.txt")}

print("== ring buffer overflow: a burst into --ringbuf 4096, and the default size beside it")
small, default = lines("ringbuf_small.jsonl"), lines("ringbuf_default.jsonl")
check("both ran to the end", text("ringbuf_small.rc") == "0" and text("ringbuf_default.rc") == "0",
      f"exit {text('ringbuf_small.rc')} and {text('ringbuf_default.rc')}")
if small and default:
    ls, ld = small[-1]["losses"], default[-1]["losses"]
    check("4 KiB ring buffer: drops counted", ls["ringbuf_drops"] > 0,
          f"{ls['ringbuf_drops']} events dropped of {ls['events']} tracepoint hits")
    print("-- --ringbuf 4096 at quiescence, against the module")
    compare_quiescent(small[-1], truth["ringbuf_quiescent"], check, "4 KiB: ")
    check("4 KiB: nothing untracked or mismatched",
          ls["untracked_objects"] == 0 and ls["process_mismatch"] == 0, str(ls))
    print("-- default ring buffer at quiescence, against the module")
    compare_quiescent(default[-1], truth["ringbuf_quiescent"], check, "default: ", verbose=False)
    check("default ring buffer: no drops", ld["ringbuf_drops"] == 0, str(ld))

print("\n== disk full while recording (a 256 KiB tmpfs)")
print(text("full_df.txt"))
snaps = lines("full_stat.jsonl")
err = text("full_stat.err")
check("stat --record: exit 1 once stopped", text("full_stat.rc") == "1", f"exit {text('full_stat.rc')}")
check("stat --record: says the disk is full and the recording stopped",
      "No space left on device" in err and "recording stopped" in err, err[:300])
replay = subprocess.run([rw, "replay", "--json", f"{out}/full_stat.rwrec"], capture_output=True, text=True)
recorded = [l for l in replay.stdout.splitlines() if l.strip()]
check("its recording replays without an error (valid to its last complete record)",
      replay.returncode == 0 and len(recorded) > 0, f"exit {replay.returncode}, {len(recorded)} intervals {replay.stderr.strip()}")
check("its recording fits the disk", os.path.getsize(f"{out}/full_stat.rwrec") <= 256 * 1024,
      f"{os.path.getsize(f'{out}/full_stat.rwrec')} bytes")
check("the live view went on after the recording stopped", len(snaps) >= len(recorded) + 4,
      f"{len(snaps)} lines printed, {len(recorded)} recorded")
check("the recorded intervals are the ones printed",
      [s["totals"] for s in snaps[:len(recorded)]] == [json.loads(l)["totals"] for l in recorded], "")
err = text("full_record.err")
check("record -o: exit 1 with the error", text("full_record.rc") == "1" and "No space left on device" in err, err[:300])
replay = subprocess.run([rw, "replay", f"{out}/full_record.rwrec"], capture_output=True, text=True)
check("its recording replays without an error", replay.returncode == 0,
      f"exit {replay.returncode} {replay.stderr.strip()}")

print("\n== the workload module unloaded while watched")
snaps = lines("unload.jsonl")
times = {l.split()[2]: float(l.split()[1]) for l in open(f"{out}/unload_times.txt")}
check("rmmod", text("rmmod.rc") == "0", f"exit {text('rmmod.rc')}")
check("rcuwatch ran on", text("unload.rc") == "0" and len(snaps) > 100, f"exit {text('unload.rc')}, {len(snaps)} snapshots")
bad = [(round(s["time_ns"] / 1e9, 1), negatives(s)) for s in snaps if negatives(s)]
check("nothing negative, in any snapshot", not bad, str(bad[:3]))
if snaps:
    gone = times["unloaded"]
    rpl = lambda s: [i for i in s["instances"] if i["name"].startswith("rpl_")]  # noqa: E731
    after = [s for s in snaps if s["time_ns"] / 1e9 >= gone + 2]
    check("pending drained to 0 once unloaded",
          all(i["pending_bytes"] == 0 for s in after for i in rpl(s)) and all(s["totals"]["pending_bytes"] == 0 for s in after),
          f"{len(after)} snapshots after it")
    before = [s for s in snaps if s["time_ns"] / 1e9 < times["unload"]]
    check("its instances were watched before", before and len(rpl(before[-1])) == 6,
          str([i["name"] for i in rpl(before[-1])]) if before else "")
    kept = [s for s in snaps if gone + 5 <= s["time_ns"] / 1e9 <= gone + 50]
    check("their rows stay while they might only be idle (< 60 s)", kept and all(len(rpl(s)) == 6 for s in kept),
          f"{len(kept)} snapshots")
    last = snaps[-1]
    check("then they retire: no rpl_* row in the last snapshot", not rpl(last),
          f"{(last['time_ns'] / 1e9 - gone):.0f} s after the unload: {[i['name'] for i in last['instances']]}")
    check("and its SRCU flavor retires", not [g for g in last["grace_periods"] if g["name"].startswith("rpl_")],
          str([g["name"] for g in last["grace_periods"]]))
    check("lifetime counters stay in the totals (never decrease)",
          all(b["totals"]["enqueued_objects"]["total"] >= a["totals"]["enqueued_objects"]["total"]
              for a, b in zip(snaps, snaps[1:])), "")

print(f"\n{'passed' if not fails else 'FAILED'}: {len(fails)} failed checks")
sys.exit(1 if fails else 0)
