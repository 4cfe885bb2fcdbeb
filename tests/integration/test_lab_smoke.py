"""scripts/lab end to end, briefly: up (six hosts in network namespaces,
etcd + Patroni + PostgreSQL on three, pgfront on two), one write and one
read through the VIP from the client host, down, and nothing left behind.

The lab runs beside any other (its own namespace prefix and run dir), on
198.18.145.0/24 inside namespaces it creates, with no route out."""

import json
import os
import re
import subprocess
import time
import uuid

import pytest

from helpers import REPO

LAB = os.path.join(REPO, "scripts", "lab")
RUN_DIR = "/var/tmp/pgfront-lab-smoke"
PREFIX = "pgfsmk-"
ENV = dict(os.environ, PGFRONT_LAB_DIR=RUN_DIR, PGFRONT_LAB_PREFIX=PREFIX,
           PGFRONT=os.path.join(REPO, "pgfront"))
NODES = {"198.18.145.201", "198.18.145.202", "198.18.145.203"}
DASHBOARD = os.path.join(REPO, "docs", "grafana-dashboard.json")


def lab(*args, timeout=60, check=True):
    p = subprocess.run([LAB, *args], env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("scripts/lab %s failed (exit %d):\n%s"
                             % (" ".join(args), p.returncode, p.stdout[-4000:]))
    return p.stdout


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout
    return [l.split()[0] for l in out.splitlines() if l.startswith(PREFIX)]


def leftover_processes():
    p = subprocess.run(["pgrep", "-af", RUN_DIR + "/"], stdout=subprocess.PIPE, text=True)
    return [l for l in p.stdout.splitlines() if "pgrep" not in l]


def assert_nothing_left():
    assert namespaces() == [], "namespaces left behind"
    assert leftover_processes() == [], "processes left behind"
    assert not os.path.exists(RUN_DIR), "run dir left behind"


@pytest.fixture
def root():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    if namespaces() or os.path.exists(RUN_DIR):
        lab("down", timeout=120)          # a previous run's leftovers
    yield
    if namespaces() or os.path.exists(RUN_DIR):
        print(lab("logs", check=False))
        lab("down", timeout=120, check=False)


def test_up_write_read_through_vip_down(root):
    t0 = time.monotonic()
    print(lab("up", timeout=200))
    print("lab up in %.1f s" % (time.monotonic() - t0))
    assert lab("vip").split() == ["lb1"], "the VIP should be on lb1 (MASTER) only"
    leader = lab("leader").strip()
    assert leader in ("pg1", "pg2", "pg3")
    payload = "lab-smoke-%s" % uuid.uuid4()

    # One write through VIP:5432: it lands on the primary.
    out = lab("psql", "5432", "INSERT INTO pgfront_test (payload) VALUES ('%s') "
              "RETURNING node, pg_is_in_recovery()" % payload).split()
    primary, in_recovery = out[0].split("|")
    assert in_recovery == "f", "a write through :5432 reached a replica: %s" % out
    assert primary == "198.18.145.20%s" % leader[-1], "the write missed the leader"

    # One read through VIP:5433: a replica, which has the row once replayed.
    deadline = time.monotonic() + 15
    while True:
        out = lab("psql", "5433", "SELECT host(inet_server_addr()), pg_is_in_recovery(), "
                  "count(*) FROM pgfront_test WHERE payload = '%s'" % payload).split()
        server, in_recovery, count = out[0].split("|")
        assert in_recovery == "t", "a read through :5433 reached the primary: %s" % out
        assert server in NODES - {primary}
        if count == "1":
            break
        assert time.monotonic() < deadline, "row not on replica %s after 15 s" % server
        time.sleep(0.2)

    # docs/grafana-dashboard.json asks only for what a balancer exports.
    scraped = metric_names(lab("exec", "cli", "curl", "-sf", "http://198.18.145.222:5000/metrics"))
    assert "pgfront_patroni_replication_lag_bytes" in scraped
    missing = dashboard_metric_names() - scraped
    assert not missing, "the dashboard queries metrics lb1 does not export: %s" % missing

    print(lab("down", timeout=120))
    assert_nothing_left()
    assert "not up" in lab("status", check=False)


def metric_names(exposition):
    return {re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            for line in exposition.splitlines() if line and not line.startswith("#")}


def dashboard_metric_names():
    with open(DASHBOARD) as f:
        doc = json.load(f)
    queries = [t["expr"] for p in doc["panels"] for t in p["targets"]]
    queries += [v["definition"] for v in doc["templating"]["list"] if "definition" in v]
    names = set(re.findall(r"\bpgfront_[a-z_]+", " ".join(queries)))
    assert len(names) >= 20, names
    return names


def test_down_after_a_half_failed_up(root):
    """up gives up while Patroni bootstraps (a 1 s timeout): down still
    removes every namespace, process and file."""
    p = subprocess.run([LAB, "up"], env=dict(ENV, PGFRONT_UP_TIMEOUT="1"),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode != 0, p.stdout
    assert "cluster not healthy after 1s" in p.stdout, p.stdout[-2000:]
    assert len(namespaces()) == 7 and leftover_processes(), "up left nothing to clean up"
    print(lab("down", timeout=120))
    assert_nothing_left()
