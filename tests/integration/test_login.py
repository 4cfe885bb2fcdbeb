"""The login phase and CancelRequests.

A client gets a server only once its whole first packet has arrived
(StartupMessage, SSLRequest, GSSENCRequest, CancelRequest, or a TLS
ClientHello record): PostgreSQL forks a backend per TCP connection before it
reads a byte, so silent connections must cost it nothing. A CancelRequest is
no session: it goes to every server the query may run on.

The first tests use stub nodes on 127.0.0.2N (run them in a network
namespace); those named *_real_cluster drive the local Patroni cluster (root
namespace, under the cluster lock).
"""

import http.client
import json
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import psycopg2
import psycopg2.errors
import pytest

from helpers import wait_for
from helpers.pg import (SSL_REQUEST, VIP, connect as pg_connect, error_fields, psql,
                        read_message, startup_message, startup_response,
                        wait_server_addr)
from helpers.pgfront import READ_PORT, WRITE_PORT, patroni_config, render

LISTEN = ("127.0.0.222", 6432)
STATS = ("127.0.0.222", 6491)
FAST = {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008}
NODES = {"n1": "127.0.0.21", "n2": "127.0.0.22"}
CANCEL = struct.pack("!IIII", 16, 80877102, 4242, 0x5eC2e7)
# The first record of a ClientHello: handshake, TLS 1.0 record version, 64 bytes.
CLIENT_HELLO = b"\x16\x03\x01\x00\x40" + b"\x01\x00\x00\x3c" + bytes(range(60))


def config(nodes=NODES, balance="roundrobin", defaults=None, glob=None):
    cfg = {"global": {"log_level": "info", **(glob or {})},
           "defaults": {**FAST, **(defaults or {})}}
    for name, host in nodes.items():
        cfg["server %s" % name] = {"address": "%s:5432" % host}
    cfg["listen front"] = {"bind": "%s:%d" % LISTEN, "balance": balance,
                           "check": "HEAD /primary"}
    cfg["stats"] = {"bind": "%s:%d" % STATS}
    return cfg


def get(path):
    conn = http.client.HTTPConnection(*STATS, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200
        return r.read().decode()
    finally:
        conn.close()


def listener_stats():
    return json.loads(get("/;json"))["listeners"][0]


def metric(name):
    m = re.search(r'^%s\{listener="front"\} (\S+)$' % name, get("/metrics"), re.M)
    assert m, "no %s in /metrics" % name
    return float(m.group(1))



def closed_within(c, timeout):
    """Whether the peer closes C within TIMEOUT seconds (EOF or reset)."""
    c.settimeout(timeout)
    try:
        while c.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def nodes_up(pgfront, http_stub, tcp_server, nodes=NODES, **kw):
    servers = {}
    for name, host in nodes.items():
        http_stub(host)
        servers[name] = tcp_server(host, 5432)
    p = pgfront(config(nodes, **kw))
    for name in nodes:
        p.wait_log(r"front/%s: INIT -> UP" % name)
    return p, servers


# -- the login phase ---------------------------------------------------------

def test_silent_clients_get_no_server_connection(pgfront, http_stub, tcp_server):
    """Before: every accepted connection was sent to a server at once."""
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    silent = [socket.create_connection(LISTEN, timeout=5) for _ in range(100)]
    try:
        time.sleep(1)                   # long enough to have connected them all, before
        assert servers["n1"].accepted == 0
        doc = listener_stats()
        assert doc["logins"] == 100 and doc["sessions"] == 0 and doc["queue"] == 0
        with socket.create_connection(LISTEN, timeout=5) as c:
            c.sendall(startup_message() + b"ping")
            assert c.recv(4) == b"ping"
        assert servers["n1"].accepted == 1
        assert servers["n1"].first_packets == [startup_message()]
    finally:
        for c in silent:
            c.close()
    wait_for(lambda: listener_stats()["logins"] == 0, timeout=10, what="the silent clients gone")


def test_a_startup_packet_in_pieces_is_forwarded_whole(pgfront, http_stub, tcp_server):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    packet = startup_message(user="u" * 300)
    with socket.create_connection(LISTEN, timeout=5) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        at = 0
        for cut in (3, 8, 9, 100):                  # inside the header, then the body
            c.sendall(packet[at:cut])
            at = cut
            time.sleep(0.1)
            assert servers["n1"].accepted == 0
        c.sendall(packet[at:] + b"after")
        assert c.recv(5) == b"after"
    assert servers["n1"].first_packets == [packet]


@pytest.mark.parametrize("first", [SSL_REQUEST, struct.pack("!II", 8, 80877104), CLIENT_HELLO],
                         ids=["SSLRequest", "GSSENCRequest", "TLS ClientHello"])
def test_other_first_packets_are_forwarded(pgfront, http_stub, tcp_server, first):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    with socket.create_connection(LISTEN, timeout=5) as c:
        c.sendall(first + b"next")
        assert c.recv(4) == b"next"
    assert servers["n1"].first_packets == [first]


def test_a_silent_client_is_closed_after_timeout_login(pgfront, http_stub, tcp_server):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"},
                          defaults={"timeout_login": "1s"})
    started = time.monotonic()
    with socket.create_connection(LISTEN, timeout=5) as silent, \
            socket.create_connection(LISTEN, timeout=5) as partial:
        partial.sendall(startup_message()[:6])      # a header, not whole
        assert closed_within(silent, 5) and closed_within(partial, 5)
    assert time.monotonic() - started >= 0.9
    assert servers["n1"].accepted == 0
    assert listener_stats()["login_timeouts"] == 2
    assert metric("pgfront_listener_login_timeouts_total") == 2
    p.wait_log(r"front: 127\.0\.0\.1:\d+: no startup packet within 1\.000 s \(6 bytes of it\)")


@pytest.mark.parametrize("packet", [
    b"GET / HTTP/1.0\r\n\r\n",                       # not PostgreSQL at all
    b"\x00\x01\x00\x00\x00\x03\x00\x00",             # a 65536-byte startup packet
    b"\x00\x00\x00\x54\x00\x02\x00\x00",             # protocol 2
    b"\x16\x03\x07\x00\x40",                         # a TLS record of no known version
], ids=["http", "too long", "protocol 2", "not TLS"])
def test_an_invalid_first_packet_is_told_and_closed(pgfront, http_stub, tcp_server, packet):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    with socket.create_connection(LISTEN, timeout=5) as c:
        c.sendall(packet)
        kind, body = read_message(c)
        assert closed_within(c, 3)
    assert kind == b"E"
    assert error_fields(body) == {"S": "FATAL", "V": "FATAL", "C": "08P01",
                                  "M": "pgfront: invalid startup packet"}
    assert servers["n1"].accepted == 0
    assert listener_stats()["login_invalid"] == 1
    assert metric("pgfront_listener_login_invalid_total") == 1


def test_clients_logging_in_use_what_sessions_leave_the_oldest_goes(pgfront, http_stub,
                                                                    tcp_server):
    """maxconn 3: 2 descriptors planned per client, 6 in all. With one
    session (2 of them), 4 clients may be logging in; a 5th closes the oldest."""
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"},
                          glob={"maxconn": 3})
    session = socket.create_connection(LISTEN, timeout=5)
    session.sendall(startup_message() + b"s")
    assert session.recv(1) == b"s"
    silent = [socket.create_connection(LISTEN, timeout=5) for _ in range(4)]
    try:
        wait_for(lambda: listener_stats()["logins"] == 4, timeout=10, what="4 clients logging in")
        with socket.create_connection(LISTEN, timeout=5) as c:
            assert closed_within(silent[0], 3)      # the oldest made room
            assert not closed_within(silent[1], 0.2)
            c.sendall(startup_message() + b"ok")
            assert c.recv(2) == b"ok"
        doc = listener_stats()
        assert doc["login_dropped"] == 1 and doc["logins"] == 3
    finally:
        for c in silent + [session]:
            c.close()


def test_a_reload_that_removes_the_listener_closes_its_logins(pgfront, http_stub, tcp_server):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    with socket.create_connection(LISTEN, timeout=5) as c:
        c.sendall(startup_message()[:4])
        wait_for(lambda: listener_stats()["logins"] == 1, timeout=10, what="a client logging in")
        cfg = config({"n1": "127.0.0.21"})
        cfg["listen other"] = dict(cfg.pop("listen front"), bind="127.0.0.222:6433")
        with open(p.config_path, "w") as f:
            f.write(render(cfg))
        mark = p.log_mark()
        p.send_signal(signal.SIGHUP)
        p.wait_log(r"reload: .* applied", since=mark)
        assert closed_within(c, 3)
    assert p.alive() and servers["n1"].accepted == 0


def test_a_soft_stop_lets_a_client_logging_in_finish(pgfront, http_stub, tcp_server):
    p, servers = nodes_up(pgfront, http_stub, tcp_server, nodes={"n1": "127.0.0.21"})
    with socket.create_connection(LISTEN, timeout=5) as c:
        packet = startup_message()
        c.sendall(packet[:4])
        wait_for(lambda: listener_stats()["logins"] == 1, timeout=10, what="a client logging in")
        p.send_signal(signal.SIGUSR1)
        p.wait_log(r"soft stop: listeners closed")
        time.sleep(0.5)
        assert p.alive()                            # it waits for the client
        c.sendall(packet[4:] + b"late")
        assert c.recv(4) == b"late"                 # and serves it
    p.wait_log(r"soft stop: every session has ended")
    p.proc.wait(5)
    assert p.stop() == 0


# -- refusals: silent clients cannot keep others from hearing why --------------

def test_silent_clients_do_not_silence_refusals(pgfront, http_stub):
    """Before: 256 silent clients took every refusal slot for 5 s, and the
    next client was closed without a word."""
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    silent = [socket.create_connection(LISTEN, timeout=5) for _ in range(300)]
    try:
        time.sleep(0.5)
        _, kind, body = startup_response(LISTEN[1], host=LISTEN[0])
        assert kind == b"E"
        assert error_fields(body)["M"] == "pgfront: no server available for front"
    finally:
        for c in silent:
            c.close()


def test_clients_silent_after_their_ssl_request_do_not_silence_refusals(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    silent = []
    try:
        for _ in range(300):
            c = socket.create_connection(LISTEN, timeout=5)
            c.sendall(SSL_REQUEST)
            silent.append(c)
        assert silent[0].recv(1) == b"N"            # refused, and waited for
        ssl_answer, kind, body = startup_response(LISTEN[1], host=LISTEN[0],
                                                  ssl_request=True)
        assert (ssl_answer, kind) == (b"N", b"E")
        assert error_fields(body)["C"] == "57P03"
    finally:
        for c in silent:
            c.close()


# -- CancelRequest ------------------------------------------------------------

def cancel_through(timeout=5):
    """Send a CancelRequest; True once pgfront closes the connection."""
    with socket.create_connection(LISTEN, timeout=timeout) as c:
        c.sendall(CANCEL)
        return closed_within(c, timeout)


def test_a_cancel_goes_to_every_up_server_of_a_roundrobin_listener(pgfront, http_stub,
                                                                   tcp_server):
    nodes = {"n1": "127.0.0.21", "n2": "127.0.0.22", "n3": "127.0.0.23"}
    http_stub("127.0.0.23", mode="status503")       # n3 is DOWN: nothing to cancel there
    servers = {"n3": tcp_server("127.0.0.23", 5432)}
    for name in ("n1", "n2"):
        http_stub(nodes[name])
        servers[name] = tcp_server(nodes[name], 5432)
    p = pgfront(config(nodes, defaults={"maxconn": 1}))
    p.wait_log(r"front/n1: INIT -> UP")
    p.wait_log(r"front/n2: INIT -> UP")
    p.wait_log(r"front/n3: INIT -> DOWN")
    # Both UP servers full: a cancel is no session and waits for no slot.
    held = []
    for _ in range(2):
        c = socket.create_connection(LISTEN, timeout=5)
        c.sendall(startup_message() + b"x")
        assert c.recv(1) == b"x"
        held.append(c)
    try:
        assert cancel_through()
        assert servers["n1"].first_packets[-1] == CANCEL
        assert servers["n2"].first_packets[-1] == CANCEL
        assert servers["n3"].accepted == 0
        doc = listener_stats()
        assert doc["cancels_forwarded"] == 1 and doc["queue"] == 0
        assert doc["sessions_total"] == 2           # the cancel is not a session
        assert metric("pgfront_listener_cancels_forwarded_total") == 1
        p.wait_log(r"front: 127\.0\.0\.1:\d+: CancelRequest delivered to 2 of 2 server\(s\)")
    finally:
        for c in held:
            c.close()


def test_a_cancel_on_a_single_listener_goes_to_the_primary(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    http_stub("127.0.0.22", mode="status503")
    servers = {name: tcp_server(host, 5432) for name, host in NODES.items()}
    p = pgfront(config(balance="single"))
    p.wait_log(r"front/n1: INIT -> UP")
    p.wait_log(r"front/n2: INIT -> DOWN")
    assert cancel_through()
    assert servers["n1"].first_packets == [CANCEL]
    assert servers["n2"].accepted == 0


def test_a_cancel_with_nowhere_to_go_is_closed(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    assert cancel_through()
    p.wait_log(r"front: 127\.0\.0\.1:\d+: CancelRequest dropped: no server UP")
    assert listener_stats()["cancels_forwarded"] == 0


# -- against the real cluster (root namespace, under the cluster lock) ---------

def pgfront_connections_to(pid, addr, port):
    """pgfront's own TCP connections to ADDR:PORT, as ss sees them."""
    out = subprocess.run(["ss", "-Htnp", "state", "established",
                          "dst", "%s:%d" % (addr, port)],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    return sum(1 for line in out.splitlines() if "pid=%d," % pid in line)


@pytest.fixture
def front(cluster, pgfront):
    cluster.wait_healthy()
    p = pgfront(patroni_config(inter="500ms", fall=2, rise=1))
    leader = cluster.leader()
    wait_server_addr(WRITE_PORT, cluster.addr(leader), timeout=15,
                     what="write port to the leader %s" % leader)
    wait_server_addr(READ_PORT, [cluster.addr(r) for r in cluster.replicas()], timeout=15,
                     what="read port to a replica")
    return p


def test_silent_connections_cost_the_primary_nothing_real_cluster(cluster, front):
    primary = cluster.addr(cluster.leader())
    before = pgfront_connections_to(front.pid, primary, 5432)
    silent = [socket.create_connection((VIP, WRITE_PORT), timeout=5) for _ in range(50)]
    try:
        time.sleep(1)
        assert pgfront_connections_to(front.pid, primary, 5432) == before
        out = psql(WRITE_PORT, "-Atc", "select 1")
        assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr
    finally:
        for c in silent:
            c.close()


def run_and_cancel(port):
    """SELECT pg_sleep(30), cancelled from another thread after 0.5 s: what it raised."""
    conn = pg_connect(port, timeout=5)
    try:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        started = time.monotonic()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_sleep(30)")
            return "not cancelled", time.monotonic() - started
        except psycopg2.errors.QueryCanceled:
            return "cancelled", time.monotonic() - started
        finally:
            timer.cancel()
    finally:
        conn.close()


def test_cancel_on_the_read_port_real_cluster(cluster, front):
    """Before: round-robin sent the cancel to either replica, half the time
    the wrong one, and it could reach none of the 6 (the query ran 30 s)."""
    results = [run_and_cancel(READ_PORT) for _ in range(6)]
    assert [r[0] for r in results] == ["cancelled"] * 6, results
    assert all(r[1] < 10 for r in results), results


def test_cancel_on_the_write_port_real_cluster(cluster, front):
    assert run_and_cancel(WRITE_PORT)[0] == "cancelled"
