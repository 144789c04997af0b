#!/usr/bin/env python3
"""Crafted recordings through every command that reads one (issue 12, 1-3, 9).

Each file has valid checksums and hostile contents: a CPU number of
0xFFFFFFFF, 100000 nested arrays in the header, nr_cpus of 4e9, counts and
lengths at the top of their range, extreme int64 values. Every command
(replay, replay --json, stat --replay, report, report --json, top -b) must end
with one error line naming the byte offset and exit 1 (or, for the valid
extremes, exit 0; report 3, a detector fired) -- never a signal, never more than MEM_LIMIT of memory,
never longer than TIMEOUT. The layout is docs/recording-format.md, written
here independently of userspace/recording.cpp.

usage: crafted_recordings_test.py RCUWATCH
  RCUWATCH_SANITIZED=1: RCUWATCH is an ASan build (it reserves terabytes of
  shadow memory: no address-space limit; 4x the resident and time limits)
"""
import json
import os
import resource
import signal
import struct
import sys
import tempfile
import time
import zlib

RW = sys.argv[1]
TIMEOUT = 60
MEM_LIMIT = 1 << 30  # address space: the old code asked for 4 GB and more
# Resident memory for any command on any of these (a 9.6 MB file of 200000
# pending entries took 530 MB in `replay --json` when it built one JSON document).
RSS_LIMIT_KB = 256 * 1024
RW_STAT_NR = 4


def header(meta, version=1, abi=1):
    text = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    head = b"RCUWATCH" + struct.pack("<III", version, abi, len(text)) + text
    return head + struct.pack("<I", zlib.crc32(head))


def record(rtype, payload):
    head = struct.pack("<II", rtype, len(payload))
    return head + payload + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head)))


def pending(instance, seq, cpu, where, objects, nbytes, first_ns):
    return struct.pack("<QQIIqqQ", instance, seq, cpu, where, objects, nbytes, first_ns)


def instance(addr, srcu=0, process=3, totals=(0,) * 10):
    return struct.pack("<Q", addr) + struct.pack("<QQQ", srcu, process, 1) + struct.pack("<10Q", *totals)


def gp_stats(key, completed=1, last_end_ns=1, hist=(0,) * 32, vals=None):
    v = vals or (completed, completed, 0, last_end_ns, 0, 8, 1000, 1000)
    return struct.pack("<Q", key) + struct.pack("<8Q", *v) + struct.pack("<32Q", *hist)


def tick(time_ns, entries=(), instances=(), gps=(), events=b"", n_events=0, stats=(0,) * RW_STAT_NR,
         n_pending=None):
    parts = [struct.pack("<Q", time_ns), struct.pack(f"<{RW_STAT_NR}Q", *stats),
             struct.pack("<I", n_events), events,
             struct.pack("<I", len(entries) if n_pending is None else n_pending), *entries,
             struct.pack("<I", len(instances)), *instances, struct.pack("<I", len(gps)), *gps]
    return record(1, b"".join(parts))


META = {"kernel_release": "crafted", "nr_cpus": 2, "names": {"0x1000": "crafted_instance"}}
A = 0x1000
I64_MAX, I64_MIN, U64_MAX = 2**63 - 1, -2**63, 2**64 - 1
TICK_PAYLOAD = 8 + 8 * RW_STAT_NR  # offset of the event count in a TICK payload


def crafted():
    """name -> (bytes, expected exit, expected stderr text)"""
    h = header(META)
    first = len(h)  # the first record
    cases = {}
    cases["cpu 0xFFFFFFFF"] = (
        h + tick(10**9, [pending(A, 8, 0xFFFFFFFF, 0, 1, 64, 5)], [instance(A)]), 1,
        f"corrupt record at byte offset {first + 8 + TICK_PAYLOAD + 8 + 16}: pending entry on CPU 4294967295")
    cases["cpu 100000000"] = (
        h + tick(10**9, [pending(A, 8, 100_000_000, 0, 1, 64, 5)], [instance(A)]), 1,
        "beyond the recording's 2 CPUs")
    n = 100_000
    deep = b'{"kernel_release":"x","nr_cpus":2,"names":' + b"[" * n + b"]" * n + b"}"
    cases["names nested 100000 deep"] = (header(deep), 1, "nested deeper than 8 levels")
    for cpus in ("4000000000", "0", "-1", "1e12"):
        cases[f"nr_cpus {cpus}"] = (
            header(b'{"kernel_release":"x","nr_cpus":' + cpus.encode() + b"}") +
            tick(10**9, [pending(A, 8, 0, 0, 1, 64, 5)]), 1, "byte offset 20: header metadata: \"nr_cpus\"")
    cases["4e9 events"] = (h + tick(10**9, n_events=0xFFFFFFFF), 1,
                           f"byte offset {first + 8 + TICK_PAYLOAD}: 4294967295 lifecycle events, more than the limit")
    cases["4e9 pending entries"] = (h + tick(10**9, n_pending=0xFFFFFFFF), 1, "pending entries, more than the limit")
    cases["header length 4 GB"] = (b"RCUWATCH" + struct.pack("<III", 1, 1, 0xFFFFFFFF) + b"{}", 1,
                                   "byte offset 16: header length 4294967295 beyond the limit")
    names = struct.pack("<I", 0xFFFFFFFF)
    cases["4e9 names"] = (h + record(2, names), 1, "names, more than the limit")
    long_name = struct.pack("<IQH", 1, 0x2000, 0xFFFF) + b"n" * 0xFFFF
    cases["64 KB name"] = (h + record(2, long_name), 1, "name of 65535 bytes, more than the limit")
    cases["not UTF-8 names"] = (
        header({"kernel_release": "x", "nr_cpus": 2}) + record(2, struct.pack("<IQH", 1, A, 4) + b"\xff\xfe\x80a") +
        tick(10**9, [pending(A, 8, 0, 0, 1, 64, 5)], [instance(A)]), 0, "")
    # Valid but extreme: every sum saturates (UBSan found signed overflow).
    extreme = h + tick(U64_MAX - 5, [pending(A, 8, 0, 0, I64_MAX, I64_MAX, 1), pending(A, 8, 1, 1, I64_MAX, I64_MAX, 1),
                                     pending(A, 9, 1, 0, I64_MAX, I64_MAX, U64_MAX),
                                     pending(A + 8, 9, 0, 3, I64_MIN, I64_MIN, 0)],
                       [instance(A, totals=(U64_MAX,) * 10), instance(A + 8, srcu=U64_MAX, totals=(U64_MAX,) * 10)],
                       [gp_stats(0, hist=(U64_MAX,) * 32, vals=(U64_MAX,) * 8),
                        gp_stats(U64_MAX, hist=(U64_MAX,) * 32, vals=(U64_MAX,) * 8)],
                       stats=(U64_MAX,) * RW_STAT_NR)
    extreme += tick(1, [pending(A, 8, 0, 0, I64_MIN, I64_MIN, U64_MAX)], [instance(A)], [gp_stats(0)])
    extreme += tick(U64_MAX, [pending(A, 8, 1, 0, I64_MAX, I64_MIN, 1)], [instance(A, totals=(U64_MAX,) * 10)])
    cases["extreme int64 values"] = (extreme, 0, "")
    many = [pending(A, seq, seq % 2, 0, 1, 64, 5) for seq in range(200_000)]
    cases["200000 pending entries"] = (h + tick(10**9, many, [instance(A)]), 0, "")
    return cases


COMMANDS = [["replay", "{f}"], ["replay", "--json", "{f}"], ["stat", "--replay", "{f}"],
            ["report", "{f}"], ["report", "--json", "{f}"], ["top", "-b", "--replay", "{f}"],
            ["replay", "--final", "--json", "{f}"]]


SANITIZED = os.environ.get("RCUWATCH_SANITIZED") == "1"
if SANITIZED:
    RSS_LIMIT_KB *= 4
    TIMEOUT *= 4


def limit_memory():
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


def run(args):
    """(exit status or -signal, stderr, peak RSS in KB); status None on a timeout."""
    with tempfile.TemporaryFile() as err, open(os.devnull, "r+b") as null:
        pid = os.fork()
        if pid == 0:
            try:
                limit_memory()
                os.dup2(null.fileno(), 0)
                os.dup2(null.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execv(args[0], args)
            finally:
                os._exit(127)
        deadline = time.monotonic() + TIMEOUT
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.wait4(pid, 0)
                return None, "", 0
            time.sleep(0.02)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), err.read().decode(errors="replace").strip(), usage.ru_maxrss


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, (data, want_rc, want_err)) in enumerate(crafted().items()):
            path = os.path.join(tmp, f"crafted-{i}.rwrec")
            with open(path, "wb") as f:
                f.write(data)
            for cmd in COMMANDS:
                args = [RW] + [a.format(f=path) for a in cmd]
                label = f"{name}: rcuwatch {' '.join(cmd[:-1])}"
                rc, err, rss_kb = run(args)
                if rc is None:
                    print(f"FAIL {label}: still running after {TIMEOUT} s")
                    failures += 1
                    continue
                lines = err.splitlines()
                problems = []
                if rc < 0 or rc >= 128:
                    problems.append(f"killed by signal ({rc})")
                # report exits 3 when a detector fired: the extremes are
                # stranded memory by any limit.
                ok_rc = {want_rc, 3} if want_rc == 0 and cmd[0] == "report" else {want_rc}
                if rc not in ok_rc:
                    problems.append(f"exit {rc}, want {' or '.join(map(str, sorted(ok_rc)))}")
                if rss_kb > RSS_LIMIT_KB:
                    problems.append(f"{rss_kb // 1024} MB resident, more than {RSS_LIMIT_KB // 1024} MB")
                if want_err and (len(lines) != 1 or want_err not in err):
                    problems.append(f"stderr is not the one line with {want_err!r}")
                if not want_err and err:
                    problems.append("stderr is not empty")
                if problems:
                    failures += 1
                    print(f"FAIL {label}: {'; '.join(problems)}\n     stderr: {err[:400]!r}")
                else:
                    print(f"ok   {label} (exit {rc}, {rss_kb // 1024} MB) {lines[0][:150] if lines else ''}")
    print(f"{'passed' if not failures else 'FAILED'}: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
