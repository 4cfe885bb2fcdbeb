"""The queue and hold_when_down under stress: clients whose hold runs out on a
retry, thousands of held clients whose connects fail at once, and held
clients that give up.  What a user sees: who is served, who is told why, and
the stats page's queue counts.

Fake nodes are a HttpStub (the Patroni REST API) and a TcpServer (PostgreSQL)
on 127.0.0.21; pgfront listens on 127.0.0.222:6432, its stats page on :6480.
"""

import http.client
import json
import resource
import socket
import threading
import time

import pytest

from helpers.pg import error_fields, read_message, startup_message

LISTEN = ("127.0.0.222", 6432)
STATS = ("127.0.0.222", 6480)
FAST = {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008}
STARTUP = startup_message()


def config(hold, address="127.0.0.21:5432", retries=0, maxconn=None):
    """One `single` listener over n1 (checked on 127.0.0.21), a stats page."""
    cfg = {"global": {"log_level": "info"},
           "defaults": {**FAST, "hold_when_down": hold, "retries": retries},
           "server n1": {"address": address, "check_address": "127.0.0.21"},
           "listen front": {"bind": "%s:%d" % LISTEN, "balance": "single",
                            "check": "HEAD /primary"},
           "stats": {"bind": "%s:%d" % STATS}}
    if maxconn:
        cfg["global"]["maxconn"] = maxconn
    return cfg


def listener_stats():
    conn = http.client.HTTPConnection(*STATS, timeout=5)
    try:
        conn.request("GET", "/;json")
        r = conn.getresponse()
        assert r.status == 200
        return json.loads(r.read())["listeners"][0]
    finally:
        conn.close()


def wait_stats(predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        doc = listener_stats()
        if predicate(doc):
            return doc
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s; listener stats: %s" % (what, {
                k: doc[k] for k in ("sessions", "queue", "queue_max", "refused")}))
        time.sleep(0.05)


def client():
    """A client that has sent its startup packet, as psql would."""
    c = socket.create_connection(LISTEN, timeout=5)
    c.sendall(STARTUP)
    return c


def answer(c, timeout=10):
    """'echo' (the echo server got our startup packet), or the refusal's message."""
    c.settimeout(timeout)
    first = c.recv(1, socket.MSG_PEEK)
    if first == b"E":
        kind, body = read_message(c)
        return error_fields(body)["M"]
    got = b""
    while len(got) < len(STARTUP):
        chunk = c.recv(len(STARTUP) - len(got))
        if not chunk:
            break
        got += chunk
    return "echo" if got == STARTUP else "got %r" % got


def test_a_hold_running_out_on_a_retry_leaves_the_others_queued(pgfront, http_stub,
                                                                tcp_server):
    """A stream of clients meets a primary that passes its check but refuses
    connections (held: they retry every 250 ms), then goes DOWN. Clients whose
    hold runs out on their last retry are refused; the clients held meanwhile
    are still served when a primary comes back, and the queue count ends at 0."""
    stub = http_stub("127.0.0.21")      # passes /primary; nothing on :5432 yet
    p = pgfront(config(hold="2s"))
    p.wait_log(r"front/n1: INIT -> UP")
    clients = []                        # (monotonic start, socket)
    stop = threading.Event()

    def stream():
        while not stop.is_set():
            clients.append((time.monotonic(), client()))
            time.sleep(0.03)

    streamer = threading.Thread(target=stream)
    streamer.start()
    try:
        time.sleep(2.2)                 # every hold now ends inside some 250 ms pause
        stub.set_mode("status503")
        p.wait_log(r"front/n1: UP -> DOWN")
        down_seen = time.monotonic()
        time.sleep(0.4)                 # clients arrive and are held, retries run out
    finally:
        stop.set()
        streamer.join()
    tcp_server("127.0.0.21", 5432, first_packet=False)
    stub.set_mode("patroni200")
    p.wait_log(r"front/n1: DOWN -> UP")
    held = [c for started, c in clients if started > down_seen]
    assert len(held) >= 5
    answers = [answer(c) for c in held]
    assert answers == ["echo"] * len(held)
    for _, c in clients:
        c.close()
    doc = wait_stats(lambda d: d["sessions"] == 0, "every session to end")
    assert doc["queue"] == 0
    assert doc["refused"]["no_server"] >= 1     # the holds that ran out on a retry


def test_thousands_of_held_clients_whose_connects_fail_at_once(pgfront, http_stub):
    """6,000 clients held while no primary is up; then one comes UP whose
    connections fail on the spot (a multicast address: ENETUNREACH from
    connect() itself). pgfront stays up, retries them until their hold runs
    out, and refuses each one then (told why, as far as REFUSALS_MAX allows).

    pgfront runs with a 256 KiB stack, which its event loop needs far less
    than, so that work nested once per queued client would show with 6,000
    clients as it does under the usual 8 MiB with more."""
    n = 6000
    message = "pgfront: could not connect to server n1 for front: Network is unreachable"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * (n + 100) + 512        # pgfront's, which it raises to from ours
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip("needs `ulimit -Hn` of %d at least, not %d" % (needed, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stub = http_stub("127.0.0.21", mode="status503")
    stack = resource.getrlimit(resource.RLIMIT_STACK)
    resource.setrlimit(resource.RLIMIT_STACK, (256 * 1024, stack[1]))
    try:
        p = pgfront(config(hold="8s", address="224.0.0.1:5432", maxconn=n + 100))
    finally:
        resource.setrlimit(resource.RLIMIT_STACK, stack)
    p.wait_log(r"front/n1: INIT -> DOWN")
    clients = []
    try:
        for _ in range(n):
            clients.append(client())
        wait_stats(lambda d: d["queue"] == n, "%d held clients" % n)
        mark = p.log_mark()
        stub.set_mode("patroni200")
        p.wait_log(r"front/n1: DOWN -> UP", since=mark)
        p.wait_log(r"front/n1: connect from \S+ failed: Network is unreachable", since=mark)
        assert answer(clients[0], timeout=20) == message
        doc = wait_stats(lambda d: d["sessions"] == 0, "every hold to run out", timeout=30)
    finally:
        for c in clients:
            c.close()
    assert doc["queue"] == 0 and doc["queue_max"] == n
    assert doc["refused"]["connect_failed"] == n


def test_held_clients_that_give_up_are_dropped_not_connected(pgfront, http_stub, tcp_server):
    """Clients whose own connect_timeout is shorter than the hold give up
    while held: they are dropped as soon as they close, and no server
    connection is started for them when the primary comes back. Those that
    never sent their startup packet are never held: they are still logging
    in, and go as they came."""
    stub = http_stub("127.0.0.21", mode="status503")
    server = tcp_server("127.0.0.21", 5432, first_packet=False)
    p = pgfront(config(hold="30s"))
    p.wait_log(r"front/n1: INIT -> DOWN")
    quitters = [client() for _ in range(4)] + \
        [socket.create_connection(LISTEN, timeout=5) for _ in range(4)]
    wait_stats(lambda d: d["queue"] == 4 and d["logins"] == 4,
               "4 held clients and 4 logging in")
    for c in quitters:
        c.close()
    doc = wait_stats(lambda d: d["sessions"] == 0 and d["logins"] == 0,
                     "the quitters to be dropped", timeout=5)
    assert doc["queue"] == 0
    assert doc["queue_abandoned"] == 4
    with client() as stayer:
        wait_stats(lambda d: d["queue"] == 1, "the client that stays")
        stub.set_mode("patroni200")
        assert answer(stayer) == "echo"
    assert server.accepted == 1         # the one client that waited, nobody else
    assert len(p.log().split("closed by client after")) - 1 >= 4

