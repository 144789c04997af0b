"""The workload module's ground truth and the comparison every VM checker
makes with it (imported by check_e2e.py, check_faults.py, check_soak.py),
and the named checks every checker prints (Checks).

truth.txt blocks: "T <uptime_s> <phase>" then the module's debugfs `stats`
lines (instance=... cpu=N|total enq_objs=... pending_bytes=...).
"""


class Checks:
    """Named checks, printed as they are made; `fails` names the failed ones.
    quiet(what): passing checks not to print (a soak makes thousands)."""

    def __init__(self, quiet=lambda what: False):
        self.fails = []
        self.quiet = quiet

    def __call__(self, what, ok, detail=""):
        if not ok or not self.quiet(what):
            print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
        if not ok:
            self.fails.append(what)


def parse_truth(path):
    """[(phase, uptime_s, {instance: {cpu|'total': {field: value}}})]"""
    blocks = []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "T":
            blocks.append((f[2], float(f[1]), {}))
            continue
        kv = dict(x.split("=", 1) for x in f if "=" in x)
        row = {k: int(v) for k, v in kv.items() if k.endswith(("_objs", "_bytes"))}
        row.update({k: kv[k] for k in ("mode", "flavor", "addr") if k in kv})
        blocks[-1][2].setdefault(kv["instance"], {})[kv["cpu"]] = row
    return blocks


def inst(snap, name):
    for i in snap["instances"]:
        if i["name"] == name:
            return i
    return None


def compare_quiescent(snap, truth_rows, check, label="", verbose=True):
    """At quiescence rcuwatch equals the ground truth exactly, per instance:
    pending 0, enqueued, processed and dequeued objects and bytes."""
    if verbose:
        print(f"{'instance':20} {'':9} {'enqueued':>18} {'processed':>18} {'dequeued':>16} {'pending':>10}")
    for name, rows in sorted(truth_rows.items()):
        g = rows["total"]
        r = inst(snap, name)
        if r is None:
            check(f"{label}{name} seen by rcuwatch", g["enq_objs"] == 0, "absent from rcuwatch")
            continue
        if verbose:
            print(f"{name:20} {'truth':9} {g['enq_objs']:>7}/{g['enq_bytes']:>10} {g['proc_objs']:>7}/{g['proc_bytes']:>10}"
                  f" {g['deq_objs']:>5}/{g['deq_bytes']:>10} {g['pending_objs']:>3}/{g['pending_bytes']:>6}")
            print(f"{'':20} {'rcuwatch':9} {r['enqueued_objects']['total']:>7}/{r['enqueued_bytes']['total']:>10}"
                  f" {r['processed_objects']['total']:>7}/{r['processed_bytes']['total']:>10}"
                  f" {r['dequeued_objects']['total']:>5}/{r['dequeued_bytes']['total']:>10}"
                  f" {r['pending_objects']:>3}/{r['pending_bytes']:>6}")
        check(f"{label}{name} pending is 0", r["pending_objects"] == 0 and r["pending_bytes"] == 0,
              f"{r['pending_objects']} objects, {r['pending_bytes']} bytes")
        for ours, theirs in (("enqueued", "enq"), ("processed", "proc"), ("dequeued", "deq")):
            got = (r[f"{ours}_objects"]["total"], r[f"{ours}_bytes"]["total"])
            want = (g[f"{theirs}_objs"], g[f"{theirs}_bytes"])
            check(f"{label}{name} {ours} objects/bytes", got == want, f"rcuwatch {got}, truth {want}")
