"""One-way streams (COPY, a large result) are read per big buffer (proxy/bulk.c).

Once a direction has carried 32 MiB while the other said nothing, pgfront
raises its source socket's receive low-water mark, so that the kernel wakes
the loop per 64 KiB and not per chunk. These tests check what a client would
notice if that went wrong: a stream that arrives incomplete, out of order, or
whose last bytes (fewer than the mark) never arrive because nothing lowers
the mark again; a conversation with large messages that gets deferred; and a
deferred stream that moves to a relay thread.
"""

import hashlib
import json
import socket
import time
import urllib.request

from helpers import wait_for
from helpers.pg import startup_message
from helpers.stubs import pattern

LISTEN = ("127.0.0.222", 6432)
STATS = ("127.0.0.222", 7070)
SERVER = "127.0.0.21"
# Above the 32 MiB after which a stream defers. Its last TAIL bytes, fewer
# than the mark, come on their own after a pause: they arrive only if
# pgfront lowers the mark again.
STREAM = 40 * 1024 * 1024 + 1000
TAIL = 1000


def config(threads):
    return {
        "global": {"log_level": "info", "threads": threads},
        "defaults": {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
                     "timeout_connect": "1s", "check_port": 8008},
        "server n1": {"address": "%s:5432" % SERVER},
        "listen front": {"bind": "%s:%d" % LISTEN, "check": "HEAD /primary",
                         "servers": "n1"},
        "stats": {"bind": "%s:%d" % STATS, "uri": "/"},
    }


def threads():
    with urllib.request.urlopen("http://%s:%d/;json" % STATS, timeout=5) as r:
        return json.loads(r.read())["pgfront"]["threads"]


def deferrals():
    return sum(t["bulk_deferrals"] for t in threads())


def start(pgfront, http_stub, tcp_server, mode, n_threads=1, **kw):
    http_stub(SERVER)
    server = tcp_server(SERVER, 5432, mode, **kw)
    p = pgfront(config(n_threads))
    p.wait_log(r"front/n1: INIT -> UP")
    return p, server


def session():
    c = socket.create_connection(LISTEN, timeout=10)
    c.sendall(startup_message())
    return c


def read_exactly(c, n):
    """N bytes; a stall (the last bytes held back) fails on the socket's timeout."""
    got = bytearray()
    while len(got) < n:
        chunk = c.recv(min(1 << 20, n - len(got)))
        assert chunk, "the stream ended after %d of %d bytes" % (len(got), n)
        got += chunk
    return bytes(got)


def test_a_stream_from_the_server_arrives_whole_with_its_last_bytes(pgfront, http_stub,
                                                                    tcp_server):
    start(pgfront, http_stub, tcp_server, "stream", source_size=STREAM, tail=TAIL)
    assert deferrals() == 0
    with session() as c:
        # The server keeps its side open: only the length tells the end.
        assert read_exactly(c, STREAM) == pattern(STREAM)
    assert deferrals() >= 1


def test_a_stream_from_the_client_arrives_whole_with_its_last_bytes(pgfront, http_stub,
                                                                    tcp_server):
    start(pgfront, http_stub, tcp_server, "digest", expect=STREAM)
    data = pattern(STREAM, seed=7)
    with session() as c:
        c.sendall(data[:-TAIL])
        time.sleep(0.2)
        c.sendall(data[-TAIL:])
        # The server answers only once it has every byte.
        assert read_exactly(c, 64).decode() == hashlib.sha256(data).hexdigest()
    assert deferrals() >= 1


def test_a_conversation_with_large_messages_is_never_deferred(pgfront, http_stub, tcp_server):
    """40 MiB each way in 256 KiB messages, each answered before the next:
    neither direction is a stream, whatever the total."""
    start(pgfront, http_stub, tcp_server, "echo")
    with session() as c:
        for i in range(160):
            message = pattern(256 * 1024, seed=i % 8)
            c.sendall(message)
            assert read_exactly(c, len(message)) == message
    assert deferrals() == 0


def test_a_deferred_stream_moves_to_a_relay_thread_and_loses_nothing(pgfront, http_stub,
                                                                    tcp_server):
    """The mark stays on the socket when the session moves; the relay
    thread's loop lowers it for the last bytes."""
    size = 96 * 1024 * 1024 + 1000
    start(pgfront, http_stub, tcp_server, "stream", n_threads=2, source_size=size, tail=TAIL)
    with session() as c:
        assert hashlib.sha256(read_exactly(c, size)).digest() == \
            hashlib.sha256(pattern(size)).digest()
        moved = [t["sessions_total"] for t in threads()][1]
    wait_for(lambda: sum(t["sessions"] for t in threads()) == 0, what="the session ended")
    assert deferrals() >= 1
    assert moved == 1, "the session stayed on the main loop"
