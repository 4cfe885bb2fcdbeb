"""pgbench -S through pgfront, HAProxy and the experiments' proxies (and
direct), in paired rounds, against the PostgreSQL that make bench starts
on 127.0.0.51 (run make bench once first, or start it as bench/lib/pg.py
does). An experiment's proxy takes part when it is built (make in its
directory): sockmap/splice_proxy on 127.0.0.56, io_uring/uring_proxy on
127.0.0.58.

CPU is the whole machine's busy time per transaction (/proc/stat), with
the proxy process's own beside it: the spliced path's work runs in
softirq and kworkers, outside the proxy's process, so the process's
figure alone would flatter it.

  /usr/bin/python3 ab.py   (as root; see README.md)
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from lib import (HAPROXY_HOST, PG_HOST, PG_PORT, PGFRONT_HOST, REPLICA_HOSTS,  # noqa: E402
                 REST_PORT, proxies, results, rows, stats)
from lib.stubs import PatroniStub  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "9"))
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "3"))
# (name, directory, program, listening host)
EXPERIMENTS = (("sockmap", "sockmap", "splice_proxy", "127.0.0.56"),
               ("io_uring", "io_uring", "uring_proxy", "127.0.0.58"))


class ExperimentProxy:
    """An experiment's proxy in front of make bench's PostgreSQL."""

    def __init__(self, directory, program, host):
        self.proc = subprocess.Popen(["./" + program, host, str(PG_PORT), PG_HOST,
                                      str(PG_PORT)], cwd=os.path.join(HERE, directory))

    def cpu_seconds(self):
        return proxies.process_cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def busy_seconds():
    """Busy time of the whole machine (all CPUs, not idle or iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def select_only(target):
    """(TPS, machine CPU us per transaction, the proxy process's CPU us per
    transaction or None) of one pgbench -S run."""
    before = busy_seconds()
    r = rows.select_only(target, SECONDS)
    used = busy_seconds() - before
    return r["tps"], used / r["tx"] * 1e6, r["cpu_s"] / r["tx"] * 1e6 if target.proxy else None


def main():
    stubs = [PatroniStub(PG_HOST, REST_PORT, {"/primary"})] + \
        [PatroniStub(h, REST_PORT, {"/replica"}) for h in REPLICA_HOSTS]
    pgfront = proxies.Proxy("pgfront", proxies.pgfront_config(), "experiments").start()
    haproxy = proxies.Proxy("haproxy", proxies.haproxy_config(), "experiments").start()
    targets = [rows.Target("direct", PG_HOST), rows.Target("pgfront", PGFRONT_HOST, pgfront),
               rows.Target("haproxy", HAPROXY_HOST, haproxy)]
    for name, directory, program, host in EXPERIMENTS:
        if os.path.exists(os.path.join(HERE, directory, program)):
            targets.append(rows.Target(name, host, ExperimentProxy(directory, program, host)))
    runs = {t.name: [] for t in targets}
    try:
        time.sleep(8)        # pgfront starts its servers DOWN: rise checks
        for r in range(ROUNDS):
            for t in targets[r % len(targets):] + targets[:r % len(targets)]:
                runs[t.name].append(select_only(t))
            print("round %d: %s" % (r, ", ".join("%s %.0f tps %.0f us" % ((n,) + v[-1][:2])
                                                 for n, v in runs.items())), flush=True)
    finally:
        for t in targets:
            if t.proxy:
                t.proxy.stop()
        for s in stubs:
            s.stop()
    print("\nmedian (min-max) of %d rounds of %d s, pgbench -S -c 16 -j 2" % (ROUNDS, SECONDS))
    for name, v in runs.items():
        tps, cpu, own = (stats.spread([x[i] for x in v]) for i in range(3))
        print("  %-8s TPS %s  machine CPU per tx %s us" % (
            name, results.fmt_stat("{:.0f}", tps), results.fmt_stat("{:.0f}", cpu))
            + ("  the proxy process's %s us" % results.fmt_stat("{:.1f}", own) if own else ""))
    print("paired ratios, median [95 % CI of the median]")
    pairs = [(t.name, base) for t in targets[3:] for base in ("haproxy", "pgfront")]
    for num, den in pairs + [("pgfront", "haproxy")]:
        for i, what in ((0, "TPS"), (1, "machine CPU per tx")):
            ratios = stats.paired_ratios([x[i] for x in runs[num]], [x[i] for x in runs[den]])
            print("  %s / %s %s: %s" % (num, den, what,
                                       results.fmt_stat("{:.2f}", stats.median_ci(ratios))))


if __name__ == "__main__":
    main()
