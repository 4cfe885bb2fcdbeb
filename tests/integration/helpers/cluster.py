"""The local 3-node Patroni cluster of scripts/cluster, seen from a test."""

import os
import subprocess
import sys
import time

from . import REPO

sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import patroni_state  # noqa: E402  (scripts/lib/patroni_state.py)

SCRIPT = os.path.join(REPO, "scripts", "cluster")
NODES = {"pg1": "127.0.0.11", "pg2": "127.0.0.12", "pg3": "127.0.0.13"}
PG_PORT = 5432
REST_PORT = 8008

# Fast failover for tests; loop_wait + 2 * retry_timeout <= ttl.
FAST_TIMING = {"PGFRONT_TTL": "10", "PGFRONT_LOOP_WAIT": "2",
               "PGFRONT_RETRY_TIMEOUT": "3"}


class ClusterError(Exception):
    pass


class Cluster:
    """Drives scripts/cluster and reads Patroni's REST API.

    Node names are pg1..pg3; addr(name) is the address PostgreSQL and the
    REST API listen on.
    """

    def __init__(self, env=None):
        self.env = dict(os.environ)
        for k, v in FAST_TIMING.items():
            self.env.setdefault(k, v)
        self.env.update(env or {})
        self.nodes = dict(NODES)
        self.ttl = int(self.env["PGFRONT_TTL"])
        self.loop_wait = int(self.env["PGFRONT_LOOP_WAIT"])

    # -- scripts/cluster ------------------------------------------------
    def run(self, *args, check=True, timeout=300):
        """Run scripts/cluster ARGS; returns the CompletedProcess."""
        p = subprocess.run([SCRIPT, *args], env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise ClusterError("scripts/cluster %s failed (exit %d):\n%s"
                               % (" ".join(args), p.returncode, p.stdout))
        return p

    def up(self):
        return self.run("up").stdout

    def down(self):
        return self.run("down", timeout=180).stdout

    def restore(self):
        """Restart whatever is stopped and wait for one leader and two
        streaming replicas (scripts/cluster up does exactly that)."""
        return self.run("up").stdout

    def patronictl(self, *args, check=True):
        return self.run("patronictl", *args, check=check)

    def kill(self, node):
        """kill -9 NODE's Patroni and all its PostgreSQL processes."""
        self.run("kill", node)

    def kill_postgres(self, node):
        self.run("kill-postgres", node)

    def stop_patroni(self, node):
        self.run("stop-patroni", node)

    def start(self, node):
        self.run("start", node)

    def logs(self):
        return self.run("logs", check=False).stdout

    # -- state ------------------------------------------------------------
    def addr(self, node):
        return self.nodes[node]

    def name_of(self, addr):
        for name, a in self.nodes.items():
            if a == addr:
                return name
        raise KeyError(addr)

    def members(self):
        """Patroni's /cluster member list, or [] when no REST API answers."""
        view = patroni_state.cluster_view(self.nodes)
        return view["members"] if view else []

    def leader(self):
        """Name of the running leader, or None."""
        return patroni_state.leader(self.nodes)

    def replicas(self):
        """Names of the running replicas."""
        return sorted(m["name"] for m in self.members()
                      if m.get("role") == "replica" and m.get("state") == "running")

    def health(self):
        return patroni_state.health(self.nodes)

    def wait_healthy(self, timeout=120):
        """Wait for one leader and both other nodes streaming from it."""
        deadline = time.monotonic() + timeout
        while True:
            ok, why = self.health()
            if ok:
                return
            if time.monotonic() > deadline:
                raise ClusterError("cluster not healthy after %ds: %s\n%s"
                                   % (timeout, why, self.logs()))
            time.sleep(0.5)

    def wait_leader(self, expect=None, not_in=(), timeout=60):
        """Wait until a leader runs that is EXPECT (if given) and not in NOT_IN."""
        deadline = time.monotonic() + timeout
        while True:
            name = self.leader()
            if name and name not in not_in and (expect is None or name == expect):
                return name
            if time.monotonic() > deadline:
                raise ClusterError("no leader %s after %ds (now: %s)\n%s" % (
                    expect or "outside %s" % (list(not_in),), timeout, name, self.logs()))
            time.sleep(0.3)

    def switchover(self, candidate=None, timeout=60):
        """Planned switchover to CANDIDATE (default: the first replica);
        returns once CANDIDATE runs as leader."""
        old = self.leader()
        if old is None:
            raise ClusterError("switchover: no leader")
        if candidate is None:
            candidate = [r for r in self.replicas() if r != old][0]
        self.patronictl("switchover", "--leader", old, "--candidate", candidate, "--force")
        self.wait_leader(expect=candidate, timeout=timeout)
        return candidate
