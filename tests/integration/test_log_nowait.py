"""Logging never holds up the event loop.

pgfront runs with stderr on a pipe that nobody reads, at log_level debug, and
thousands of sessions go through it: once the pipe and pgfront's log buffer
are full, sessions must still be relayed and health checks still run; the
lines that did not fit are counted, and the count arrives once the pipe is
read again. With JOURNAL_STREAM naming stderr, lines carry the syslog
priority instead of a timestamp.

Fake node: a HttpStub (Patroni's API) and an echo TcpServer on 127.0.0.21;
pgfront listens on 127.0.0.222:6432. When the test runs in a network
namespace other than the root one (as the helpers' rules ask), pgfront also
runs a VRRP MASTER on a veth pair made for the test (198.18.145.241/24, no
route out), whose adverts are counted while the log pipe is full.
"""

import fcntl
import os
import pytest
import re
import signal
import socket
import subprocess
import time

from helpers.pg import startup_message
from helpers.pgfront import BINARY, is_listening, render

LISTEN = ("127.0.0.222", 6432)
NODE = "127.0.0.21"
F_SETPIPE_SZ = 1031
SESSIONS = 4000        # ~125 bytes of log each: far more than pipe + buffer (256 KiB)


VETH, PEER = "pgfnw0", "pgfnw1"
VRRP_ADDR = "198.18.145.241/24"
ETH_P_IP = 0x0800


def in_named_netns():
    """Whether this process runs in a namespace made with `ip netns add`."""
    r = subprocess.run(["ip", "netns", "identify", str(os.getpid())], capture_output=True,
                       text=True)
    return r.returncode == 0 and r.stdout.strip() != ""


@pytest.fixture
def veth():
    """A veth pair in this namespace, or None outside a named one (the root
    namespace's links are never touched)."""
    if os.geteuid() != 0 or not in_named_netns():
        yield None
        return
    subprocess.run(["ip", "link", "del", VETH], capture_output=True)
    subprocess.run(["ip", "link", "add", VETH, "type", "veth", "peer", "name", PEER],
                   check=True, capture_output=True)
    try:
        for cmd in (["ip", "addr", "add", VRRP_ADDR, "dev", VETH],
                    ["ip", "link", "set", VETH, "up"], ["ip", "link", "set", PEER, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
        yield VETH
    finally:
        subprocess.run(["ip", "link", "del", VETH], capture_output=True)


class AdvertCounter:
    """Counts VRRP packets (IP protocol 112) seen on the veth's peer."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.sock.bind((PEER, ETH_P_IP))
        self.sock.settimeout(0.05)

    def count_for(self, seconds):
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                frame = self.sock.recv(2048)
            except socket.timeout:
                continue
            if len(frame) > 23 and frame[14 + 9] == 112:
                n += 1
        return n

    def close(self):
        self.sock.close()


def config(level="debug", vrrp_interface=None):
    cfg = {
        "global": {"log_level": level},
        "defaults": {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
                     "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008},
        "server s1": {"address": "%s:5432" % NODE},
        "listen front": {"bind": "%s:%d" % LISTEN, "balance": "roundrobin",
                         "check": "HEAD /primary"},
    }
    if vrrp_interface:
        cfg["vrrp VI_LOG"] = {"interface": vrrp_interface, "state": "MASTER",
                              "virtual_router_id": 61, "priority": 255, "advert_int": "1s",
                              "virtual_ipaddress": "198.18.145.242/32"}
    return render(cfg)


def start(tmp_path, level="debug", env=None, stderr_pipe=None, vrrp_interface=None):
    """pgfront with stdout and stderr on pipes the test does not read."""
    path = tmp_path / "pgfront.ini"
    path.write_text(config(level, vrrp_interface))
    proc = subprocess.Popen([BINARY, "-f", str(path)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=stderr_pipe if stderr_pipe is not None else subprocess.PIPE,
                            env=env)
    if stderr_pipe is None:
        # one page: the pipe is full after a few dozen lines
        fcntl.fcntl(proc.stderr.fileno(), F_SETPIPE_SZ, 4096)
    deadline = time.monotonic() + 10
    while not is_listening(*LISTEN):
        assert proc.poll() is None, "pgfront exited with %s" % proc.returncode
        assert time.monotonic() < deadline, "pgfront not listening"
        time.sleep(0.05)
    return proc


def echo_session(timeout=5):
    with socket.create_connection(LISTEN, timeout=timeout) as s:
        s.sendall(startup_message() + b"ping")     # no server before the startup packet
        data = b""
        while len(data) < 4:
            chunk = s.recv(4 - len(data))
            if not chunk:
                break
            data += chunk
        return data


def wait_routable(timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if echo_session(timeout=1) == b"ping":
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "pgfront never routed to the node"
        time.sleep(0.05)


def read_all(f, quiet=1.0, limit=30):
    """What the pipe holds and what comes within QUIET seconds of silence."""
    fd = f.fileno()
    os.set_blocking(fd, False)
    out, last, start = b"", time.monotonic(), time.monotonic()
    while time.monotonic() - last < quiet and time.monotonic() - start < limit:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        if not data:
            break
        out += data
        last = time.monotonic()
    return out.decode(errors="replace")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out = read_all(proc.stderr, quiet=0.5) if proc.stderr else ""
    try:
        rc = proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return rc, out


def test_a_stderr_nobody_reads_costs_lines_not_sessions(tmp_path, http_stub, tcp_server, veth):
    checks = http_stub(NODE)
    tcp_server(NODE, 5432)
    adverts = AdvertCounter() if veth else None
    proc = start(tmp_path, vrrp_interface=veth)
    try:
        wait_routable()
        t0 = time.monotonic()
        for i in range(SESSIONS):
            # On a loop that waits for its log reader this times out at once.
            assert echo_session() == b"ping", "session %d" % i
        took = time.monotonic() - t0
        # The pipe is full and stays unread: checks go on, sessions are relayed,
        # and the VRRP MASTER keeps advertising (advert_int 1s).
        before = checks.request_count()
        if adverts:
            seen = adverts.count_for(3.5)
            print("%d VRRP adverts in 3.5 s with the log pipe full" % seen)
            assert seen >= 3, "VRRP adverts stopped"
        else:
            time.sleep(1.0)
        assert checks.request_count() - before >= 3, "health checks stopped"
        for _ in range(20):
            assert echo_session() == b"ping"
        out = read_all(proc.stderr)
    finally:
        rc, tail = stop(proc)
        if adverts:
            adverts.close()
    print("%d sessions in %.1f s" % (SESSIONS, took))
    out += tail
    assert rc == 0
    dropped = [int(n) for n in re.findall(r"pgfront\[warning\]: (\d+) log lines dropped\n", out)]
    assert dropped and sum(dropped) > 0, out[-2000:]
    sessions_logged = len(re.findall(r"pgfront\[info\]: front: .* -> s1: ", out))
    assert sessions_logged < SESSIONS + 21
    # Every line arrived whole: each starts with a timestamp and ends the way it should.
    for line in out.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} pgfront\[\w+\]: ", line), line
    assert "pgfront stopped" in out


def test_journal_stream_lines_carry_the_priority(tmp_path, http_stub, tcp_server):
    http_stub(NODE)
    tcp_server(NODE, 5432)
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    proc = start(tmp_path, level="info", env=env, stderr_pipe=w)
    os.close(w)
    reader = os.fdopen(r, "rb")
    try:
        wait_routable()
        echo_session()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(5)
    out = read_all(reader, quiet=0.3)
    reader.close()
    lines = out.splitlines()
    assert "<5>notice: pgfront stopped" in lines
    assert any(re.match(r"<5>notice: front/s1: INIT -> UP ", line) for line in lines), out
    assert any(re.match(r"<6>info: front: .* -> s1: ", line) for line in lines), out
    for line in lines:
        assert re.match(r"<[3-7]>(err|warning|notice|info|debug): ", line), line


def test_another_journal_stream_keeps_the_timestamps(tmp_path, http_stub, tcp_server):
    http_stub(NODE)
    tcp_server(NODE, 5432)
    env = dict(os.environ, JOURNAL_STREAM="1:2")
    proc = start(tmp_path, level="info", env=env)
    try:
        wait_routable()
    finally:
        rc, out = stop(proc)
    assert rc == 0
    assert re.search(r"^\d{4}-\d\d-\d\d .* pgfront\[notice\]: pgfront stopped$", out, re.M), out
