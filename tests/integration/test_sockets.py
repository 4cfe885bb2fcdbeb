"""The sockets pgfront sets up: every socket option's result is checked (a
failed IPV6_V6ONLY or TCP_NODELAY on a bind is an error, a failed TCP_NODELAY
on a server connection is logged and the session goes on), and TCP keepalive
on both sides of a session, read back from the kernel with ss, finds a client
whose host died. Client sockets get their options from the listening socket
(Linux copies them at accept): a reload gives a kept socket the new ones.

Faults are injected with tests/shim/libfault.so (LD_PRELOAD, see its
header); the dead client is a network namespace whose link goes down.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from helpers import REPO
from helpers.netns import Lab, NsPgfront
from helpers.fault import shim, shimmed  # noqa: F401 (shimmed: a fixture)
from helpers.pg import startup_message
from helpers.pgfront import BINARY, render

LISTEN = ("127.0.0.222", 6432)
HELPERS = os.path.join(REPO, "tests", "integration")


def client():
    """A client that has sent its StartupMessage: pgfront gives no server
    before (the stub server reads it first, as PostgreSQL would)."""
    c = socket.create_connection(LISTEN, timeout=5)
    c.sendall(startup_message())
    return c


def config(bind="%s:%d" % LISTEN, node="127.0.0.21", glob=None, listen=None):
    return {"global": {"log_level": "info", **(glob or {})},
            "defaults": {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "300ms",
                         "timeout_connect": "1s", "check_port": 8008},
            "server db": {"address": "%s:5432" % node},
            "listen front": {"bind": bind, "balance": "roundrobin",
                             "check": "HEAD /primary", **(listen or {})}}


def run_with_shim(tmp_path, cfg, env, timeout=10):
    """pgfront under the shim until it exits by itself: (status, output)."""
    path = tmp_path / "pgfront.ini"
    path.write_text(render(cfg))
    out = subprocess.run([BINARY, "-f", str(path)], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "LD_PRELOAD": shim(), **env})
    return out.returncode, out.stdout + out.stderr


def echo_once(sock, data=b"ping"):
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(100)
        assert chunk, "the session closed"
        got += chunk
    assert got == data


# -- setsockopt results -------------------------------------------------------

def test_a_failed_ipv6_v6only_is_a_bind_error(tmp_path):
    """Without IPV6_V6ONLY, [::]:P would also take IPv4 clients: the bind
    would not mean what the file says. pgfront refuses to start."""
    rc, out = run_with_shim(tmp_path, config(bind="[::1]:6432"),
                            {"PGFRONT_FAULT_SETSOCKOPT": "IPV6_V6ONLY"})
    assert rc == 1, out
    assert re.search(r"cannot bind front to ::1:6432: setsockopt IPV6_V6ONLY: "
                     r"Protocol not available", out), out


def test_a_failed_so_reuseaddr_is_a_bind_error(tmp_path):
    rc, out = run_with_shim(tmp_path, config(), {"PGFRONT_FAULT_SETSOCKOPT": "SO_REUSEADDR"})
    assert rc == 1, out
    assert "cannot bind front to 127.0.0.222:6432: setsockopt SO_REUSEADDR" in out, out


def reload_failing(shimmed, tmp_path, option, line):
    """pgfront with a session open, then reloaded with LINE added to [listen
    front] while setsockopt of OPTION fails: (pgfront, the session's client
    socket, the log mark from before the reload)."""
    flag = tmp_path / "fail-now"
    pf = shimmed(config(), PGFRONT_FAULT_SETSOCKOPT=option, PGFRONT_FAULT_WHILE=str(flag))
    c = client()
    echo_once(c)
    flag.write_text("")
    with open(pf.config_path, "a") as f:
        f.write(line + "\n")                     # the last section is [listen front]
    mark = pf.log_mark()
    pf.send_signal(signal.SIGHUP)
    return pf, c, mark


def test_a_failed_bind_option_on_reload_changes_nothing(shimmed, http_stub, tcp_server,
                                                        tmp_path):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    pf, c, mark = reload_failing(shimmed, tmp_path, "IPV6_V6ONLY", "bind = [::1]:6433")
    with c:
        pf.wait_log(r"reload: .*setsockopt IPV6_V6ONLY: Protocol not available; running on "
                    r"with the previous configuration", since=mark)
        echo_once(c)                              # the session is untouched
    with client() as c:
        echo_once(c)                              # and the old bind still serves


def test_a_failed_tcp_nodelay_on_a_bind_is_an_error(tmp_path):
    """Every client of the bind would go without it: pgfront refuses to start."""
    rc, out = run_with_shim(tmp_path, config(), {"PGFRONT_FAULT_SETSOCKOPT": "TCP_NODELAY"})
    assert rc == 1, out
    assert "cannot bind front to 127.0.0.222:6432: setsockopt TCP_NODELAY" in out, out


def test_a_failed_tcp_nodelay_is_logged_and_the_session_goes_on(shimmed, http_stub,
                                                                tcp_server, tmp_path):
    """On a server connection, made after the bind: the session relays as
    well without it, and the failure is said."""
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    flag = tmp_path / "fail-now"
    pf = shimmed(config(), PGFRONT_FAULT_SETSOCKOPT="TCP_NODELAY",
                 PGFRONT_FAULT_WHILE=str(flag))
    flag.write_text("")
    for _ in range(20):
        with client() as c:
            echo_once(c)
    said = re.findall(r"front: (\S+): setsockopt TCP_NODELAY: Protocol not "
                      r"available; the session goes on without it", pf.log())
    assert 1 <= len(said) <= 6, pf.log()          # 20 failures, rate-limited to 5 per 10 s
    assert set(said) == {"db"}, said


# -- TCP keepalive ------------------------------------------------------------

def keepalive_timers(ss_out, local=None, peer=None):
    """The keepalive timer (seconds left) of each established socket ss lists
    with that local or peer address ("HOST:PORT")."""
    timers = []
    for line in ss_out.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "ESTAB":
            continue
        if (local and fields[3] != local) or (peer and fields[4] != peer):
            continue
        m = re.search(r"timer:\(keepalive,([^,]+),", line)     # "59sec", "1min39sec", "780ms"
        timers.append(None if not m else
                      sum(float(n) * {"ms": 0.001, "sec": 1, "min": 60}[unit]
                          for n, unit in re.findall(r"([\d.]+)(ms|sec|min)", m.group(1))))
    return timers


def test_keepalive_is_off_when_asked(pgfront, http_stub, tcp_server):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    pgfront(config(listen={"tcp_keepalive": "off"}), wait_log=r"front/db: \w+ -> UP")
    with client() as c:
        echo_once(c)
        out = subprocess.run(["ss", "-tno"], capture_output=True, text=True).stdout
        assert keepalive_timers(out, local="%s:%d" % LISTEN) == [None], out
        assert keepalive_timers(out, peer="127.0.0.21:5432") == [None], out


def client_keepalive(local_port):
    """The keepalive timer of pgfront's end of the session whose client is
    at 127.0.0.1:LOCAL_PORT (seconds left, or None)."""
    out = subprocess.run(["ss", "-tno"], capture_output=True, text=True).stdout
    timers = keepalive_timers(out, local="%s:%d" % LISTEN, peer="127.0.0.1:%d" % local_port)
    assert len(timers) == 1, out
    return timers[0]


def test_a_reload_gives_new_clients_the_new_keepalive(pgfront, http_stub, tcp_server):
    """The listening socket stays across the reload and carries the options
    its clients get: new ones get the new keepalive, the old keep theirs."""
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    def reload(cfg):
        with open(pf.config_path, "w") as f:
            f.write(render(cfg))
        mark = pf.log_mark()
        pf.send_signal(signal.SIGHUP)
        pf.wait_log(r"reload: \S+ applied", since=mark)

    pf = pgfront(config(glob={"tcp_keepidle": "100s"}), wait_log=r"front/db: \w+ -> UP")
    with client() as before:
        echo_once(before)
        assert 90 < client_keepalive(before.getsockname()[1]) <= 100
        reload(config(glob={"tcp_keepidle": "100s"}, listen={"tcp_keepidle": "10s"}))
        with client() as after:
            echo_once(after)
            assert 0 < client_keepalive(after.getsockname()[1]) <= 10
            assert 80 < client_keepalive(before.getsockname()[1]) <= 100
        reload(config(listen={"tcp_keepalive": "off"}))
        with client() as off:
            echo_once(off)
            assert client_keepalive(off.getsockname()[1]) is None
        echo_once(before)


def test_a_failed_option_on_a_kept_bind_is_logged_and_the_reload_goes_on(
        shimmed, http_stub, tcp_server, tmp_path):
    http_stub("127.0.0.21")
    tcp_server("127.0.0.21", 5432)
    pf, c, mark = reload_failing(shimmed, tmp_path, "TCP_KEEPIDLE", "tcp_keepidle = 30s")
    with c:
        pf.wait_log(r"reload: front: 127\.0\.0\.222:6432: setsockopt TCP_KEEPIDLE: Protocol "
                    r"not available; its new clients go without it", since=mark)
        pf.wait_log(r"reload: \S+ applied", since=mark)
        echo_once(c)                              # the session is untouched
        with client() as new:
            echo_once(new)                        # and the bind still serves


# A stub node on the balancer's loopback: Patroni's API answering 200 and
# PostgreSQL as an echo server (tests/integration/helpers/stubs.py).
NODE = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from helpers.stubs import HttpStub, TcpServer
HttpStub("127.0.0.1"); TcpServer("127.0.0.1", 5432)
print("ready", flush=True)
time.sleep(3600)
"""

# A client that connects, checks one echo, says so, then stays silent.
CLIENT = r"""
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(struct.pack("!II", 13, 196608) + b"u\0x\0\0" + b"ping")   # StartupMessage first
assert s.recv(4) == b"ping"
print("connected %s:%d" % s.getsockname(), flush=True)
time.sleep(3600)
"""


@pytest.fixture
def lab():
    with Lab("pgft-ka") as lab:
        yield lab


def test_keepalive_on_both_sides_finds_a_dead_client(lab, tmp_path):
    lb = lab.host("lb", "198.18.145.61")
    cli = lab.host("cli", "198.18.145.62")
    lab.wait_link()
    node = lb.popen(sys.executable, "-c", NODE, HELPERS, stdout=subprocess.PIPE, text=True)
    client = None
    try:
        assert node.stdout.readline().strip() == "ready"
        cfg = config(bind="198.18.145.61:6432", node="127.0.0.1",
                     glob={"tcp_keepidle": "2s", "tcp_keepintvl": "1s"},
                     listen={"tcp_keepcnt": "2"})
        pf = NsPgfront(lb, cfg, str(tmp_path / "pf"))
        pf.start()
        pf.wait_listening()
        pf.wait_log(r"front/db: \w+ -> UP")
        client = cli.popen(sys.executable, "-c", CLIENT, "198.18.145.61", "6432",
                           stdout=subprocess.PIPE, text=True)
        line = client.stdout.readline().strip()
        assert line.startswith("connected 198.18.145.62:"), line
        peer = line.split()[1]

        # Both of pgfront's sockets carry a keepalive timer of at most tcp_keepidle;
        # the stub's own end (which set nothing) has none.
        out = lb.run("ss", "-tno").stdout
        assert [t is not None and t <= 2 for t in keepalive_timers(out, peer=peer)] == [True], out
        assert [t is not None and t <= 2
                for t in keepalive_timers(out, peer="127.0.0.1:5432")] == [True], out
        assert keepalive_timers(out, local="127.0.0.1:5432") == [None], out

        # The client's host vanishes: no FIN, no RST, its packets just stop.
        mark = pf.log_mark()
        cli.run("ip", "link", "set", "eth0", "down")
        pf.wait_log(r"front: %s -> db: client error" % re.escape(peer), timeout=15,
                    since=mark)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:       # the server side is released too
            out = lb.run("ss", "-tn").stdout
            if not re.search(r"ESTAB.*127\.0\.0\.1:5432", out):
                break
            time.sleep(0.1)
        assert not re.search(r"ESTAB.*127\.0\.0\.1:5432", out), out
        assert pf.stop() == 0
    finally:
        for p in (client, node):
            if p and p.poll() is None:
                p.kill()
                p.wait()
