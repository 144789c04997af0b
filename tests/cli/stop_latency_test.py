#!/usr/bin/env python3
"""A stop never waits out replay pacing (issue 12, defect 6).

At --speed 0.02 the recording's 100 ms intervals become 5 s sleeps. SIGINT to
`replay`, `stat --replay` and `report`, SIGTERM to `exporter --replay`, and
`q`, SIGTERM and SIGINT (Ctrl-C) in `top --replay` (in tmux) must end the
process within LIMIT seconds, with exit 0 and, for top, the terminal
restored. While top waits for its next paced snapshot, keys are answered (the
help screen opens).

usage: stop_latency_test.py RCUWATCH RECORDING
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

RW, REC = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
LIMIT = 1.0  # seconds from the stop to the process's exit
SETTLE = 1.5  # seconds of running first: well inside the first paced sleep

failures = 0


def report(ok, what):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    failures += 0 if ok else 1


def stop_process(args, signo, what):
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(SETTLE)
    if p.poll() is not None:
        report(False, f"{what}: ended by itself before the signal (exit {p.returncode}): {p.stderr.read()!r}")
        return
    start = time.monotonic()
    p.send_signal(signo)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    took = time.monotonic() - start
    report(took < LIMIT and p.returncode == 0,
           f"{what}: exit {p.returncode} {took:.3f} s after {signal.Signals(signo).name} (limit {LIMIT} s)")


def tmux_checks(work):
    sock = ""

    def tmx(*args, check=True):
        return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, check=check).stdout

    def screen():
        return tmx("capture-pane", "-p", "-t", "t")

    def wait_for(text, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in screen():
                return True
            time.sleep(0.02)
        return False

    try:
        for n, how in enumerate(("q", "SIGTERM", "C-c")):
            tmx("kill-server", check=False)
            sock = f"rcuwatch-stop-test-{os.getpid()}-{n}"
            tmx("new-session", "-d", "-s", "t", "-x", "120", "-y", "40",
                f"env -i PATH={os.environ['PATH']} TERM=tmux-256color HOME={work} PS1='READY$ ' "
                "bash --norc --noprofile")
            if not wait_for("READY$", 10):
                report(False, "tmux shell did not start")
                return
            tmx("send-keys", "-t", "t", f"'{RW}' top --replay '{REC}' --speed 0.02; echo exit=$?", "Enter")
            if not wait_for("rcuwatch top - ", 10):
                report(False, f"top ({how}): no frame within 10 s:\n{screen()}")
                continue
            time.sleep(SETTLE)
            if how == "q":  # keys are answered during the paced wait
                start = time.monotonic()
                tmx("send-keys", "-t", "t", "h")
                shown = wait_for("rcuwatch top - help", 5)
                took = time.monotonic() - start
                report(shown and took < LIMIT, f"top: the help key answered {took:.3f} s into a paced wait")
                tmx("send-keys", "-t", "t", "x")
                time.sleep(0.3)
            start = time.monotonic()
            if how == "SIGTERM":
                shell = tmx("display", "-p", "-t", "t", "#{pane_pid}").strip()
                pid = subprocess.run(["ps", "-o", "pid=", "--ppid", shell], capture_output=True,
                                     text=True).stdout.split()[0]
                os.kill(int(pid), signal.SIGTERM)
            else:
                tmx("send-keys", "-t", "t", how)
            ended = wait_for("exit=0", 10)
            took = time.monotonic() - start
            alt = tmx("display", "-p", "-t", "t", "#{alternate_on}").strip()
            report(ended and took < LIMIT and alt == "0",
                   f"top: {how} ends it in {took:.3f} s (limit {LIMIT} s), exit 0: {ended}, "
                   f"alternate screen left: {alt == '0'}")
    finally:
        if sock:
            tmx("kill-server", check=False)


def main():
    stop_process([RW, "replay", REC, "--speed", "0.02"], signal.SIGINT, "replay --speed 0.02")
    stop_process([RW, "stat", "--replay", REC, "--speed", "0.02"], signal.SIGINT, "stat --replay --speed 0.02")
    stop_process([RW, "report", REC, "--speed", "0.02"], signal.SIGINT, "report --speed 0.02")
    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop_process([RW, "exporter", "--replay", REC, "--speed", "0.02", "--listen", f"127.0.0.1:{port}"],
                 signal.SIGTERM, "exporter --replay --speed 0.02")
    if shutil.which("tmux"):
        with tempfile.TemporaryDirectory() as work:
            tmux_checks(work)
    else:
        print("SKIPPED top checks: tmux not installed")
    print(f"{'passed' if not failures else 'FAILED'}: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
