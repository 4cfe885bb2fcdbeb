"""The measurements. Each takes a target (direct, or a proxy) and returns
numbers; bench/run repeats and tabulates them."""

import glob
import os
import re
import socket
import struct
import subprocess
import time

from . import DBNAME, IDLE_PORT, PG_PORT, RUN_DIR
from .stats import percentile

PGBENCH_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PG")}


class Target:
    """Where the clients connect: HOST:PORT, through PROXY (None: direct)."""

    def __init__(self, name, host, proxy=None, port=PG_PORT):
        self.name, self.host, self.proxy, self.port = name, host, proxy, port

    def cpu(self):
        return self.proxy.cpu_seconds() if self.proxy else 0.0


def pgbench(target, args, seconds, timeout_extra=60, cpus=None):
    """pgbench against TARGET; CPUS: a taskset list to pin pgbench to."""
    cmd = ["pgbench", "-n", "-h", target.host, "-p", str(target.port), "-U", "postgres",
           "-T", str(seconds), *args, DBNAME]
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    cpu0 = target.cpu()
    p = subprocess.run(cmd, capture_output=True, text=True, env=PGBENCH_ENV,
                       timeout=seconds + timeout_extra)
    cpu = target.cpu() - cpu0
    out = p.stdout + p.stderr
    tps = re.search(r"^tps = ([\d.]+)", out, re.M)
    tx = re.search(r"number of transactions actually processed: (\d+)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if p.returncode != 0 or not tps or not tx:
        raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode, out[-2000:]))
    return {"tps": float(tps.group(1)), "tx": int(tx.group(1)),
            "failed": int(failed.group(1)) if failed else 0, "cpu_s": cpu,
            "cpu_per_1000": cpu / (int(tx.group(1)) / 1000.0) if int(tx.group(1)) else None,
            "command": " ".join(cmd)}


def select_only(target, seconds):
    return pgbench(target, ["-S", "-c", "16", "-j", "2"], seconds)


def tpcb(target, seconds):
    return pgbench(target, ["-c", "8", "-j", "2"], seconds)


def connect_per_tx(target, seconds):
    return pgbench(target, ["-S", "-C", "-c", "8", "-j", "2"], seconds)


def copy_bytes(pg):
    """The size of COPY bench_bulk TO STDOUT, computed (text format: the
    id, a tab, the payload, a newline; md5 hex needs no escaping)."""
    return int(pg.psql("SELECT sum(length(id::text) + length(payload) + 2) FROM bench_bulk"))


def copy_out(target, nbytes):
    cmd = ["psql", "-X", "-q", "-h", target.host, "-p", str(target.port), "-U", "postgres",
           "-d", DBNAME, "-c", "COPY bench_bulk TO STDOUT"]
    cpu0 = target.cpu()
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null:
        p = subprocess.run(cmd, stdout=null, stderr=subprocess.PIPE, env=PGBENCH_ENV,
                           timeout=600)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
    cpu = target.cpu() - cpu0
    return {"mb_s": nbytes / 1e6 / elapsed, "seconds": elapsed, "bytes": nbytes,
            "cpu_s": cpu, "cpu_per_gb": cpu / (nbytes / 1e9), "command": " ".join(cmd)}


RESULT_SCRIPT = os.path.join(RUN_DIR, "result.sql")
RESULT_ROW_BYTES = 1011     # a DataRow of one 1000-byte text column, on the wire


def result_rows(mb):
    """Rows of the large-result query whose answer is about MB megabytes."""
    return mb * 1000 * 1000 // RESULT_ROW_BYTES


def large_result(target, seconds, mb):
    """One client, query after query, each answered with about MB megabytes
    (rows of 1000 bytes): a report or an export, a one-way stream that ends
    and then the next query."""
    n = result_rows(mb)
    with open(RESULT_SCRIPT, "w") as f:
        f.write("SELECT repeat('x', 1000) FROM generate_series(1, %d);\n" % n)
    r = pgbench(target, ["-M", "simple", "-f", RESULT_SCRIPT, "-c", "1", "-j", "1"], seconds)
    gb = r["tx"] * n * RESULT_ROW_BYTES / 1e9
    r.update(mb=mb, cpu_per_gb=r["cpu_s"] / gb if gb else None)
    return r


def latency(target, seconds):
    """One client, SELECT-only, every transaction's latency from pgbench's log."""
    prefix = os.path.join(RUN_DIR, "latency-%s" % target.name)
    for old in glob.glob(prefix + ".*"):
        os.unlink(old)
    r = pgbench(target, ["-S", "-c", "1", "-j", "1", "--log", "--log-prefix=" + prefix],
                seconds)
    lat = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    lat.append(int(fields[2]))        # microseconds
    lat.sort()
    r.update(p50_us=percentile(lat, 50), p99_us=percentile(lat, 99), samples=len(lat),
             lat=lat)
    return r


SELECT1_SCRIPT = os.path.join(RUN_DIR, "select1.sql")


def select1(target, seconds, clients, cpus=None, connect=False):
    """CLIENTS clients of one simple-protocol `SELECT 1;` each, back to back
    (a custom script: pgbench asks the stub nothing about pgbench tables);
    CONNECT: a new connection for every transaction (pgbench -C)."""
    with open(SELECT1_SCRIPT, "w") as f:
        f.write("SELECT 1;\n")
    r = pgbench(target, ["-M", "simple", "-f", SELECT1_SCRIPT, "-c", str(clients), "-j", "1"]
                + (["-C"] if connect else []), seconds, cpus=cpus)
    r["clients"] = clients
    return r


def startup_packet():
    body = struct.pack("!I", 196608) + b"user\0postgres\0database\0bench\0\0"
    return struct.pack("!I", len(body) + 4) + body


def idle_connections(proxy, server, n, log):
    """N connections through PROXY to the plain TCP SERVER, each having sent
    a StartupMessage and then silent; the proxy's RSS before and after."""
    packet = startup_packet()

    def probe():
        before = server.count
        with socket.create_connection((proxy.host, IDLE_PORT), timeout=2) as s:
            s.sendall(packet)
            deadline = time.monotonic() + 1.0
            while server.count == before and time.monotonic() < deadline:
                time.sleep(0.02)
            ok = server.count > before
        server.drop_all()
        return ok

    proxy.wait_routing(IDLE_PORT, probe)
    time.sleep(1.0)
    server.drop_all()
    rss0 = proxy.rss_bytes()
    conns = []
    t0 = time.monotonic()
    try:
        for _ in range(n):
            s = socket.create_connection((proxy.host, IDLE_PORT), timeout=10)
            s.sendall(packet)
            conns.append(s)
        deadline = time.monotonic() + 120
        while server.count < n:
            if time.monotonic() > deadline:
                raise RuntimeError("%s: only %d of %d idle sessions reached the server"
                                   % (proxy.kind, server.count, n))
            time.sleep(0.1)
        opened = time.monotonic() - t0
        time.sleep(2.0)
        rss1 = proxy.rss_bytes()
        log("  %s: %d sessions held (opened in %.1fs), RSS %.1f -> %.1f MiB, %d threads"
            % (proxy.kind, n, opened, rss0 / 2**20, rss1 / 2**20, proxy.threads()))
    finally:
        for s in conns:
            s.close()
        server.drop_all()
    return {"n": n, "rss_before": rss0, "rss_after": rss1,
            "bytes_per_conn": (rss1 - rss0) / n, "threads": proxy.threads()}
