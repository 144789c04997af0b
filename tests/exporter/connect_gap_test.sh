#!/usr/bin/env bash
# `rcuwatch stat --connect` that falls behind: the exporter replays a
# recording of 500 one-second ticks at 25x (a tick every 40 ms) and keeps
# its last 120 for viewers; the viewer is stopped (SIGSTOP) for 12 s, while
# about 300 ticks go by (150 at half the pace: still more than are kept),
# then continued. The ticks the exporter let go in
# the meantime are lost to the viewer, and that must not be silent: it
# warns, and from the first interval after the gap its JSON counts them in
# losses.ticks_missed. Every tick of the recording is then either an
# interval the viewer printed or one it counted as missed, none both.
# The recording is written here (docs/recording-format.md, format 1), a
# pending entry per tick whose bytes are the tick's number, so each printed
# interval names its tick. The Losses detector must fire at the gap.
# Usage: connect_gap_test.sh RCUWATCH. Exit 77 (skipped) without curl or
# python3. Loopback only; every wait is bounded.
set -u
rw=$(realpath "$1")
source "$(dirname "$0")/lib.sh" curl python3 pgrep
ticks=500

python3 - "$tmp/long.rwrec" "$ticks" <<'EOF'
import json, struct, sys, zlib
path, n = sys.argv[1], int(sys.argv[2])
RW_STAT_NR = 4  # format 1, ABI 1
def record(rtype, payload):
    head = struct.pack("<II", rtype, len(payload))
    return head + payload + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head)))
meta = json.dumps({"kernel_release": "gap-test", "nr_cpus": 2,
                   "names": {"0x1000": "gap_instance"}}).encode()
head = b"RCUWATCH" + struct.pack("<III", 1, 1, len(meta)) + meta
out = [head + struct.pack("<I", zlib.crc32(head))]
for i in range(1, n + 1):
    t = i * 10**9
    entry = struct.pack("<QQIIqqQ", 0x1000, 8, 0, 0, 1, i, t - 1)  # bytes: the tick's number
    inst = struct.pack("<Q", 0x1000) + struct.pack("<QQQ", 0, 3, 1) + struct.pack("<10Q", *([0] * 10))
    parts = [struct.pack("<Q", t), struct.pack(f"<{RW_STAT_NR}Q", *([0] * RW_STAT_NR)),
             struct.pack("<I", 0), struct.pack("<I", 1), entry, struct.pack("<I", 1), inst,
             struct.pack("<I", 0)]
    out.append(record(1, b"".join(parts)))
open(path, "wb").write(b"".join(out))
EOF
[ -s "$tmp/long.rwrec" ] || { bad "could not write the recording"; exit 1; }

port=$(free_port)
url=http://127.0.0.1:$port
"$rw" exporter --replay "$tmp/long.rwrec" --speed 25 --listen "127.0.0.1:$port" 2>"$tmp/exporter.err" &
pids+=("$!")
wait_http "$url/healthz" 10 || { bad "exporter not healthy within 10 s"; exit 1; }

# Created here: the background job's own redirection may come after the
# first look at it.
: >"$tmp/remote.json"
timeout 120 "$rw" stat --connect "$url" --json >>"$tmp/remote.json" 2>"$tmp/remote.err" &
vpid=$!; pids+=("$vpid")
printed() { wc -l <"$tmp/remote.json"; }
deadline=$((SECONDS + 20))
while [ "$(printed)" -lt 5 ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
[ "$(printed)" -ge 5 ] || { bad "the viewer printed $(printed) intervals in 20 s, not 5"; exit 1; }
viewer=$(pgrep -P "$vpid" | head -n 1)  # rcuwatch itself, not timeout
[ -n "$viewer" ] || { bad "no viewer process under timeout"; exit 1; }
kill -STOP "$viewer"
sleep 12
kill -CONT "$viewer"
wait "$vpid"; rc=$?
expect "the viewer ends with the recording" "$rc" 0

warned=$(sed -n 's/.* \([0-9][0-9]*\) intervals were gone from the exporter.*/\1/p' "$tmp/remote.err" |
  awk '{s += $1} END {print s + 0}')
[ "$warned" -gt 0 ] && ok "the viewer warned of $warned intervals gone" ||
  bad "no gap reported on stderr: $(tail -n 3 "$tmp/remote.err")"

# Per printed interval: its tick (the pending bytes) and ticks_missed so far.
python3 - "$tmp/remote.json" "$ticks" "$warned" >"$tmp/check.out" <<'EOF'
import json, sys
path, n, warned = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows, flagged = [], []
for line in open(path):
    s = json.loads(line)
    rows.append((s["totals"]["pending_bytes"], s["losses"]["ticks_missed"]))
    # The Losses detector fires, naming the missed intervals.
    flagged.append(any(f["detector"] == "losses" and "intervals not fetched" in json.dumps(f)
                       for f in s["detectors"]["firing"]))
seen = [t for t, _ in rows]
problems = []
if seen != sorted(set(seen)):
    problems.append("an interval printed twice or out of order")
# The count never drops, and grows exactly where ticks were skipped.
missed_before, last = 0, None
for i, (t, missed) in enumerate(rows):
    expected_gap = 0 if last is None else t - last - 1
    if last is not None and missed - missed_before != expected_gap:
        problems.append(f"tick {t}: ticks_missed grew by {missed - missed_before}, "
                        f"{expected_gap} ticks were skipped")
    if expected_gap and not flagged[i]:
        problems.append(f"tick {t}: the losses detector did not fire for the gap")
    missed_before, last = missed, t
final = rows[-1][1] if rows else 0
print(f"printed {len(rows)} intervals, ticks {seen[0] if seen else '-'}..{seen[-1] if seen else '-'}, "
      f"ticks_missed {final}, warned {warned}")
# Ticks before the viewer's first request are not its to miss: from its
# first interval on, each tick is printed or counted.
if rows and len(rows) + final != n - seen[0] + 1:
    problems.append(f"{len(rows)} printed + {final} missed != {n - seen[0] + 1} ticks from its first")
if final != warned:
    problems.append(f"ticks_missed {final} != {warned} warned of")
if final == 0:
    problems.append("no interval counted as missed")
for p in problems:
    print("PROBLEM", p)
EOF
checked=$?
grep -v '^PROBLEM' "$tmp/check.out" | sed 's/^/     /'
if [ "$checked" -ne 0 ]; then
  bad "the viewer's JSON could not be checked (no losses.ticks_missed?)"
elif grep -q '^PROBLEM' "$tmp/check.out"; then
  while read -r _ p; do bad "$p"; done < <(grep '^PROBLEM' "$tmp/check.out")
else
  ok "every tick from the first is printed once or counted as missed, the count where the gap is"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
