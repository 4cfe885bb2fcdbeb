"""The write port through a failover, against stub Patroni nodes that answer
as Patroni 3.0 does (status from the leader lock, JSON body from PostgreSQL):
an answer is a verdict, silence only a doubt, a proof of a writable primary
rises at once, and while the primary is in doubt every server is checked at
hunt_interval. Checks run at the seed's rhythm (inter 3s, fall 3, rise 2),
so anything faster than 3 s here is the hunt's doing.

Fake nodes: PatroniStub on 127.0.0.2N:8008 and a TcpServer on :5432 that
greets with its node's name, so a client can tell where it landed.
"""

import json
import re
import socket
import time
import urllib.request

from helpers.pg import error_fields, read_message, startup_message
from helpers.stubs import PatroniStub, TcpServer

LISTEN = ("127.0.0.222", 6432)
STATS = ("127.0.0.222", 6490)
SEED = {"inter": "3s", "fall": 3, "rise": 2, "timeout_check": "300ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008,
        "on_marked_down": "shutdown-sessions"}
NODES = {"n1": "127.0.0.21", "n2": "127.0.0.22", "n3": "127.0.0.23"}


def config(listen=None, defaults=None, nodes=NODES):
    cfg = {"global": {"log_level": "info"}, "defaults": {**SEED, **(defaults or {})}}
    for name, host in nodes.items():
        cfg["server %s" % name] = {"address": "%s:5432" % host}
    cfg["listen front"] = {"bind": "%s:%d" % LISTEN, "balance": "single",
                           "check": "HEAD /primary", **(listen or {})}
    return cfg


class Nodes:
    """PatroniStubs for NODES with ROLES (name -> role), each with a
    PostgreSQL stand-in that greets with its name and then echoes."""

    def __init__(self, roles):
        self.stubs, self.servers = {}, []
        for name, host in NODES.items():
            self.stubs[name] = PatroniStub(host, roles.get(name, "replica"), timeline=5)
            self.servers.append(TcpServer(host, 5432, "echo", greeting=name.encode()))

    def __getitem__(self, name):
        return self.stubs[name]

    def stop(self):
        for s in list(self.stubs.values()) + self.servers:
            s.stop()


def landed(timeout=5):
    """Connect to the write port; return (socket, name of the node reached)."""
    c = socket.create_connection(LISTEN, timeout=timeout)
    c.sendall(startup_message())        # no server before the startup packet
    name = c.recv(2)
    return c, name.decode()


def stamp(line):
    m = re.match(r"(\S+ \S+) ", line)
    return time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S")) + \
        float("0" + m.group(1)[19:])


def requests_between(stub, t0, t1):
    return [r for r in stub.requests if t0 <= r[0] <= t1]


def test_a_503_marks_the_primary_down_after_one_check_a_timeout_after_fall(pgfront):
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(dict(config(), **{"global": {"log_level": "debug"}}))
        p.wait_log(r"front/n1: INIT -> UP")
        p.wait_log(r"front: primary n1 confirmed")
        # A bare 503 (no body: nothing says why): DOWN on this one check.
        nodes["n1"].set_mode("status503")
        t0 = time.monotonic()
        p.wait_log(r"front/n1: UP -> DOWN \(HTTP 503, \d+ ms: not the primary; its sessions "
                   r"stay until that is certain\)", timeout=5)
        t1 = time.monotonic()
        assert len(requests_between(nodes["n1"], t0, t1)) == 1
        mark = p.log_mark()
        nodes["n1"].set_mode("patroni200")
        p.wait_log(r"front/n1: DOWN -> UP \(HTTP 200, role master, state running", since=mark)
        p.wait_log(r"front: primary n1 confirmed after", since=mark)
        # Silence: a timeout is no verdict; it takes fall = 3 of them in a row.
        mark = p.log_mark()
        nodes["n1"].set_mode("silent")
        p.wait_log(r"front/n1: UP -> DOWN \(timeout after 300 ms: no answer; its sessions "
                   r"stay\)", since=mark, timeout=10)
        toward = re.findall(r"front/n1: silence \(timeout after 300 ms\), (\d) of 3 toward DOWN",
                            p.log()[mark:])
        assert toward == ["1", "2"]
        assert re.search(r"front: n1 failed a check \(timeout after 300 ms\), checking every "
                         r"server every 100 ms", p.log()[mark:])
    finally:
        nodes.stop()


def test_a_lone_503_holds_new_clients_and_keeps_the_open_sessions(pgfront):
    """Patroni under load fails its status query once: the primary is out of
    routing for one check, new clients wait, open sessions never notice."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config())
        p.wait_log(r"front: primary n1 confirmed")
        open_session, where = landed()
        assert where == "n1"
        mark = p.log_mark()
        nodes["n1"].set(state="unknown")           # 200, but no running primary reported
        p.wait_log(r"front/n1: UP -> DOWN \(HTTP 200, role master, state unknown", since=mark)
        held = socket.create_connection(LISTEN, timeout=5)
        held.sendall(startup_message())
        time.sleep(0.5)                             # five hunt checks, as many denials
        nodes["n1"].set(state="running")
        assert held.recv(2) == b"n1"                # served once n1 proves itself again
        held.close()
        p.wait_log(r"front/n1: DOWN -> UP", since=mark)
        open_session.sendall(b"still here")
        assert open_session.recv(10) == b"still here"
        assert "closed 1 session" not in p.log()[mark:]
        assert "DOWN for certain" not in p.log()[mark:]
        open_session.close()
    finally:
        nodes.stop()


def test_body_says_gone_cuts_the_sessions_at_once(pgfront):
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config())
        p.wait_log(r"front: primary n1 confirmed")
        session, _ = landed()
        mark = p.log_mark()
        nodes["n1"].set(state="stopping")           # the old primary during a switchover
        p.wait_log(r"front/n1: UP -> DOWN \(HTTP 200, role master, state stopping, \d+ ms: "
                   r"not the primary\)", since=mark)
        p.wait_log(r"front/n1: closed 1 session\(s\): server marked down", since=mark)
        session.settimeout(5)
        assert session.recv(10) == b""
        session.close()
    finally:
        nodes.stop()


def test_a_200_before_promotion_is_not_routed_the_first_proof_is(pgfront):
    """Patroni answers 200 on /primary as soon as it holds the lock, while
    PostgreSQL is still a replica: not writable yet, so not routed."""
    for not_yet in ({"body_role": "replica"}, {"state": "starting"}):
        nodes = Nodes({"n1": "down", "n2": "primary"})
        try:
            nodes["n2"].set(**not_yet)
            p = pgfront(config())
            p.wait_log(r"front/n2: INIT -> DOWN \(HTTP 200, role \w+, state \w+")
            client = socket.create_connection(LISTEN, timeout=5)
            client.sendall(startup_message())
            time.sleep(0.5)                         # five hunt checks: still not routed
            client.settimeout(0.1)
            try:
                assert client.recv(2) == b"", "routed before promotion finished"
            except socket.timeout:
                pass
            mark = p.log_mark()
            t0 = time.monotonic()
            nodes["n2"].set(state="running")        # promotion finished: role master, running
            client.settimeout(5)
            assert client.recv(2) == b"n2"
            p.wait_log(r"front/n2: DOWN -> UP \(HTTP 200, role master, state running, "
                       r"\d+ ms, timeline 5: primary\)", since=mark)
            # rise 2 did not apply: one proof sufficed (one asked before t0 may
            # have been answered after it: then none after t0 was needed)
            assert len(requests_between(nodes["n2"], t0, time.monotonic())) <= 1
            client.close()
            p.stop()
        finally:
            nodes.stop()


def stats(path):
    with urllib.request.urlopen("http://%s:%d%s" % (STATS + (path,)), timeout=5) as r:
        return r.read().decode()


def test_the_hunt_checks_every_server_every_100ms_then_returns_to_inter(pgfront):
    nodes = Nodes({"n1": "primary"})
    try:
        cfg = config()
        cfg["stats"] = {"bind": "%s:%d" % STATS, "uri": "/"}
        p = pgfront(cfg)
        p.wait_log(r"front: primary n1 confirmed")
        time.sleep(0.5)
        mark = p.log_mark()
        nodes["n1"].set(role="down")
        start = p.wait_log(r".*front: no primary, checking every server every 100 ms",
                           since=mark).group(0)
        time.sleep(1.0)
        nodes["n2"].set(role="primary")
        end = p.wait_log(r".*front: primary n2 confirmed after [0-9.]+ s, checking every "
                         r"3 s again", since=mark).group(0)
        t0, t1 = time.monotonic() - 30, time.monotonic()
        for name in ("n1", "n3"):
            times = [r[0] for r in requests_between(nodes[name], t0, t1)]
            gaps = [b - a for a, b in zip(times, times[1:])]
            # about ten a second during the hunt (one in flight each), not one per 3 s
            hunt_gaps = [g for g in gaps if g < 0.5]
            assert len(hunt_gaps) >= 6, (name, gaps)
            assert min(hunt_gaps) >= 0.08, (name, gaps)
        # then back to inter: nothing new on n3 for a while
        after = time.monotonic()
        time.sleep(1.5)
        assert len(requests_between(nodes["n3"], after, time.monotonic())) <= 1
        gap = p.wait_log(r"front: n2 is the primary after ([0-9.]+) s without one",
                         since=mark)
        assert 0.9 < float(gap.group(1)) < stamp(end) - stamp(start) + 0.5
        # the stats page and /metrics tell the same gap
        front = [l for l in json.loads(stats("/;json"))["listeners"] if l["name"] == "front"][0]
        assert front["primary"]["gaps"] == 1
        assert front["primary"]["timeline"] == 5
        assert front["primary"]["current_gap_seconds"] == 0
        assert abs(front["primary"]["last_gap_seconds"] - float(gap.group(1))) < 0.01
        metrics = stats("/metrics")
        assert 'pgfront_listener_primary_lost_total{listener="front"} 1\n' in metrics
        m = re.search(r'pgfront_listener_without_primary_seconds_total\{listener="front"\} '
                      r'([0-9.]+)', metrics)
        assert abs(float(m.group(1)) - float(gap.group(1))) < 0.01
    finally:
        nodes.stop()


def test_a_held_client_reaches_the_new_primary(pgfront):
    """A switchover as the write port sees it: the old primary stops and is
    demoted, the new one takes the lock, then finishes promotion. A client
    that connects in the gap waits and lands on the new primary: no error."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config())
        p.wait_log(r"front: primary n1 confirmed")
        mark = p.log_mark()
        nodes["n1"].set(state="stopping")
        p.wait_log(r"front/n1: UP -> DOWN", since=mark)
        client = socket.create_connection(LISTEN, timeout=5)
        client.sendall(startup_message())
        nodes["n1"].set(role="down")
        nodes["n2"].set(role="primary", body_role="replica")   # lock taken, promoting
        time.sleep(0.4)
        nodes["n2"].set(role="primary", timeline=6)              # promoted
        assert client.recv(2) == b"n2"
        client.close()
        p.wait_log(r"front/n2: DOWN -> UP \(HTTP 200, role master, state running, \d+ ms, "
                   r"timeline 6: primary\)", since=mark)
        assert "57P03" not in p.log()[mark:]
    finally:
        nodes.stop()


def test_a_stale_claimant_on_an_older_timeline_is_dropped(pgfront):
    """Two nodes answer /primary for a moment (the old one has not seen that
    it lost the lock): the proof on the newer timeline wins at once, and a
    transient timeout of the new primary does not drop it."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config(defaults={"hold_when_down": "0s"}))
        p.wait_log(r"front: primary n1 confirmed")
        session, _ = landed()
        mark = p.log_mark()
        nodes["n2"].set(role="primary", timeline=6)
        p.wait_log(r"front/n2: \w+ -> UP", since=mark, timeout=10)
        p.wait_log(r"front/n1: UP -> DOWN \(n2 proved it is the primary, timeline 6\)",
                   since=mark)
        p.wait_log(r"front/n1: closed 1 session", since=mark)
        # n1 goes on claiming the role on timeline 5: it is never taken back
        p.wait_log(r"front/n1: claims to be primary on timeline 5, older than the last "
                   r"primary's 6: not taken", since=mark)
        c, where = landed()
        assert where == "n2"
        c.close()
        session.close()
        # one silent check of the new primary is no reason to drop it
        mark = p.log_mark()
        nodes["n2"].set_mode("silent")
        p.wait_log(r"front: n2 failed a check \(timeout after 300 ms\)", since=mark)
        nodes["n2"].set_mode("patroni200")
        p.wait_log(r"front: primary n2 confirmed", since=mark)
        assert "front/n2: UP -> DOWN" not in p.log()[mark:]
        c, where = landed()
        assert where == "n2"
        c.close()
    finally:
        nodes.stop()


def test_a_session_the_primary_ends_or_a_refused_connect_starts_a_hunt(pgfront):
    """Signs from the data path reach the health checks at once: the primary
    ending a session on its own, or refusing a connect, has every server
    checked at hunt_interval instead of at the next inter (3 s)."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config())
        p.wait_log(r"front: primary n1 confirmed")
        session, where = landed()
        assert where == "n1"
        mark = p.log_mark()
        nodes.servers[0].close_connections()          # PostgreSQL ends the session
        p.wait_log(r"front: n1: it closed a session, checking every server every 100 ms",
                   since=mark, timeout=2)
        p.wait_log(r"front: primary n1 confirmed after", since=mark, timeout=2)
        session.close()
        time.sleep(1.1)                               # the log's budget is per hunt start
        mark = p.log_mark()
        nodes.servers[0].unlisten()                   # connects refused, checks still pass
        with socket.create_connection(LISTEN, timeout=5) as c:
            c.sendall(startup_message())
            c.settimeout(0.5)
            p.wait_log(r"front: n1: a connect failed, checking every server every 100 ms",
                       since=mark, timeout=2)
            nodes.servers[0].listen()
            c.settimeout(5)
            assert c.recv(2) == b"n1"                 # held, retried, served
    finally:
        nodes.stop()


def test_a_server_closing_after_the_clients_terminate_is_no_sign(pgfront):
    """The client said Terminate ('X'): the server closing first is the
    end of a conversation, not a sign that the primary leaves (make soak
    saw 0.2 % of short sessions start a hunt that way)."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config())
        p.wait_log(r"front: primary n1 confirmed")
        session, where = landed()
        assert where == "n1"
        session.sendall(b"X\0\0\0\4")
        assert session.recv(5) == b"X\0\0\0\4"   # the echo: it reached the server
        mark = p.log_mark()
        nodes.servers[0].close_connections()          # PostgreSQL ends the session
        assert session.recv(1) == b""                 # its end passed on
        time.sleep(0.5)
        assert "it closed a session" not in p.log()[mark:]
        session.close()
        p.wait_log(r"front: \S+ -> n1: closed by server", since=mark, timeout=2)
    finally:
        nodes.stop()


def test_a_check_stuck_in_flight_is_asked_again_when_the_hunt_starts(pgfront):
    """n2's check hangs (timeout_check 5 s) when the primary leaves; by then
    n2 answers new requests: the hunt does not wait out the stuck one."""
    nodes = Nodes({"n1": "primary"})
    try:
        p = pgfront(config(defaults={"timeout_check": "5s"}))
        p.wait_log(r"front: primary n1 confirmed")
        nodes["n2"].set_mode("silent")
        t0 = time.monotonic()
        stuck_request = nodes["n2"].wait_requests(
            len(requests_between(nodes["n2"], 0, t0)) + 1, timeout=10)[-1][0]
        time.sleep(0.3)                              # n2's check is in flight, stuck
        mark = p.log_mark()
        nodes["n2"].set(role="primary", timeline=6)
        nodes["n2"].set_mode("patroni200", hang_up=False)
        nodes["n1"].set(role="down")
        p.wait_log(r"front/n2: DOWN -> UP", since=mark, timeout=10)
        # n2 was asked again while the stuck check still had seconds to run:
        # waiting it out would have put the next request 5 s after it
        asked_again = [r[0] for r in nodes["n2"].requests if r[0] > stuck_request]
        assert asked_again and asked_again[0] - stuck_request < 4.5, asked_again
    finally:
        nodes.stop()


def test_no_hold_refuses_with_57P03_while_there_is_no_primary(pgfront):
    nodes = Nodes({"n1": "down"})
    try:
        p = pgfront(config(listen={"hold_when_down": "1s"}))
        p.wait_log(r"front/n1: INIT -> DOWN")
        t0 = time.monotonic()
        with socket.create_connection(LISTEN, timeout=5) as c:
            c.sendall(startup_message())
            kind, body = read_message(c)
        assert time.monotonic() - t0 >= 0.9      # held for the bound, then told why
        assert kind == b"E"
        fields = error_fields(body)
        assert fields["C"] == "57P03"
        assert "no server available for front" in fields["M"]
    finally:
        nodes.stop()
