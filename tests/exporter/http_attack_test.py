#!/usr/bin/env python3
"""The exporter's HTTP server under attack, on loopback, bounded in time.

While hostile clients keep going, a scraper scrapes /metrics 10 times a
second (a fresh connection each time, 1 s timeout) and must get >= 99% of
its scrapes answered completely within 1 s; the exporter's RSS must stay
under a bound. Phases, each ATTACK_SECONDS long:

  slow      200 clients sending one header line every 2 s, reconnecting
            whenever they are cut off (the issue-12 attack: 8 of them held
            every worker of cpp-httplib's own server);
  flood     4 clients sending requests of millions of headers, and 4 of one
            header line of megabytes, as fast as loopback goes;
  overfill  700 clients that connect and send nothing, more than the
            exporter's connection cap (512), reconnecting when cut off;
  burst     200 scrapes started at once (the listen backlog);
  tls       200 clients starting a TLS handshake one byte every 2 s, against
            an exporter serving HTTPS (--web.config.file), scraped over TLS.

Also checked: a slow client is cut off by the total request deadline (5 s)
though it sends a byte every 2 s; a header flood gets 431 and the
connection closed; the exporter still answers everything after.

Usage: http_attack_test.py RCUWATCH DATA_DIR   (exit 77: skipped)
"""
import os
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

RW, DATA = sys.argv[1], sys.argv[2]
ATTACK_SECONDS = float(os.environ.get("ATTACK_SECONDS", "12"))
MIN_SUCCESS = 0.99
RSS_LIMIT_KB = 96 * 1024

fails = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        fails.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


TLS = None  # an ssl.SSLContext once the TLS phase begins


def scrape(port, timeout=1.0):
    """One GET /metrics on a new connection: (ok, seconds)."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, \
                (TLS.wrap_socket(raw, server_hostname="127.0.0.1") if TLS else raw) as s:
            s.settimeout(max(0.01, timeout - (time.monotonic() - start)))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    return False, time.monotonic() - start
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        ok = data.startswith(b"HTTP/1.1 200") and b"rcuwatch_scrapes_total" in data
        return ok, time.monotonic() - start
    except OSError:
        return False, time.monotonic() - start


class Scraper(threading.Thread):
    """Scrapes every 100 ms until stopped; keeps every result."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.results, self.stop = port, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            self.results.append(scrape(self.port))
            self.stop.wait(max(0, 0.1 - (time.monotonic() - t)))


class SlowClients(threading.Thread):
    """n connections, each sending a request head one line every `period`
    seconds (or nothing at all with period None), reconnecting when cut off.
    Records how long each connection lasted before the server closed it."""

    def __init__(self, port, n, period, first_line=b"GET /metrics HTTP/1.1\r\n", byte_at_a_time=False):
        super().__init__(daemon=True)
        self.port, self.n, self.period = port, n, period
        self.first, self.bytewise = first_line, byte_at_a_time
        self.stop = threading.Event()
        self.lifetimes, self.statuses, self.connects = [], [], 0

    def connect(self, sel):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        self.connects += 1
        sel.register(s, selectors.EVENT_READ, {"start": time.monotonic(), "next": time.monotonic(),
                                               "lines": 0, "got": b""})

    def run(self):
        sel = selectors.DefaultSelector()
        for _ in range(self.n):
            self.connect(sel)
        while not self.stop.is_set():
            now = time.monotonic()
            for key in list(sel.get_map().values()):
                st = key.data
                if self.period is not None and now >= st["next"]:
                    if self.bytewise:
                        line = self.first[st["lines"] % len(self.first):][:1]
                    else:
                        line = (self.first if st["lines"] == 0
                                else b"X-Slow-%d: still coming\r\n" % st["lines"])
                    try:
                        key.fileobj.send(line)
                        st["lines"] += 1
                    except OSError:
                        pass
                    st["next"] = now + self.period
            for key, _ in sel.select(timeout=0.05):
                s, st = key.fileobj, key.data
                try:
                    chunk = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    st["got"] += chunk
                    continue
                # Closed by the server: note how long it lasted and what it said.
                self.lifetimes.append(time.monotonic() - st["start"])
                self.statuses.append(st["got"][9:12].decode(errors="replace") or "closed")
                sel.unregister(s)
                s.close()
                self.connect(sel)
        for key in list(sel.get_map().values()):
            key.fileobj.close()


class Flood(threading.Thread):
    """Sends one request with endless headers (or one endless header line),
    as fast as it goes; reconnects when cut off. Counts the 431s."""

    def __init__(self, port, one_long_line):
        super().__init__(daemon=True)
        self.port, self.long = port, one_long_line
        self.stop, self.answers, self.sent = threading.Event(), [], 0

    def run(self):
        chunk = (b"A" * 65536) if self.long else (b"X-Flood: 1\r\n" * 5000)
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + (b"X-Long: " if self.long else b""))
                    try:
                        # Up to 3 million headers (about 36 MB), or until cut off.
                        for _ in range(600):
                            if self.stop.is_set():
                                break
                            s.sendall(chunk)
                            self.sent += len(chunk)
                    except OSError:
                        pass
                    try:
                        self.answers.append(s.recv(64)[9:12].decode(errors="replace") or "closed")
                    except OSError:
                        self.answers.append("reset")
            except OSError:
                time.sleep(0.01)


def run_phase(name, port, pid, attackers):
    scraper = Scraper(port)
    for a in attackers:
        a.start()
    time.sleep(0.5)  # the attack in place before the first scrape
    scraper.start()
    peak_rss, peak_threads = 0, 0
    end = time.monotonic() + ATTACK_SECONDS
    while time.monotonic() < end:
        peak_rss = max(peak_rss, rss_kb(pid))
        peak_threads = max(peak_threads, threads_of(pid))
        time.sleep(0.2)
    scraper.stop.set()
    scraper.join()
    for a in attackers:
        a.stop.set()
    for a in attackers:
        a.join(timeout=10)
    ok = [t for good, t in scraper.results if good]
    n = len(scraper.results)
    rate = len(ok) / n if n else 0
    times = sorted(t for _, t in scraper.results)
    p99 = times[int(0.99 * (len(times) - 1))] if times else 0
    check(f"{name}: scrapes answered within 1 s", rate >= MIN_SUCCESS and n >= 10 * ATTACK_SECONDS * 0.5,
          f"{len(ok)}/{n} ({rate:.1%}), p50 {times[len(times) // 2] * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms")
    check(f"{name}: exporter RSS below {RSS_LIMIT_KB // 1024} MiB", peak_rss < RSS_LIMIT_KB,
          f"peak {peak_rss / 1024:.1f} MiB, {peak_threads} threads")
    return rate, peak_rss


def main():
    port = free_port()
    err = tempfile.TemporaryFile()
    exporter = subprocess.Popen([RW, "exporter", "--replay", f"{DATA}/testrun.rwrec",
                                 "--listen", f"127.0.0.1:{port}"], stderr=err)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not scrape(port)[0]:
            time.sleep(0.1)
        check("exporter serves", scrape(port)[0])
        base_rss = rss_kb(exporter.pid)
        print(f"exporter RSS at start {base_rss / 1024:.1f} MiB, {threads_of(exporter.pid)} threads")

        slow = SlowClients(port, 200, 2.0)
        run_phase("200 slow clients", port, exporter.pid, [slow])
        # Cut off by the total deadline (5 s), not kept alive by their bytes.
        cut = sorted(slow.lifetimes)
        check("slow clients cut off by the 5 s request deadline",
              bool(cut) and cut[len(cut) // 2] < 6.5 and cut[-1] < 8,
              f"{len(cut)} cut off, median {cut[len(cut) // 2]:.1f} s, max {cut[-1]:.1f} s" if cut else "none")
        check("slow clients told 408", slow.statuses.count("408") >= len(slow.statuses) * 0.9,
              f"{slow.statuses.count('408')} of {len(slow.statuses)}")

        floods = [Flood(port, False) for _ in range(4)] + [Flood(port, True) for _ in range(4)]
        run_phase("header floods", port, exporter.pid, floods)
        answers = [a for f in floods for a in f.answers]
        sent = sum(f.sent for f in floods)
        check("header floods get 431 (or are cut off)",
              bool(answers) and all(a in ("431", "closed", "reset") for a in answers)
              and answers.count("431") >= 1,
              f"{len(answers)} requests, {answers.count('431')} answered 431, "
              f"{sent / 1e6:.0f} MB sent")

        idle = SlowClients(port, 700, None)
        run_phase("700 idle connections (cap 512)", port, exporter.pid, [idle])
        check("idle connections beyond the cap are closed", len(idle.lifetimes) > 0,
              f"{len(idle.lifetimes)} closed, {idle.connects} made")

        # Concurrent scrapes: none waits in a full listen backlog.
        results = [None] * 200
        def one(i):
            results[i] = scrape(port, timeout=2.0)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times = sorted(t for _, t in results)
        good = sum(1 for ok, t in results if ok and t < 1.0)
        check("200 concurrent scrapes answered within 1 s", good == 200,
              f"{good}/200, max {times[-1] * 1000:.0f} ms")

        time.sleep(0.5)
        check("still serving after it all", scrape(port)[0])
        final_rss = rss_kb(exporter.pid)
        check(f"exporter RSS after the attacks below {RSS_LIMIT_KB // 1024} MiB",
              final_rss < RSS_LIMIT_KB, f"{final_rss / 1024:.1f} MiB")
    finally:
        stop(exporter, err)
    tls_phase()


def stop(exporter, err):
    exporter.terminate()
    try:
        rc = exporter.wait(timeout=10)
    except subprocess.TimeoutExpired:
        exporter.kill()
        rc = exporter.wait()
    check("exporter exits 0 on SIGTERM", rc == 0, f"exit {rc}")
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    check("exporter stderr empty", stderr == "", stderr.strip()[:500])


def tls_phase():
    """Slow TLS handshakes against an exporter serving HTTPS."""
    global TLS
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", f"{d}/key.pem", "-out", f"{d}/cert.pem", "-subj", "/CN=rcuwatch-test",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        with open(f"{d}/web.yml", "w") as f:
            f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n")
        port = free_port()
        err = tempfile.TemporaryFile()
        exporter = subprocess.Popen([RW, "exporter", "--replay", f"{DATA}/testrun.rwrec",
                                     "--listen", f"127.0.0.1:{port}", "--web.config.file",
                                     f"{d}/web.yml"], stderr=err)
        try:
            TLS = ssl.create_default_context(cafile=f"{d}/cert.pem")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not scrape(port)[0]:
                time.sleep(0.1)
            check("exporter serves HTTPS", scrape(port)[0])
            # A TLS record header (handshake, TLS 1.0, 512 bytes), a byte every 2 s.
            slow = SlowClients(port, 200, 2.0, first_line=bytes([0x16, 3, 1, 2, 0]), byte_at_a_time=True)
            run_phase("200 slow TLS handshakes", port, exporter.pid, [slow])
            cut = sorted(slow.lifetimes)
            check("slow handshakes cut off by the 5 s deadline",
                  bool(cut) and cut[-1] < 8, f"{len(cut)} cut off, max {cut[-1]:.1f} s" if cut else "none")
        finally:
            stop(exporter, err)
            TLS = None
    print(f"{'passed' if not fails else 'FAILED'}: {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
