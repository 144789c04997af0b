#!/usr/bin/env bash
# End-to-end test of `rcuwatch top` in a real terminal (tmux) on a recording:
#   1. batch mode (-b): every frame checked line by line against
#      `rcuwatch replay FILE --json`, interval by interval;
#   2. interactive: the header matches the last interval, each documented key
#      changes the view, resize redraws (and says when too small), NO_COLOR
#      drops colours, q / Ctrl-C / SIGTERM leave and restore the terminal.
# Usage: top_tmux_test.sh RCUWATCH RECORDING. Exit 77 (skipped) without tmux
# or the recording.
set -euo pipefail
rw=$(realpath "$1")
rec=${2:-}
if [[ -z $rec || ! -f $rec ]]; then echo "SKIPPED: no recording at '${rec}'"; exit 77; fi
if ! command -v tmux >/dev/null; then echo "SKIPPED: tmux not installed"; exit 77; fi
rec=$(realpath "$rec")

work=$(mktemp -d)
sock="rcuwatch-top-test-$$"
tmx() { tmux -L "$sock" "$@"; }
# The pane's shell may still be writing into $work just after kill-server
# returns: retry the removal, and never let cleanup decide the exit status.
cleanup() {
  tmx kill-server 2>/dev/null || true
  local i
  for i in 1 2 3 4 5; do rm -rf "$work" 2>/dev/null && return 0; sleep 0.2; done
  echo "note: could not remove $work" >&2
  return 0
}
trap cleanup EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

"$rw" replay "$rec" --json >"$work/replay.jsonl"

# --- 1. batch mode, line by line ---------------------------------------------
"$rw" top -b --replay "$rec" >"$work/batch.txt"
python3 - "$work/replay.jsonl" "$work/batch.txt" "$rec" <<'PY' || failures=$((failures + 1))
import json, re, sys
snaps = [json.loads(l) for l in open(sys.argv[1])]
text = open(sys.argv[2]).read()
rec = sys.argv[3]
fails = []

# Independent re-implementation of the view's units (tui/format.cpp).
def three(v):
    return f"{v:.2f}" if v < 9.995 else f"{v:.1f}" if v < 99.95 else f"{v:.0f}"
def mag(b):
    if b < 1024: return f"{b:.0f} B"
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]; u = 0
    while u + 1 < len(units) and b >= 1023.5: b /= 1024; u += 1
    return f"{three(b)} {units[u]}"
def nbytes(b): return ("-" if b < 0 else "") + mag(abs(b))
def rate(b):
    r = round(b)
    return "0 B/s" if r == 0 else ("-" if r < 0 else "+") + mag(abs(r)) + "/s"
def flow(b): return mag(max(round(b), 0)) + "/s"
def count(c):
    if abs(c) < 999.5: return f"{c:.0f}"
    c /= 1000; u = 0; units = "kMGT"
    while u + 1 < len(units) and c >= 999.5: c /= 1000; u += 1
    return f"{c:.1f}{units[u]}"
def dur(ns):
    if ns == 0: return "-"
    if ns < 10**6: return f"{ns // 1000}us"
    if ns < 10**9:
        ms = ns / 1e6
        return f"{ms:.1f}ms" if ms < 99.95 else f"{ms:.0f}ms"
    if ns < 60 * 10**9:
        s = ns / 1e9
        return f"{s:.2f}s" if s < 9.995 else f"{s:.1f}s"
    s = ns // 10**9
    return f"{s // 60}m{s % 60:02}s" if s < 3600 else f"{s // 3600}h{s // 60 % 60:02}m"

def seq_label(v):  # signed, as the kernel prints gp_seq
    return "expired" if v == 0 else str(v - 2**64 if v >= 2**63 else v)
def expect(what, got, want):
    if got != want:
        fails.append(what)
        print(f"FAIL batch {what}:\n       got  {got!r}\n       want {want!r}")

# Each frame starts with its title line; frames are separated by one blank line.
all_lines = text.split("\n")
starts = [i for i, x in enumerate(all_lines) if x.startswith("rcuwatch top - ")]
expect("output starts with a frame", starts[:1], [0])
expect("a blank line before each next frame", [all_lines[i - 1] for i in starts[1:]],
       [""] * (len(starts) - 1))
frames = ["\n".join(all_lines[a:b]).rstrip("\n") for a, b in zip(starts, starts[1:] + [len(all_lines)])]
expect("one frame per interval", len(frames), len(snaps))
for i, (frame, s) in enumerate(zip(frames, snaps)):
    lines = frame.split("\n")
    t = s["totals"]; l = s["losses"]
    pct = f"{min(s['progress'], 1) * 100:.0f}%"
    title = re.fullmatch(r"rcuwatch top - t\+(\d+\.\d)s  (.*)", lines[0])
    expect(f"frame {i} title", bool(title), True)
    if title:
        expect(f"frame {i} source", title.group(2),
               f"{s['source']} {pct}  {s['nr_cpus']} CPUs  interval {dur(s['interval_ns'])} recorded")
        t0 = snaps[0]["time_ns"]
        expect(f"frame {i} clock", title.group(1), f"{(s['time_ns'] - t0) / 1e9:.1f}")
    # One line per detector firing, below the title, in the detectors' order;
    # the value of its highest subject in it.
    order = ["stranded_bytes", "gp_too_long", "callback_flood", "processing_lag", "list_fallback", "losses"]
    firing = {}
    for st in s["detectors"]["firing"]:
        if st["detector"] not in firing or st["value"] > firing[st["detector"]]["value"]:
            firing[st["detector"]] = st
    for k, name in enumerate(sorted(firing, key=order.index)):
        st = firing[name]
        want = {"stranded_bytes": f"FIRING stranded_bytes: {nbytes(round(st['value']))} pending >= ",
                "gp_too_long": f"FIRING gp_too_long: grace period {st['subject']['name']} running for "
                               f"{dur(round(st['value']))} (limit "}.get(name, f"FIRING {name}: ")
        expect(f"frame {i} detector line {k}", lines[1 + k][:len(want)], want)
    lines = lines[:1] + lines[1 + len(firing):]
    expect(f"frame {i} pending", lines[1],
           f"Pending: {nbytes(t['pending_bytes'])} in {t['pending_objects']} objects, "
           f"{rate(t['pending_bytes_per_sec'])}, oldest {dur(t['oldest_age_ns'])}, "
           f"list fallbacks {t['list_fallbacks']} ({t['list_objects']} objects)")
    expect(f"frame {i} flow", lines[2],
           f"Objects/s: enqueued {count(t['enqueued_objects']['per_sec'])} "
           f"({flow(t['enqueued_bytes']['per_sec'])}), processed "
           f"{count(t['processed_objects']['per_sec'])} ({flow(t['processed_bytes']['per_sec'])}), "
           f"dequeued {count(t['dequeued_objects']['per_sec'])} ({flow(t['dequeued_bytes']['per_sec'])})")
    n = 3
    gps = s["grace_periods"]
    for g in gps[:3]:
        ended = "never" if g["since_last_end_ns"] == 0 else dur(g["since_last_end_ns"]) + " ago"
        want = (f"GP {g['name']}: {g['completed']['per_sec']:.1f}/s, last took "
                f"{dur(g['last_duration_ns'])}, last ended {ended}"
                + (", one in progress" if g["in_progress"] else ""))
        if g is gps[min(len(gps), 3) - 1] and len(gps) > 3:
            want += f"  (+{len(gps) - 3} more flavors)"
        expect(f"frame {i} GP {g['name']}", lines[n], want); n += 1
    if not gps:
        expect(f"frame {i} no GP", lines[n], "GP: none seen yet"); n += 1
    expect(f"frame {i} dropped", lines[n],
           f"Dropped: {l['ringbuf_drops']} events, {l['pending_map_full']} objects not per seq "
           f"(map full), {l['process_mismatch']} process mismatches, "
           f"{l['untracked_objects']} untracked objects")
    expect(f"frame {i} blank before table", lines[n + 1], "")
    seqs = s["seqs"]
    expect(f"frame {i} table title", lines[n + 2],
           (f"Seqs: rows 1-{len(seqs)} of {len(seqs)}" if seqs else "Seqs: no rows")
           + ", sorted by AGE desc")
    expect(f"frame {i} column header", lines[n + 3].split(),
           ["INSTANCE", "SEQ", "AGE", "OBJECTS", "PENDING", "CPUS", "STATE"])
    rows = lines[n + 4:]
    expect(f"frame {i} row count", len(rows), len(seqs))
    # Oldest first; rows of equal age may come in either order.
    want_rows = sorted((q["instance"], seq_label(q["seq"]),
                        dur(q["age_ns"]), str(q["objects"]), nbytes(q["bytes"]),
                        str(q["cpus"]), q["state"]) for q in seqs)
    got_rows = []
    for r in rows:
        m = re.fullmatch(r"(.{28}) +(\S+) +(\S+) +(\d+) +(-?[\d.]+ \S+) +(\d+) (\S+)", r)
        if m: got_rows.append((m.group(1).strip(),) + m.groups()[1:])
        else: expect(f"frame {i} row format", r, "<a seq row>")
    expect(f"frame {i} rows", sorted(got_rows), want_rows)
    ages = [q["age_ns"] for q in seqs]
    order = {(q["instance"], seq_label(q["seq"])): q["age_ns"] for q in seqs}
    got_ages = [order.get((g[0], g[1]), -1) for g in got_rows]
    expect(f"frame {i} oldest first", got_ages, sorted(got_ages, reverse=True))
print(f"{'ok  ' if not fails else 'FAIL'} batch: {len(frames)} frames checked line by line"
      + (f", {len(fails)} mismatches" if fails else ""))
sys.exit(1 if fails else 0)
PY

# -n stops after that many frames.
frames=$("$rw" top -b -n 2 --replay "$rec" | grep -c '^rcuwatch top - ' || true)
want=$(( $(wc -l <"$work/replay.jsonl") < 2 ? $(wc -l <"$work/replay.jsonl") : 2 ))
check "batch -n 2 prints $want frames (got $frames)" test "$frames" -eq "$want"

# --- 2. interactive, in tmux --------------------------------------------------
screen() { tmx capture-pane -p -t top; }
# wait_for REGEX [SECONDS]: until the screen shows REGEX.
# screen_until shows|hides REGEX SECONDS: waits until the screen shows (or
# stops showing) REGEX; prints the screen and fails after SECONDS. A key is
# answered after tmux delivers it, so checks poll rather than look once.
screen_until() {
  local deadline=$((SECONDS + $3))
  while { screen | grep -qE -- "$2"; [ $? = "$([ "$1" = shows ] && echo 1 || echo 0)" ]; }; do
    if ((SECONDS >= deadline)); then
      echo "---- screen ($1 /$2/ expected) ----"; screen; echo "----"
      return 1
    fi
    sleep 0.1
  done
}
wait_for() { screen_until shows "$1" "${2:-10}"; }
line() { screen | sed -n "$1p"; }
# escaped REGEX / not_escaped REGEX: the screen's escape codes (capture -e) match.
escaped() { tmx capture-pane -e -p -t top | grep -qE -- "$1"; }
not_escaped() { ! escaped "$1"; }
# gone REGEX SECONDS: the screen stops showing REGEX within SECONDS.
gone() { screen_until hides "$1" "$2"; }
# widest_line: the widest screen line in characters (the sparkline is UTF-8).
widest_line() { screen | python3 -c 'import sys; print(max((len(l.rstrip("\n")) for l in sys.stdin), default=0))'; }
keys() { tmx send-keys -t top "$@"; }

start_shell() {  # a clean shell whose prompt the test recognises
  tmx kill-server 2>/dev/null || true
  tmx new-session -d -s top -x 120 -y 40 \
    "env -i PATH=$PATH TERM=tmux-256color LANG=C.UTF-8 HOME=$work PS1='READY\$ ' bash --norc --noprofile"
  wait_for '^READY\$' 10
}
start_top() {  # start_top [ENV...]: run top on the recording, wait for its end
  keys "$* '$rw' top --replay '$rec'; echo exit=\$?" Enter
  wait_for 'END OF RECORDING' 20
}
restored() {  # the shell prompt is back, the alternate screen left, cursor shown, echo on
  wait_for "^exit=$1$" 10 && wait_for '^READY\$ ?$' 5 &&
    [[ $(tmx display -p -t top '#{alternate_on}') == 0 ]] &&
    [[ $(tmx display -p -t top '#{cursor_flag}') == 1 ]] &&
    keys "stty -a | tr ' ' '\n' | grep -xE 'echo|icanon' | tr '\n' ' '; echo" Enter &&
    wait_for '^(icanon echo|echo icanon) ?$' 5 && keys clear Enter && wait_for '^READY\$ ?$' 5
}

start_shell
start_top

last=$(tail -n 1 "$work/replay.jsonl")
# The last frame's pending line, checked against the JSON in part 1.
want_pending=$(awk '/^rcuwatch top - /{ title = NR } { line[NR] = $0 } END { print line[title + 1] }' \
  "$work/batch.txt")
check "header: pending line is the last interval's" test "$(line 2 | sed 's/ *$//')" == "$want_pending"
check "header: title shows the replay at 100%" bash -c "[[ '$(line 1)' == *'replay $rec 100%'* ]]"
want_drops=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['losses']['ringbuf_drops'])" "$last")
check "header: dropped events as recorded ($want_drops)" wait_for "^Dropped: $want_drops events" 1
check "history sparkline shown" wait_for '^History \(' 1
check "key line at the bottom" bash -c "[[ '$(line 40)' == 'q quit  h help'* ]]"
check "colour by default" escaped $'\e\\[([0-9]+;)*3[0-7](;[0-9]+)*m'

# Tables.
keys c; check "c: per-CPU table" wait_for '^CPUs: (rows|no rows)' 3
check "c: CPU columns" wait_for '^ +CPU +PENDING +OBJECTS +OLDEST +SEQS' 1
keys i; check "i: per-instance table" wait_for '^Instances: (rows|no rows)' 3
check "i: instance columns" wait_for '^NAME +FLAVOR +MODE +PENDING' 1
keys k; check "k: per-call-site table" wait_for '^Call sites: (rows|no rows)' 3
check "k: call-site columns" wait_for '^INSTANCE +SHARE +BYTES +B/s' 1
keys Tab; check "Tab: cycles back to CPUs" wait_for '^CPUs: ' 3
keys g; check "g: per-seq table" wait_for '^Seqs: ' 3

# Sorting.
check "default sort: AGE descending" wait_for 'sorted by AGE desc$' 1
keys '>'; check "> sorts by the next column" wait_for 'sorted by OBJECTS desc$' 3
keys r; check "r reverses" wait_for 'sorted by OBJECTS asc$' 3
keys '<'; check "< sorts by the previous column" wait_for 'sorted by AGE desc$' 3
keys s; check "s cycles the sort column" wait_for 'sorted by OBJECTS desc$' 3
keys '<'

# Filter.
name=$(python3 -c "import json,sys; s=json.loads(sys.argv[1])['seqs']; print(s[0]['instance'] if s else '')" "$last")
keys /; check "/ opens the filter prompt" wait_for '^Filter \(instance, cpu, seq' 3
keys zzzz-no-such-row; check "filter applies while typing" wait_for '^Seqs: no rows \(filter "zzzz-no-such-row"' 3
keys Escape; check "Esc cancels the filter" wait_for '^Seqs: (rows [0-9]+-[0-9]+ of [0-9]+|no rows), sorted' 3
if [[ -n $name ]]; then
  keys / "$name" Enter
  check "filter by instance name keeps its rows" wait_for "^Seqs: rows 1-[0-9]+ of [0-9]+ \(filter \"$name\"" 3
  check "Enter leaves the prompt" wait_for '^q quit  h help' 3
  keys Escape; check "Esc clears the filter" wait_for '^Seqs: rows [0-9-]+ of [0-9]+, sorted' 3
fi

# Pause, interval, help.
keys Space; check "space pauses" wait_for 'PAUSED' 3
keys Space; check "space resumes" gone PAUSED 3
keys +; check "+ changes the interval (replay says it keeps its own)" wait_for '^Interval 2s applies to live sampling' 3
keys -; check "- changes the interval back" wait_for '^Interval 1s applies' 3
keys d; check "d prompts for the interval" wait_for '^Interval in seconds' 3
keys 5 Enter; check "d: typed interval applied" wait_for '^Interval 5s applies' 3
keys h; check "h shows help" wait_for '^rcuwatch top - help' 3
keys x; check "any key leaves help" wait_for 'END OF RECORDING' 3
keys '?'; check "? shows help" wait_for '^rcuwatch top - help' 3
keys Escape; wait_for 'END OF RECORDING' 3

# Scrolling: a short window so the table is longer than a page.
tmx resize-window -t top -x 120 -y 15
# Scrolling, in the first table longer than a page (CPUs, instances or seqs).
scrolled=0
for t in "c CPUs" "i Instances" "g Seqs"; do
  read -r key T <<<"$t"
  keys "$key"
  wait_for "^$T: rows 1-[0-9]+ of [0-9]+" 3 >/dev/null || continue
  read -r page total < <(screen | grep "^$T: " | sed -E "s/^$T: rows 1-([0-9]+) of ([0-9]+).*/\1 \2/")
  ((total > page)) || continue
  keys Down; check "$T: Down scrolls one row" wait_for "^$T: rows 2-$((page + 1)) of $total" 3
  keys Up; check "$T: Up scrolls back" wait_for "^$T: rows 1-$page of $total" 3
  keys NPage; check "$T: PgDn scrolls a page" wait_for "^$T: rows $((page < total - page ? page + 1 : total - page + 1))-" 3
  keys PPage; check "$T: PgUp scrolls back" wait_for "^$T: rows 1-$page of $total" 3
  keys End; check "$T: End shows the last rows" wait_for "^$T: rows [0-9]+-$total of $total" 3
  keys Home; check "$T: Home shows the first rows" wait_for "^$T: rows 1-$page of $total" 3
  scrolled=1
  break
done
((scrolled)) || echo "note: every table fits in one page of this recording; scrolling not exercised"

# Resize.
tmx resize-window -t top -x 50 -y 12
check "too small a terminal says so" wait_for '^Terminal too small' 3
check "and gives the size" wait_for '^50x12, need 60x14' 1
tmx resize-window -t top -x 100 -y 30
check "resize back redraws the view" wait_for 'END OF RECORDING' 3
check "resize: key line on the new last line" bash -c "[[ '$(line 30)' == 'q quit  h help'* ]]"
width=$(widest_line)
check "resize: no line wider than 100 (widest $width)" test "$width" -le 100
tmx resize-window -t top -x 120 -y 40

# q quits and restores the terminal.
keys q
check "q quits with status 0 and restores the terminal" restored 0

# NO_COLOR: no colour escapes at all.
start_top NO_COLOR=1
wait_for 'END OF RECORDING' 20 >/dev/null  # drawn, before looking at its escapes
check "NO_COLOR: no colours" not_escaped $'\e\\[([0-9]+;)*3[0-7](;[0-9]+)*m'
check "NO_COLOR: still readable (reverse video bars)" escaped $'\e\\[([0-9]+;)*7(;[0-9]+)*m'

keys C-c
check "Ctrl-C leaves and restores the terminal" restored 0

# SIGTERM to the process restores the terminal too; so does a signal that
# kills it (SIGPIPE, a crash): the exit status still names the signal.
top_pid() { ps -o pid= --ppid "$(tmx display -p -t top '#{pane_pid}')" | head -n 1 | tr -d ' '; }
start_top
kill -TERM "$(top_pid)"
check "SIGTERM leaves and restores the terminal" restored 0
for sig in PIPE:141 SEGV:139 ABRT:134; do
  start_top
  kill -"${sig%%:*}" "$(top_pid)"
  check "killed by SIG${sig%%:*}: terminal restored, exit ${sig#*:}" restored "${sig#*:}"
done

echo "$([[ $failures == 0 ]] && echo passed || echo FAILED): $failures failures"
((failures == 0))
