"""The proxy and the health checks against stub peers on loopback: each check
outcome, byte-exact relaying with half-close and abort, maxconn and the queue,
refusals in PostgreSQL's protocol, retries, and shutdown-sessions.

Fake nodes are a HttpStub (the Patroni REST API) and a TcpServer (PostgreSQL)
on 127.0.0.2N; pgfront listens on 127.0.0.222:6432.
"""

import collections
import re
import socket
import subprocess
import threading
import time

import pytest

from helpers import wait_for
from helpers.pg import error_fields, read_message, startup_message, startup_response
from helpers.stubs import pattern, sha256

LISTEN = ("127.0.0.222", 6432)
FAST = {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008}


def config(nodes, balance="roundrobin", defaults=None, listen=None, glob=None):
    """A pgfront config with one listener on LISTEN over NODES (name -> host)."""
    cfg = {"global": {"log_level": "info", **(glob or {})},
           "defaults": {**FAST, **(defaults or {})}}
    for name, host in nodes.items():
        cfg["server %s" % name] = {"address": "%s:5432" % host}
    cfg["listen front"] = {"bind": "%s:%d" % LISTEN, "balance": balance,
                           "check": "HEAD /primary", **(listen or {})}
    return cfg


def connect(login=True):
    """A client; with login, it has sent its StartupMessage, as psql would
    (pgfront gives a server only to a client whose first packet is whole,
    and the TcpServer reads that packet before its mode applies)."""
    c = socket.create_connection(LISTEN, timeout=5)
    if login:
        c.sendall(startup_message())
    return c


def recv_all(sock, limit=None):
    chunks, n = [], 0
    while True:
        data = sock.recv(262144)
        if not data:
            return b"".join(chunks)
        chunks.append(data)
        n += len(data)
        if limit is not None and n >= limit:
            return b"".join(chunks)


def refusal(ssl_request=False):
    """The ErrorResponse fields a client gets when pgfront refuses it."""
    ssl_answer, kind, body = startup_response(LISTEN[1], host=LISTEN[0],
                                              ssl_request=ssl_request)
    assert kind == b"E", "expected an ErrorResponse, got %r" % kind
    return ssl_answer, error_fields(body)



# -- health checks ------------------------------------------------------------

@pytest.mark.parametrize("mode,reason", [
    ("status503", r"HTTP 503"),
    ("silent", r"timeout after 300 ms"),
    ("garbage", r"malformed|empty reply"),
    ("closed", r"connection refused"),
])
def test_each_check_outcome_is_logged_and_routes_nothing(pgfront, http_stub, tcp_server,
                                                         mode, reason):
    if mode != "closed":                # "closed": nothing listens on :8008 at all
        http_stub("127.0.0.21", mode=mode)
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN \((%s)" % reason)
    _, fields = refusal()
    assert fields["C"] == "57P03"
    assert fields["M"] == "pgfront: no server available for front"


def test_patroni_reply_passes_and_a_change_is_followed(pgfront, http_stub, tcp_server):
    stub = http_stub("127.0.0.21", mode="patroni200")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> UP \(HTTP 200, \d+ ms\)")
    assert stub.requests[0][1] == "HEAD /primary HTTP/1.1"
    with connect() as c:
        c.sendall(b"ping")
        assert c.recv(4) == b"ping"
    mark = p.log_mark()
    stub.set_mode("status503")
    p.wait_log(r"front/n1: UP -> DOWN \(HTTP 503", since=mark)
    stub.set_mode("patroni200")
    p.wait_log(r"front/n1: DOWN -> UP \(HTTP 200", since=mark)


# -- relaying -----------------------------------------------------------------

# The stubs are threads of this Python process: while a test thread churns
# through 100 MB, a check can wait for the interpreter longer than 300 ms.
# Relaying tests are not about health, so give the checks room.
PATIENT = {"inter": "1s", "timeout_check": "3s", "fall": 3}


def one_node(pgfront, http_stub, tcp_server, mode="echo", **kw):
    http_stub("127.0.0.21")
    server = tcp_server("127.0.0.21", 5432, mode, **kw)
    p = pgfront(config({"n1": "127.0.0.21"}, defaults=PATIENT))
    p.wait_log(r"front/n1: INIT -> UP")
    return p, server


def test_100_mb_client_to_server_byte_exact(pgfront, http_stub, tcp_server):
    p, server = one_node(pgfront, http_stub, tcp_server, "sink")
    data = pattern(100 * 1024 * 1024, seed=7)
    with connect() as c:
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        assert recv_all(c) == b""       # the sink closes after EOF: half-close passed on
    # Other entries are the fixture's empty probes of the listen port.
    wait_for(lambda: [r for r in server.received if r[0]], timeout=30, what="the sink's count")
    assert [r for r in server.received if r[0]] == [(len(data), sha256(data))]
    # The startup packet connect() sent is the client's too.
    p.wait_log(r"front: 127\.0\.0\.1:\d+ -> n1: closed by client after [\d.]+ s, "
               r"%d bytes in, 0 bytes out" % (len(data) + len(startup_message())))


def test_100_mb_server_to_client_byte_exact(pgfront, http_stub, tcp_server):
    size = 100 * 1024 * 1024
    p, server = one_node(pgfront, http_stub, tcp_server, "source", source_size=size,
                         source_seed=9)
    with connect() as c:
        got = recv_all(c)               # ends with the server's half-close
        assert len(got) == size and sha256(got) == sha256(server.source_bytes)
        c.sendall(b"still open")        # our direction still works after theirs closed
        c.shutdown(socket.SHUT_WR)
    p.wait_log(r"front: \S+ -> n1: closed by server after [\d.]+ s, %d bytes in, "
               r"104857600 bytes out" % (10 + len(startup_message())))


def test_half_close_then_read_the_rest(pgfront, http_stub, tcp_server):
    one_node(pgfront, http_stub, tcp_server, "echo")
    data = pattern(5 * 1024 * 1024, seed=3)
    with connect() as c:
        sender = threading.Thread(target=lambda: (c.sendall(data), c.shutdown(socket.SHUT_WR)))
        sender.start()
        got = recv_all(c)
        sender.join()
    assert got == data


def test_bulk_then_short_messages_both_ways_byte_exact(pgfront, http_stub, tcp_server):
    """A direction whose reads fill a buffer moves to big buffers, and back to
    small ones when the messages are short again: in both directions, every
    byte arrives once and in order, across the switches."""
    one_node(pgfront, http_stub, tcp_server, "echo")
    with connect() as c:
        for i in range(4):
            bulk = pattern(3 * 1024 * 1024 + 12345 * i, seed=20 + i)
            sender = threading.Thread(target=c.sendall, args=(bulk,))
            sender.start()
            got = recv_all(c, limit=len(bulk))
            sender.join()
            assert got == bulk, "round %d: the bulk part differs" % i
            for small in (b"Q\x00\x00\x00\x05x", b"S\x00\x00\x00\x04"):
                c.sendall(small)
                assert recv_all(c, limit=len(small)) == small, "round %d" % i



def test_a_gone_client_does_not_hold_its_slot_while_the_server_stays_silent(
        pgfront, http_stub, request):
    """Found by make soak: a client that closes while its server has not
    answered kept its session (and [global] maxconn slot) until
    timeout_server (30 min). Now the silent side gets 10 s once the other
    has closed."""
    http_stub("127.0.0.21")
    # A port whose connections the kernel completes and nobody accepts: a
    # server that neither answers nor notices the client's end.
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hung.bind(("127.0.0.21", 5432))
    hung.listen(16)
    request.addfinalizer(hung.close)
    cfg = config({"n1": "127.0.0.21"}, defaults=PATIENT)
    cfg["global"]["maxconn"] = 1
    p = pgfront(cfg)
    p.wait_log(r"front/n1: INIT -> UP")
    c = connect()
    c.sendall(startup_message())
    c.close()
    t0 = time.monotonic()
    p.wait_log(r"front: 127\.0\.0\.1:\d+ -> n1: server timeout after", timeout=20)
    assert 8 <= time.monotonic() - t0 <= 16
    # The one slot is free again: the next client is not refused (a refusal
    # is an ErrorResponse and a close); it waits on the silent server.
    with connect() as again:
        again.sendall(startup_message())
        again.settimeout(1.5)
        with pytest.raises(socket.timeout):
            got = again.recv(1024)
            raise AssertionError("answered instead of waiting on the server: %r" % got)


def test_client_abort_mid_transfer_ends_the_session_and_nothing_else(pgfront, http_stub,
                                                                     tcp_server):
    p, server = one_node(pgfront, http_stub, tcp_server, "source",
                         source_size=50 * 1024 * 1024)
    c = connect()
    c.recv(65536)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()                           # RST with data still in flight
    p.wait_log(r"front: \S+ -> n1: (client error|closed by client)")
    with connect() as again:           # the proxy goes on serving
        assert len(recv_all(again, limit=1024 * 1024)) >= 1024 * 1024


def test_slow_reader_keeps_memory_bounded(pgfront, http_stub, tcp_server):
    """Backpressure: a client that does not read stops pgfront reading the
    server, so pgfront's memory does not grow with what the server sends."""
    p, server = one_node(pgfront, http_stub, tcp_server, "source",
                         source_size=200 * 1024 * 1024)
    rss_before = rss_kib(p.pid)
    c = connect()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    time.sleep(1.5)                     # the server pushes as fast as it can
    growth = rss_kib(p.pid) - rss_before
    c.close()
    assert growth < 4096, "pgfront grew by %d KiB while a client did not read" % growth


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


# -- refusals, in PostgreSQL's protocol ------------------------------------------

def test_no_server_refusal_after_ssl_request(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    ssl_answer, fields = refusal(ssl_request=True)
    assert ssl_answer == b"N"
    assert fields == {"S": "FATAL", "V": "FATAL", "C": "57P03",
                      "M": "pgfront: no server available for front"}


def test_psql_shows_the_refusal(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    out = subprocess.run(["psql", "-h", LISTEN[0], "-p", str(LISTEN[1]), "-U", "postgres",
                          "-d", "testdb", "-v", "VERBOSITY=verbose", "-c", "select 1"],
                         capture_output=True, text=True, timeout=20,
                         env={"PGCONNECT_TIMEOUT": "5", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2
    # psql prints a connection failure's message but not its SQLSTATE; the
    # raw-protocol tests above check that the code is 57P03.
    assert "FATAL:  pgfront: no server available for front" in out.stderr


def test_ssl_requests_without_end_from_a_refused_client_just_close(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    with connect(login=False) as c:
        c.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f" * 3)     # SSLRequest three times
        c.settimeout(6)
        try:
            got = recv_all(c)
        except ConnectionResetError:     # closed with our unread bytes: a reset
            got = b""
    assert got in (b"", b"N", b"NN")    # 'N' answers, no ErrorResponse
    _, fields = refusal()                # and the next client is served as usual
    assert fields["C"] == "57P03"


def test_two_primaries_refuse_new_write_sessions(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    second = http_stub("127.0.0.22", mode="status503")
    tcp_server("127.0.0.21", 5432)
    tcp_server("127.0.0.22", 5432)
    # hold_when_down 0s: refused at once, not held (the write port's default)
    p = pgfront(config({"n1": "127.0.0.21", "n2": "127.0.0.22"}, balance="single",
                       defaults={"hold_when_down": "0s"}))
    p.wait_log(r"front/n1: INIT -> UP")
    with connect() as c:
        c.sendall(b"x")
        assert c.recv(1) == b"x"
    second.set_mode("patroni200")
    p.wait_log(r"\[err\]: front: 2 servers claim to be primary \(n1, n2\)")
    _, fields = refusal()
    assert fields["C"] == "57P03"
    assert "more than one server claims to be primary for front" in fields["M"]
    second.set_mode("status503")
    p.wait_log(r"front: one primary again \(n1\)")
    with connect() as c:
        c.sendall(b"y")
        assert c.recv(1) == b"y"


# -- limits and the queue ------------------------------------------------------

def test_server_maxconn_queues_then_serves_in_order(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}, defaults={"maxconn": 1, "timeout_queue": "5s"}))
    p.wait_log(r"front/n1: INIT -> UP")
    first = connect()
    first.sendall(b"1")
    assert first.recv(1) == b"1"
    second = connect()
    second.sendall(b"2")
    second.settimeout(0.5)
    with pytest.raises(socket.timeout):        # queued: the server never saw it
        second.recv(1)
    first.close()
    second.settimeout(5)
    assert second.recv(1) == b"2"               # served as soon as the slot freed
    second.close()


def test_queue_timeout_is_told_in_postgresql_protocol(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}, defaults={"maxconn": 1, "timeout_queue": "1s"}))
    p.wait_log(r"front/n1: INIT -> UP")
    with connect() as holder:
        holder.sendall(b"h")
        assert holder.recv(1) == b"h"
        started = time.monotonic()
        _, fields = refusal()
        waited = time.monotonic() - started
    assert fields["M"] == "pgfront: timed out waiting for a free server slot for front"
    assert waited >= 0.9


def test_global_maxconn_refuses_at_once(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}, glob={"maxconn": 2}))
    p.wait_log(r"front/n1: INIT -> UP")
    held = [hold_a_session() for _ in range(2)]
    _, fields = refusal()
    assert fields["M"] == "pgfront: too many connections (global maxconn 2 reached)"
    for h in held:
        h.close()
    wait_for(lambda: refusal_or_none() is None, what="a slot after closing")


def hold_a_session(timeout=5):
    """A session relayed to the echo server. The fixture's probe of the listen
    port may still count against maxconn for a moment: try again until then."""
    deadline = time.monotonic() + timeout
    while True:
        c = connect()
        c.sendall(b"k")
        c.settimeout(0.5)
        try:
            if c.recv(1) == b"k":
                c.settimeout(5)
                return c
        except socket.timeout:
            pass
        c.close()
        assert time.monotonic() < deadline, "no session got through"


def refusal_or_none():
    """None if a client gets through to the echo server, else the refusal."""
    with connect() as c:
        c.sendall(b"z")
        c.settimeout(0.5)
        try:
            got = c.recv(1)
        except socket.timeout:          # refused: waiting for a startup packet
            return "refused"
        return None if got == b"z" else got


# -- retries and shutdown-sessions -------------------------------------------

def test_connect_failure_retries_on_another_server(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    http_stub("127.0.0.22")
    tcp_server("127.0.0.22", 5432)      # n1 passes its check but refuses connections
    p = pgfront(config({"n1": "127.0.0.21", "n2": "127.0.0.22"}, defaults={"retries": 1}))
    p.wait_log(r"front/n1: INIT -> UP")
    p.wait_log(r"front/n2: INIT -> UP")
    for i in range(4):
        with connect() as c:
            c.sendall(b"r")
            assert c.recv(1) == b"r"
    p.wait_log(r"front/n1: connect from \S+ failed: Connection refused")


def test_connect_failure_everywhere_is_told(pgfront, http_stub):
    http_stub("127.0.0.21")             # check passes; nothing listens on :5432
    p = pgfront(config({"n1": "127.0.0.21"}, balance="single",
                       defaults={"retries": 2, "hold_when_down": "0s"}))
    p.wait_log(r"front/n1: INIT -> UP")
    _, fields = refusal()
    assert fields["M"] == ("pgfront: could not connect to server n1 for front: "
                           "Connection refused")
    # One attempt and two retries for our client (the fixture's probe of the
    # listen port makes attempts of its own, from another port).
    attempts = lambda: collections.Counter(
        re.findall(r"front/n1: connect from (\S+) failed", p.log())).values()
    wait_for(lambda: 3 in attempts(), what="1 + 2 retries logged")
    assert max(attempts()) == 3


def test_sessions_are_closed_when_their_server_is_marked_down(pgfront, http_stub, tcp_server):
    stub = http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}))
    p.wait_log(r"front/n1: INIT -> UP")
    sessions = [connect() for _ in range(3)]
    for s in sessions:
        s.sendall(b"a")
        assert s.recv(1) == b"a"
    stub.set_mode("status503")
    p.wait_log(r"front/n1: closed 3 session\(s\): server marked down")
    for s in sessions:
        s.settimeout(2)
        assert s.recv(1) == b""         # EOF: the client knows at once
        s.close()


def test_on_marked_down_none_keeps_sessions(pgfront, http_stub, tcp_server):
    stub = http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}, defaults={"on_marked_down": "none"}))
    p.wait_log(r"front/n1: INIT -> UP")
    with connect() as s:
        s.sendall(b"a")
        assert s.recv(1) == b"a"
        stub.set_mode("status503")
        p.wait_log(r"front/n1: UP -> DOWN")
        s.sendall(b"b")
        assert s.recv(1) == b"b"


# -- hold_when_down: a failover costs a slower connect, not an error ----------

def held_echo(result):
    """Connects, sends a byte and waits for the echo; stores (ok, seconds)."""
    started = time.monotonic()
    with connect() as c:
        c.settimeout(10)
        c.sendall(b"h")
        got = c.recv(1)
    result.append((got == b"h", time.monotonic() - started, got))


def test_hold_when_down_serves_the_client_once_a_server_is_up(pgfront, http_stub, tcp_server):
    stub = http_stub("127.0.0.21", mode="status503")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config({"n1": "127.0.0.21"}, balance="single",
                       defaults={"hold_when_down": "5s"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    result = []
    client = threading.Thread(target=held_echo, args=(result,))
    client.start()
    time.sleep(1)                       # the client waits: no primary yet
    assert client.is_alive()
    stub.set_mode("patroni200")
    client.join(10)
    ok, waited, got = result[0]
    assert ok, "the held client got %r instead of its echo" % got
    assert 0.9 < waited < 5


def test_hold_when_down_runs_out_with_the_usual_refusal(pgfront, http_stub):
    http_stub("127.0.0.21", mode="status503")
    p = pgfront(config({"n1": "127.0.0.21"}, defaults={"hold_when_down": "1s"}))
    p.wait_log(r"front/n1: INIT -> DOWN")
    started = time.monotonic()
    _, fields = refusal()
    assert time.monotonic() - started >= 0.9
    assert fields["M"] == "pgfront: no server available for front"


def test_hold_when_down_waits_out_two_primaries(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    second = http_stub("127.0.0.22")
    tcp_server("127.0.0.21", 5432)
    tcp_server("127.0.0.22", 5432)
    p = pgfront(config({"n1": "127.0.0.21", "n2": "127.0.0.22"}, balance="single",
                       defaults={"hold_when_down": "5s"}))
    p.wait_log(r"front: 2 servers claim to be primary")
    result = []
    client = threading.Thread(target=held_echo, args=(result,))
    client.start()
    time.sleep(0.5)
    assert client.is_alive()            # never sent to either of two primaries
    second.set_mode("status503")
    client.join(10)
    assert result[0][0], result
    p.wait_log(r"front: \S+ -> n1: closed by client")


def test_hold_when_down_retries_a_primary_that_refuses_for_a_moment(pgfront, http_stub,
                                                                      tcp_server):
    """Mid-switchover the old primary still passes /primary while PostgreSQL
    restarts and refuses connections: held clients try again shortly instead
    of failing after `retries` immediate attempts."""
    http_stub("127.0.0.21")             # passes its check; PostgreSQL not up yet
    p = pgfront(config({"n1": "127.0.0.21"}, balance="single",
                       defaults={"hold_when_down": "5s", "retries": 1}))
    p.wait_log(r"front/n1: INIT -> UP")
    result = []
    client = threading.Thread(target=held_echo, args=(result,))
    client.start()
    p.wait_log(r"front/n1: connect from \S+ failed: Connection refused")
    time.sleep(0.6)                     # a few paused retries
    assert client.is_alive()
    tcp_server("127.0.0.21", 5432)
    client.join(10)
    assert result[0][0], result
    assert 0.6 < result[0][1] < 5


def test_a_demoted_primary_is_dropped_on_its_first_503(pgfront, http_stub, tcp_server):
    """A switchover as the write port sees it with body-less checks: the new
    primary starts passing /primary while the old one, demoted, answers 503.
    With fall 3 and inter 2s HAProxy would keep the old one UP for ~6 s (and
    two would claim the role); an answer is a verdict, so it goes on its
    first 503, and writes reach the new one."""
    old = http_stub("127.0.0.21")
    new = http_stub("127.0.0.22", mode="status503")
    tcp_server("127.0.0.21", 5432)
    tcp_server("127.0.0.22", 5432)
    p = pgfront(config({"n1": "127.0.0.21", "n2": "127.0.0.22"}, balance="single",
                       defaults={"inter": "2s", "fall": 3, "rise": 1}))
    p.wait_log(r"front/n1: INIT -> UP")
    p.wait_log(r"front/n2: INIT -> DOWN")
    mark = p.log_mark()
    asked = old.request_count()
    old.set_mode("status503")           # demoted
    new.set_mode("patroni200")
    p.wait_log(r"front/n1: UP -> DOWN \(HTTP 503", since=mark, timeout=5)
    # one check, not fall = 3 (one read just before the change may have been
    # answered after it)
    assert old.request_count() <= asked + 1
    p.wait_log(r"front/n2: DOWN -> UP", since=mark, timeout=5)
    with connect() as c:
        c.sendall(b"w")
        assert c.recv(1) == b"w"
    p.wait_log(r"front: \S+ -> n2: closed by client", since=mark)


def test_true_split_brain_stays_refused(pgfront, http_stub, tcp_server):
    """Two nodes that keep answering /primary are never split between."""
    http_stub("127.0.0.21")
    second = http_stub("127.0.0.22", mode="status503")
    tcp_server("127.0.0.21", 5432)
    tcp_server("127.0.0.22", 5432)
    p = pgfront(config({"n1": "127.0.0.21", "n2": "127.0.0.22"}, balance="single",
                       defaults={"fastinter": "100ms", "hold_when_down": "0s"}))
    p.wait_log(r"front/n1: INIT -> UP")
    second.set_mode("patroni200")
    p.wait_log(r"front: 2 servers claim to be primary")
    time.sleep(1)                       # ten contested rechecks of each
    assert "one primary again" not in p.log()
    _, fields = refusal()
    assert "more than one server claims to be primary" in fields["M"]
