"""What pgfront does when the machine fails it: no memory for a relay
buffer, no descriptor for a health check. Faults come from
tests/shim/libfault.so (helpers/fault.py) or from a low open-files limit."""

import re
import socket
import time

from helpers.fault import shimmed  # noqa: F401 (a fixture)

LISTEN = ("127.0.0.222", 6432)
# sizeof(struct relay_buf) in proxy/internal.h: a pointer, two uint32_t and
# RELAY_BUF_SIZE (16384) bytes.
RELAY_BUF_BYTES = 16400


def config(node="127.0.0.21", glob=None, defaults=None):
    return {"global": {"log_level": "info", **(glob or {})},
            "defaults": {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
                         "timeout_connect": "1s", "check_port": 8008, **(defaults or {})},
            "server db": {"address": "%s:5432" % node},
            "listen front": {"bind": "%s:%d" % LISTEN, "balance": "roundrobin",
                             "check": "HEAD /primary"}}


def wait_for(predicate, timeout=5, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def test_no_memory_for_a_relay_buffer_ends_the_session_without_spinning(
        shimmed, http_stub, tcp_server, tmp_path):
    http_stub("127.0.0.21")
    backend = tcp_server("127.0.0.21", 5432)
    flag = tmp_path / "no-memory"
    pf = shimmed(config(), PGFRONT_FAULT_MALLOC_SIZE=str(RELAY_BUF_BYTES),
                 PGFRONT_FAULT_WHILE=str(flag))
    with socket.create_connection(LISTEN, timeout=5) as c:
        wait_for(lambda: backend.active == 1, what="the session to reach the server")
        flag.write_text("")              # from now on no relay buffer can be had
        cpu = pf.cpu_seconds()
        c.sendall(b"ping")
        time.sleep(2)
        spent = pf.cpu_seconds() - cpu
        # The old code returned with the reader still active and spun: all the
        # CPU it could get (0.44 s of these 2 s on a machine at load 26), where
        # an idle pgfront checking every 200 ms uses about 0.01 s.
        assert spent < 0.15, "pgfront used %.2f s of CPU in 2 s" % spent
        c.settimeout(5)
        try:                             # closed with "ping" unread: a reset, or an EOF
            assert c.recv(10) == b"", "the session should have been closed"
        except ConnectionResetError:
            pass
    assert re.search(r"front: 127\.0\.0\.1:\d+: out of memory for a relay buffer: session "
                     r"ended \(1 so far\)", pf.log()), pf.log()
    assert re.search(r"front: 127\.0\.0\.1:\d+ -> db: out of memory after", pf.log()), pf.log()
    wait_for(lambda: backend.active == 0, what="the server side to be closed")
    flag.unlink()
    with socket.create_connection(LISTEN, timeout=5) as c:   # and the next one works
        c.sendall(b"ping")
        assert c.recv(10) == b"ping"
