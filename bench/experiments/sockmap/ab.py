"""pgbench -S through pgfront, HAProxy and splice_proxy (and direct), in
paired rounds, against the PostgreSQL that make bench starts on 127.0.0.51
(run make bench once first, or start it as bench/lib/pg.py does).

CPU is the whole machine's busy time per transaction (/proc/stat): the
spliced path's work runs in softirq and kworkers, not in the proxy's
process, so a per-process figure would flatter it.

  /usr/bin/python3 ab.py   (as root, from this directory, after make)
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from lib import HAPROXY_HOST, PG_HOST, PGFRONT_HOST, REPLICA_HOSTS, REST_PORT, proxies, stats  # noqa: E402
from lib.stubs import PatroniStub  # noqa: E402

SPLICE_HOST = "127.0.0.56"
ROUNDS = int(os.environ.get("ROUNDS", "9"))
SECONDS = os.environ.get("SECONDS_PER_RUN", "3")
PGBENCH_ARGS = os.environ.get("PGBENCH_ARGS", "-S -c 16 -j 2").split()
TARGETS = (("direct", PG_HOST), ("pgfront", PGFRONT_HOST), ("haproxy", HAPROXY_HOST),
           ("sockmap", SPLICE_HOST))


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pgbench(host, pid=None):
    """(TPS, machine CPU microseconds per transaction, the proxy process's
    CPU microseconds per transaction or None) of one run."""
    before = busy_seconds()
    proxy_before = process_cpu_seconds(pid) if pid else 0
    p = subprocess.run(["pgbench", "-n", "-h", host, "-p", "5432", "-U", "postgres",
                        *PGBENCH_ARGS, "-T", SECONDS, "bench"], capture_output=True, text=True)
    used = busy_seconds() - before
    proxy_used = process_cpu_seconds(pid) - proxy_before if pid else None
    done = re.search(r"number of transactions actually processed: (\d+)", p.stdout)
    tps = re.search(r"tps = ([\d.]+)", p.stdout)
    if not done or not tps or int(done.group(1)) == 0:
        raise RuntimeError("pgbench via %s: %s" % (host, p.stderr.strip()))
    n = int(done.group(1))
    return float(tps.group(1)), used / n * 1e6, proxy_used / n * 1e6 if pid else None


def fmt(s, f="%.2f"):
    if s is None:
        return "-"
    return (f + " [" + f + ", " + f + "]") % (s.mid, s.lo, s.hi)


def main():
    stubs = [PatroniStub(PG_HOST, REST_PORT, {"/primary"})] + \
        [PatroniStub(h, REST_PORT, {"/replica"}) for h in REPLICA_HOSTS]
    pgfront = proxies.Proxy("pgfront", proxies.pgfront_config(), "sockmap").start()
    haproxy = proxies.Proxy("haproxy", proxies.haproxy_config(), "sockmap").start()
    spliced = subprocess.Popen(["./splice_proxy", SPLICE_HOST, "5432", PG_HOST, "5432"],
                               cwd=HERE)
    pids = {"pgfront": pgfront.pid, "haproxy": haproxy.pid, "sockmap": spliced.pid}
    runs = {name: [] for name, _ in TARGETS}
    try:
        time.sleep(8)        # pgfront starts its servers DOWN: rise checks
        for r in range(ROUNDS):
            for name, host in TARGETS[r % 4:] + TARGETS[:r % 4]:
                runs[name].append(pgbench(host, pids.get(name)))
            print("round %d: %s" % (r, ", ".join("%s %.0f tps %.0f us" % ((n,) + v[-1][:2])
                                                 for n, v in runs.items())), flush=True)
    finally:
        spliced.terminate()
        pgfront.stop()
        haproxy.stop()
        for s in stubs:
            s.stop()
    print("\nmedian (min-max) of %d rounds of %s s, pgbench %s" % (ROUNDS, SECONDS,
                                                                 " ".join(PGBENCH_ARGS)))
    for name, v in runs.items():
        tps, cpu = stats.spread([x[0] for x in v]), stats.spread([x[1] for x in v])
        own = stats.spread([x[2] for x in v])
        print("  %-8s TPS %.0f (%.0f-%.0f)  machine CPU per tx %.0f us (%.0f-%.0f)"
              % (name, tps.mid, tps.lo, tps.hi, cpu.mid, cpu.lo, cpu.hi)
              + ("  the proxy process's %.1f us (%.1f-%.1f)" % (own.mid, own.lo, own.hi)
                 if own else ""))
    print("paired ratios, median [95 % CI of the median]")
    for num, den in (("sockmap", "haproxy"), ("sockmap", "pgfront"), ("pgfront", "haproxy")):
        for i, what in ((0, "TPS"), (1, "CPU per tx")):
            ratios = stats.paired_ratios([x[i] for x in runs[num]], [x[i] for x in runs[den]])
            print("  %s / %s %s: %s" % (num, den, what, fmt(stats.median_ci(ratios))))


if __name__ == "__main__":
    main()
