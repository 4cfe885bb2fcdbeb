"""[global] threads: sessions relay on several loops (docs/threads.md).

The main loop keeps accepting, routing and the limits; a session that has its
server relays on the main loop first and, once it has lasted 0.1 s, moves to
the least busy relay thread while the main loop relays more. These tests
check that sessions really spread (and short ones do not), that nothing is
lost when a session moves in the middle of a stream, that the counters still
add up, and that every way pgfront closes sessions itself (a server marked
down, the operator's kill, a reload, a shutdown) reaches the ones on relay
threads, also while clients come and go.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from helpers import echo, wait_for
from helpers.pg import startup_message
from helpers.pgfront import render

LISTEN = ("127.0.0.222", 6432)
STATS = ("127.0.0.222", 7070)
FAST = {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008}


def config(threads, nodes=("127.0.0.21",), maxconn=None, defaults=None):
    cfg = {"global": {"log_level": "info", "threads": threads,
                      **({"maxconn": maxconn} if maxconn else {})},
           "defaults": {**FAST, **(defaults or {})}}
    names = []
    for i, host in enumerate(nodes):
        cfg["server n%d" % (i + 1)] = {"address": "%s:5432" % host}
        names.append("n%d" % (i + 1))
    cfg["listen front"] = {"bind": "%s:%d" % LISTEN, "balance": "roundrobin",
                           "check": "HEAD /primary", "servers": ", ".join(names)}
    cfg["stats"] = {"bind": "%s:%d" % STATS, "uri": "/", "admin": "yes",
                    "auth": "admin:secret"}
    return cfg


def stats():
    req = urllib.request.Request("http://%s:%d/;json" % STATS)
    req.add_header("Authorization", "Basic YWRtaW46c2VjcmV0")      # admin:secret
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def thread_sessions():
    return [t["sessions"] for t in stats()["pgfront"]["threads"]]


def thread_totals():
    return [t["sessions_total"] for t in stats()["pgfront"]["threads"]]


def spread_to(expected):
    """Waits until the loops relay EXPECTED sessions each (sessions move
    once they have lasted 0.1 s)."""
    wait_for(lambda: thread_sessions() == expected, what="sessions per loop %s" % expected)


def session():
    c = socket.create_connection(LISTEN, timeout=5)
    c.sendall(startup_message())
    return c


def start(pgfront, http_stub, tcp_server, threads, **kw):
    stub = http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    p = pgfront(config(threads, **kw))
    p.wait_log(r"relaying on %d thread\(s\)" % threads)
    p.wait_log(r"front/n1: INIT -> UP")
    return p, stub


def test_sessions_spread_over_every_loop_and_the_counters_add_up(pgfront, http_stub,
                                                                 tcp_server):
    p, _ = start(pgfront, http_stub, tcp_server, 3)
    clients = [session() for _ in range(6)]
    sent = 0
    for i, c in enumerate(clients):
        data = os.urandom(1000 * (i + 1))
        assert echo(c, data)
        sent += len(data)
    # They start on the main loop and then move, each to the least busy
    # relay thread while the main loop relays more: two each on three loops.
    spread_to([2, 2, 2])
    assert thread_totals() == [6, 2, 2]
    doc = stats()
    front = doc["listeners"][0]
    assert doc["pgfront"]["connections"] == 6
    startup = len(startup_message())
    # Bytes relayed on the threads are in the counters before the sessions end.
    assert front["bytes_in"] == sent + 6 * startup
    assert front["bytes_out"] == sent
    for c in clients:
        c.close()
    wait_for(lambda: thread_sessions() == [0, 0, 0], what="every loop empty")
    assert stats()["listeners"][0]["bytes_in"] == sent + 6 * startup


def test_a_server_marked_down_closes_its_sessions_on_every_loop(pgfront, http_stub, tcp_server):
    p, stub = start(pgfront, http_stub, tcp_server, 3)
    clients = [session() for _ in range(6)]
    for c in clients:
        assert echo(c, b"x")
    spread_to([2, 2, 2])
    mark = p.log_mark()
    stub.set_mode("status503")
    p.wait_log(r"front/n1: closed 6 session\(s\): server marked down", since=mark)
    for c in clients:
        c.settimeout(2)
        assert c.recv(1) == b""          # every client, whichever loop, sees its end
        c.close()
    assert thread_sessions() == [0, 0, 0]
    assert len(re.findall(r"server marked down after", p.log()[mark:])) == 6


def test_kill_and_reload_reach_sessions_on_relay_threads(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.22")
    tcp_server("127.0.0.22", 5432)
    p, _ = start(pgfront, http_stub, tcp_server, 2, nodes=("127.0.0.21", "127.0.0.22"))
    p.wait_log(r"front/n2: INIT -> UP")
    clients = [session() for _ in range(4)]
    for c in clients:
        assert echo(c, b"k")
    spread_to([2, 2])
    # The operator's kill of n1's sessions (round-robin gave it two).
    mark = p.log_mark()
    subprocess.run([p.binary, "ctl", "-s", "%s:%d" % STATS, "-u", "admin:secret",
                    "kill", "front/n1"], check=True, capture_output=True, timeout=10)
    p.wait_log(r"front/n1: 2 session\(s\) killed by the operator", since=mark)
    # A reload without n2 closes n2's.
    mark = p.log_mark()
    with open(p.config_path, "w") as f:
        f.write(render(config(2)))
    p.send_signal(signal.SIGHUP)
    p.wait_log(r"reload: \S+ applied", since=mark)
    wait_for(lambda: len(re.findall(r"-> n2: removed from the configuration",
                                    p.log()[mark:])) == 2, what="n2's sessions closed")
    for c in clients:
        c.settimeout(2)
        assert c.recv(1) == b""
        c.close()
    assert thread_sessions() == [0, 0]


def test_shutdown_with_sessions_on_relay_threads_closes_them_and_exits(pgfront, http_stub,
                                                                       tcp_server):
    p, _ = start(pgfront, http_stub, tcp_server, 4)
    clients = [session() for _ in range(8)]
    for c in clients:
        assert echo(c, b"s")
    spread_to([2, 2, 2, 2])
    assert p.stop() == 0
    assert len(re.findall(r"pgfront shutting down after", p.log())) == 8
    for c in clients:
        c.settimeout(2)
        assert c.recv(1) == b""
        c.close()


def test_sessions_ending_while_their_server_flaps_lose_nothing(pgfront, http_stub, tcp_server):
    """Clients come and go on four loops while the server goes DOWN and UP
    every few checks: sessions end on their thread at the moment the main
    loop takes them back. Every echo that got through is whole, and at the
    end no session is left anywhere."""
    p, stub = start(pgfront, http_stub, tcp_server, 4,
                    defaults={"inter": "100ms", "fall": 1, "rise": 1})
    stop = threading.Event()
    errors, done = [], []

    def client(rounds):
        n = 0
        while not stop.is_set():
            try:
                with session() as c:
                    c.settimeout(2)
                    # Half the clients keep their session for a few rounds
                    # (long enough to move to a relay thread), half for one.
                    for _ in range(rounds):
                        data = b"d" + os.urandom(63)    # not 'E', a refusal's first byte
                        c.sendall(data)
                        got = b""
                        while len(got) < len(data):
                            chunk = c.recv(64)
                            if not chunk:
                                break
                            got += chunk
                        # While n1 is DOWN a client is refused (an ErrorResponse);
                        # otherwise what comes back is its own bytes, or a part
                        # of them if its session was closed on the way.
                        if got and not data.startswith(got) and not got.startswith(b"E"):
                            errors.append(got)
                        n += got == data
                        if got != data:
                            break
                        time.sleep(0.04)
            except OSError:
                pass
        done.append(n)

    workers = [threading.Thread(target=client, args=(1 if i % 2 else 8,)) for i in range(6)]
    for w in workers:
        w.start()
    for _ in range(6):
        time.sleep(0.4)
        stub.set_mode("status503")
        time.sleep(0.4)
        stub.set_mode("patroni200")
    stop.set()
    for w in workers:
        w.join()
    assert not errors
    assert sum(done) > 0
    assert p.alive()
    assert sum(thread_totals()[1:]) > 0       # some sessions did move to relay threads
    wait_for(lambda: thread_sessions() == [0, 0, 0, 0] and
             stats()["pgfront"]["connections"] == 0, what="no session left")
    assert "server marked down after" in p.log()


def test_short_sessions_stay_on_the_main_loop(pgfront, http_stub, tcp_server):
    """A connection per transaction ends before it would move: handing it
    over would cost more than it relays."""
    start(pgfront, http_stub, tcp_server, 3)
    slow = 0                        # sessions that lasted near 0.1 s (a stalled machine)
    for _ in range(20):
        t0 = time.monotonic()
        with session() as c:
            assert echo(c, b"q")
        slow += time.monotonic() - t0 >= 0.08
    assert slow < 10, "too slow a machine for short sessions"
    wait_for(lambda: stats()["pgfront"]["connections"] == 0, what="every session ended")
    assert thread_totals()[0] == 20
    assert sum(thread_totals()[1:]) <= slow
    assert thread_sessions() == [0, 0, 0]


def test_a_session_moves_in_the_middle_of_a_stream_and_loses_nothing(pgfront, http_stub,
                                                                    tcp_server):
    """A client streams bytes without pause while its session moves from the
    main loop to a relay thread: the move waits for a moment with no bytes
    held, and every byte comes back in order."""
    start(pgfront, http_stub, tcp_server, 2)
    c = session()
    c.settimeout(5)
    sent, got = bytearray(), bytearray()
    stop = threading.Event()

    def reader():
        while len(got) < len(sent) or not stop.is_set():
            chunk = c.recv(65536)
            if not chunk:
                break
            got.extend(chunk)

    r = threading.Thread(target=reader)
    r.start()
    deadline = time.monotonic() + 10
    moved = False
    while time.monotonic() < deadline and not moved:
        block = os.urandom(4096)
        c.sendall(block)
        sent.extend(block)
        if len(sent) % (64 * 4096) == 0:
            moved = thread_sessions() == [0, 1]
    for _ in range(64):             # and more after the move
        block = os.urandom(4096)
        c.sendall(block)
        sent.extend(block)
    stop.set()
    r.join(10)
    c.close()
    assert moved, "the session never moved"
    assert bytes(got) == bytes(sent)
