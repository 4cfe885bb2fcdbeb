"""Fixtures for pgfront's integration tests.

Run with Debian's interpreter: /usr/bin/python3 -m pytest -v tests/integration

  cluster          (session) the local Patroni cluster of scripts/cluster, with
                   fast failover (ttl 10, loop_wait 2, retry_timeout 3);
                   brought down at the end unless PGFRONT_TEST_KEEP_CLUSTER=1
  healthy_cluster  the same, made healthy before and after the test: use it in
                   tests that switch over, kill or stop nodes
  pgfront          factory: pgfront(config, wait_log=None) starts ./pgfront -f
                   CONFIG and waits until it listens; on teardown SIGTERM, exit 0
                   within 5 s, no sanitizer report in its log
  http_stub, tcp_server   factories for stub peers (helpers/stubs.py), stopped
                   on teardown
"""

import os
import sys

import pytest

try:
    import psycopg2  # noqa: F401
except ImportError:  # pragma: no cover
    sys.exit("tests/integration need Debian's python3-psycopg2: "
             "run them with /usr/bin/python3 -m pytest (scripts/install-deps installs it)")

from helpers import REPO
from helpers.cluster import Cluster, ClusterError
from helpers.pgfront import BINARY, Pgfront
from helpers.stubs import HttpStub, TcpServer


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so fixtures can tell at
    teardown whether the test failed (and then print logs)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.failed


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    try:
        out = c.up()
    except ClusterError as e:
        try:
            c.down()
        finally:
            pytest.fail(str(e), pytrace=False)
    print(out)
    yield c
    if os.environ.get("PGFRONT_TEST_KEEP_CLUSTER") == "1":
        return
    c.down()


@pytest.fixture
def healthy_cluster(cluster, request):
    cluster.restore()
    yield cluster
    if _failed(request):
        print("---- cluster at the failure\n" + cluster.logs())
    cluster.restore()


@pytest.fixture(scope="session")
def pgfront_binary():
    if not os.access(BINARY, os.X_OK):
        pytest.fail("pgfront binary %s not found or not executable: build it with "
                    "`make` in %s (`make test` does)" % (BINARY, REPO), pytrace=False)
    return BINARY


@pytest.fixture
def pgfront(pgfront_binary, tmp_path, request):
    """pgfront(config, wait_log=None, timeout=10, args=()) -> Pgfront.

    CONFIG is INI text or a dict of sections (see helpers.pgfront.render);
    wait_log is a regex to wait for after the listen ports accept."""
    started = []

    def start(config, wait_log=None, timeout=10, args=(), wait_listening=True):
        p = Pgfront(config, str(tmp_path / ("pgfront%d" % len(started))),
                    binary=pgfront_binary, args=args)
        started.append(p)
        p.start()
        if wait_listening:
            p.wait_listening(timeout)
        if wait_log:
            p.wait_log(wait_log, timeout)
        return p

    yield start

    problems = []
    for p in started:
        if _failed(request):
            print("---- %s (last lines)\n%s" % (p.log_path, p.tail(60)))
        if p.returncode is not None:
            pass                        # the test stopped it and saw the status
        elif not p.alive():
            p.stop()
            problems.append("pgfront exited by itself (status %s) during the test; log:\n%s"
                            % (p.proc.returncode, p.tail()))
        else:
            try:
                rc = p.stop()
            except AssertionError as e:
                problems.append(str(e))
                continue
            if rc != 0:
                problems.append("pgfront exited with status %d, not 0, on SIGTERM; log:\n%s"
                                % (rc, p.tail()))
        reports = p.sanitizer_reports()
        if reports:
            problems.append("sanitizer report in %s:\n%s" % (p.log_path, "\n".join(reports[:20])))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def http_stub():
    """http_stub(host, port=8008, mode='patroni200') -> HttpStub."""
    stubs = []

    def make(host, port=8008, mode="patroni200"):
        s = HttpStub(host, port, mode)
        stubs.append(s)
        return s

    yield make
    for s in stubs:
        s.stop()


@pytest.fixture
def tcp_server():
    """tcp_server(host, port, mode='echo', **kw) -> TcpServer."""
    servers = []

    def make(host, port, mode="echo", **kw):
        s = TcpServer(host, port, mode, **kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()
