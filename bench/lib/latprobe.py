#!/usr/bin/python3
"""One client's latency through each proxy in front of soak/pgstub instead of
PostgreSQL: what the proxy itself adds, without a backend's own tail. For
looking into the latency row of make bench; not part of it.

  flock /tmp/pgfront-bench.lock /usr/bin/python3 bench/lib/latprobe.py \\
      [--rounds 20] [--seconds 2] [--nbthread 2] [--strace]

Starts the primary's Patroni stand-in, pgstub on 127.0.0.51:6432, pgfront
(bench's scaling configuration, without a threads key unless --threads N)
and HAProxy on :6101; runs ROUNDS rounds, each one slice of `SELECT 1;`
(pgbench -M simple, one client, --log) per target, the order rotating; then
prints p50/p90/p99/p99.9 of the pooled slices with the bootstrap 95 % CI
(as make bench does), what each proxy adds, pgfront minus HAProxy, and per
slice the proxy's run time, run-queue wait and wakeups per transaction from
/proc/PID/task/*/schedstat. --strace: `strace -c -f` on the proxy during
each slice (the syscalls per transaction; it slows the proxy down a lot)."""

import argparse
import glob
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import PG_HOST, REPO, REST_PORT, RUN_DIR, proxies, rows, stats  # noqa: E402
from lib.stubs import PatroniStub  # noqa: E402

PORT = 6101


def schedstat(pid):
    """(ns running, ns waiting on a run queue, timeslices) over all threads."""
    tot = [0, 0, 0]
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                for i, v in enumerate(f.read().split()[:3]):
                    tot[i] += int(v)
        except OSError:
            pass
    return tot


def one_slice(t, seconds, script, strace_out):
    prefix = os.path.join(RUN_DIR, "latprobe-%s" % t.name)
    for old in glob.glob(prefix + ".*"):
        os.unlink(old)
    side = None
    if t.proxy and strace_out:
        side = subprocess.Popen(["strace", "-c", "-f", "-p", str(t.proxy.pid), "-o", strace_out])
        time.sleep(0.3)
    s0 = schedstat(t.proxy.pid) if t.proxy else None
    r = rows.pgbench(t, ["-M", "simple", "-f", script, "-c", "1", "-j", "1", "--log",
                         "--log-prefix=" + prefix], seconds)
    s1 = schedstat(t.proxy.pid) if t.proxy else None
    if side:
        side.send_signal(2)
        side.wait()
    lat = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            lat += [int(x.split()[2]) for x in f if len(x.split()) >= 3]
    lat.sort()
    line = "%-8s %6d tx  p50 %4d  p99 %5d us" % (t.name, r["tx"], stats.percentile(lat, 50),
                                                 stats.percentile(lat, 99))
    if s0:
        n = r["tx"]
        line += ("   proxy per tx: run %.1f us, run-queue wait %.1f us, %.2f wakeups"
                 % ((s1[0] - s0[0]) / 1e3 / n, (s1[1] - s0[1]) / 1e3 / n, (s1[2] - s0[2]) / n))
    print(line, flush=True)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--nbthread", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="write threads = N for pgfront")
    ap.add_argument("--strace", action="store_true")
    a = ap.parse_args()
    os.makedirs(RUN_DIR, exist_ok=True)
    script = os.path.join(RUN_DIR, "select1.sql")
    with open(script, "w") as f:
        f.write("SELECT 1;\n")
    stub = PatroniStub(PG_HOST, REST_PORT, {"/primary"})
    pgs = subprocess.Popen([os.path.join(REPO, "bench", "soak", "pgstub"),
                            "%s:%d" % (PG_HOST, proxies.SCALE_STUB_PORT)])
    started = []
    try:
        pgf_text = proxies.scale_config("pgfront", a.threads or 1, with_threads_key=bool(a.threads))
        hap_text = proxies.scale_config("haproxy", a.nbthread)
        for kind, text, n in (("pgfront", pgf_text, a.threads or 1),
                              ("haproxy", hap_text, a.nbthread)):
            text = text.replace(":%d" % proxies.scale_port(n), ":%d" % PORT)
            started.append(proxies.Proxy(kind, text, "latprobe").start())
        targets = [rows.Target("direct", PG_HOST, port=proxies.SCALE_STUB_PORT)] + [
            rows.Target(p.kind, p.host, p, port=PORT) for p in started]
        time.sleep(4)                   # pgfront: one check (rise 1) at inter 2 s
        rounds = []
        for i in range(a.rounds):
            order = targets[i % 3:] + targets[:i % 3]
            rounds.append({t.name: one_slice(t, a.seconds, script,
                                             "/tmp/latprobe-strace-%s-%d.txt" % (t.name, i)
                                             if a.strace else None) for t in order})
    finally:
        for p in started:
            p.stop()
        pgs.terminate()
        pgs.wait(10)
        stub.stop()
    ps = (50, 90, 99, 99.9)
    point, draws = stats.slice_bootstrap(rounds, ps, b=1000)
    fmt = lambda s: "—" if s is None else "%.0f [%.0f, %.0f]" % s[:3]  # noqa: E731
    for p in ps:
        print("p%-4s direct %s  pgfront %s  haproxy %s" % (p, *(
            fmt(stats.interval(point, draws, stats.value_of(t, p)))
            for t in ("direct", "pgfront", "haproxy"))))
        print("      added: pgfront %s  haproxy %s;  pgfront - haproxy %s" % (
            fmt(stats.interval(point, draws, stats.diff_of("pgfront", "direct", p))),
            fmt(stats.interval(point, draws, stats.diff_of("haproxy", "direct", p))),
            fmt(stats.interval(point, draws, stats.diff_of("pgfront", "haproxy", p)))))


if __name__ == "__main__":
    main()
