"""What pgfront does when the machine fails it: no memory for a relay
buffer, no descriptor for a health check. Faults come from
tests/shim/libfault.so (helpers/fault.py) or from a low open-files limit."""

import json
import re
import socket
import time
import urllib.request

from helpers import wait_for
from helpers.fault import shimmed  # noqa: F401 (a fixture)
from helpers.pg import startup_message

LISTEN = ("127.0.0.222", 6432)
# What relay.c mallocs for a small relay buffer (proxy/internal.h):
# sizeof(struct relay_buf), a pointer and three uint32_t padded to 24, plus
# RELAY_BUF_SIZE (16384) bytes of data.
RELAY_BUF_BYTES = 16408


def client():
    """A client that has sent its StartupMessage: pgfront gives no server
    before (the stub server reads it first, as PostgreSQL would)."""
    c = socket.create_connection(LISTEN, timeout=5)
    c.sendall(startup_message())
    return c


def config(node="127.0.0.21", glob=None, defaults=None):
    return {"global": {"log_level": "info", **(glob or {})},
            "defaults": {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
                         "timeout_connect": "1s", "check_port": 8008, **(defaults or {})},
            "server db": {"address": "%s:5432" % node},
            "listen front": {"bind": "%s:%d" % LISTEN, "balance": "roundrobin",
                             "check": "HEAD /primary"}}



def test_no_memory_for_a_relay_buffer_ends_the_session_without_spinning(
        shimmed, http_stub, tcp_server, tmp_path):
    http_stub("127.0.0.21")
    backend = tcp_server("127.0.0.21", 5432)
    flag = tmp_path / "no-memory"
    pf = shimmed(config(), PGFRONT_FAULT_MALLOC_SIZE=str(RELAY_BUF_BYTES),
                 PGFRONT_FAULT_WHILE=str(flag))
    with client() as c:
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
    with client() as c:   # and the next one works
        c.sendall(b"ping")
        assert c.recv(10) == b"ping"


def echoes(sock, data=b"ping"):
    """Whether the session relays an echo; False if it was closed or refused."""
    try:
        sock.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = sock.recv(100)
            if not chunk or chunk[:1] == b"E":       # closed, or an ErrorResponse
                return False
            got += chunk
        return got == data
    except OSError:
        return False


def test_a_check_without_a_descriptor_does_not_count_against_the_server(
        shimmed, http_stub, tcp_server, tmp_path):
    """socket() failing with EMFILE is the balancer's trouble: the server
    stays UP and its sessions stay open (the old code counted it toward
    fall, marked the server DOWN and closed them: shutdown-sessions)."""
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    flag = tmp_path / "no-descriptors"
    cfg = config()
    cfg["stats"] = {"bind": "127.0.0.222:6480"}
    pf = shimmed(cfg, PGFRONT_FAULT_SOCKET="1", PGFRONT_FAULT_WHILE=str(flag))
    with client() as c:
        assert echoes(c)
        mark = pf.log_mark()
        flag.write_text("")              # every socket() now fails with EMFILE
        time.sleep(2)                    # 10 checks at inter 200ms, fall 2
        assert echoes(c)
        log = pf.log()[mark:]
        assert "-> DOWN" not in log, log
        said = re.findall(r"front/db: check not run: cannot open a socket: Too many open "
                          r"files; not counted against the server \((\d+) so far\)", log)
        assert 1 <= len(said) <= 6, log          # rate-limited: 5 lines per 10 s
        flag.unlink()
        time.sleep(0.5)
        assert echoes(c)
    with urllib.request.urlopen("http://127.0.0.222:6480/;json", timeout=5) as r:
        server = json.load(r)["listeners"][0]["servers"][0]
    assert server["checks_not_run"] >= int(said[-1]), server
    assert server["status"] == "UP", server


def test_a_low_open_files_limit_caps_clients_instead_of_failing_checks(
        shimmed, http_stub, tcp_server):
    """Under an open-files limit far below what maxconn 200 needs, pgfront
    takes the clients that fit and refuses the rest; its checks keep their
    descriptors, the server stays UP and the sessions stay open."""
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    pf = shimmed(config(glob={"maxconn": 200}), wrapper=("prlimit", "--nofile=360:360", "--"))
    clients = []
    try:
        for _ in range(180):               # the old code ran out of descriptors at ~170
            clients.append(client())
        served = [c for c in clients if echoes(c)]
        assert served, pf.tail()
        time.sleep(2)                      # 10 checks at inter 200ms, fall 2
        assert all(echoes(c) for c in served), pf.tail()
        log = pf.log()
        assert "-> DOWN" not in log and "check not run" not in log, pf.tail()
        m = re.search(r"open files limited to 360, below the \d+ that maxconn 200 needs .*: "
                      r"at most (\d+) client\(s\) at once", log)
        assert m, log
        assert len(served) == int(m.group(1)), (len(served), m.group(0))
    finally:
        for c in clients:
            c.close()
