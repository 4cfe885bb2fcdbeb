"""Operating pgfront without dropping sessions: SIGHUP reloads the file
(keeping sessions to servers that remain and the health of unchanged checks),
a bad file changes nothing, SIGUSR1 stops softly (hard_stop_after bounds it).

Stub nodes on 127.0.0.21-23; pgfront listens on 127.0.0.222:6432 and :6433.
"""

import signal
import socket
import time

import pytest

from helpers import echo
from helpers.pg import startup_message

FAST = {"inter": "200ms", "fall": 2, "rise": 1, "timeout_check": "1s",
        "check_port": 8008}
PORT_A, PORT_B = 6432, 6433


def config(servers, listeners, glob=None):
    """SERVERS: name -> host; LISTENERS: name -> (port, [server names])."""
    cfg = {"global": {"log_level": "info", **(glob or {})}, "defaults": dict(FAST)}
    for name, host in servers.items():
        cfg["server %s" % name] = {"address": "%s:5432" % host}
    for name, (port, members) in listeners.items():
        cfg["listen %s" % name] = {"bind": "127.0.0.222:%d" % port, "balance": "roundrobin",
                                   "check": "HEAD /primary", "servers": ", ".join(members)}
    return cfg


def render(cfg):
    return "".join("[%s]\n%s\n" % (section, "".join("%s = %s\n" % kv for kv in keys.items()))
                   for section, keys in cfg.items())


def session(port):
    """A relayed session to an echo server, proven by a round trip."""
    c = socket.create_connection(("127.0.0.222", port), timeout=5)
    c.sendall(startup_message())        # no server before the startup packet
    assert echo(c, b"hello")
    return c


def closed_by_peer(c, timeout=3):
    c.settimeout(timeout)
    try:
        return c.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def nodes(http_stub, tcp_server):
    for i in (1, 2, 3):
        http_stub("127.0.0.2%d" % i)
        tcp_server("127.0.0.2%d" % i, 5432)
    return {"n1": "127.0.0.21", "n2": "127.0.0.22", "n3": "127.0.0.23"}


def reload(p, text):
    with open(p.config_path, "w") as f:
        f.write(text)
    mark = p.log_mark()
    p.send_signal(signal.SIGHUP)
    return mark


def test_reload_with_a_bad_file_keeps_serving(pgfront, nodes):
    p = pgfront(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])}))
    p.wait_log(r"a/n1: INIT -> UP")
    open_session = session(PORT_A)
    mark = reload(p, render(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])}))
                  .replace("200ms", "200"))
    p.wait_log(r"reload: \S+ is invalid; running on with the previous configuration",
               since=mark)
    p.wait_log(r"\[err\]: \S+:\d+: \[defaults\] inter: invalid value '200'", since=mark)
    assert echo(open_session, b"still here")
    with session(PORT_A):
        pass
    open_session.close()


def test_reload_keeps_sessions_and_health_of_what_remains(pgfront, nodes):
    before = config({"n1": nodes["n1"], "n2": nodes["n2"]},
                    {"a": (PORT_A, ["n1"]), "b": (PORT_B, ["n2"])})
    p = pgfront(before)
    p.wait_log(r"a/n1: INIT -> UP")
    p.wait_log(r"b/n2: INIT -> UP")
    kept = session(PORT_A)              # a/n1 stays
    doomed = session(PORT_B)            # listener b goes away

    after = config({"n1": nodes["n1"], "n3": nodes["n3"]},
                   {"a": (PORT_A, ["n3", "n1"]), "c": (6434, ["n3"])})
    mark = reload(p, render(after))
    p.wait_log(r"reload: \S+ applied: 2 listener\(s\), 2 server\(s\)", since=mark)

    assert echo(kept, b"unrelated change, same session")
    assert closed_by_peer(doomed)
    p.wait_log(r"b: \S+ -> n2: removed from the configuration", since=mark)
    # a/n1's health carried over: no new INIT for it, and a/n3 is new.
    p.wait_log(r"a/n3: INIT -> UP", since=mark)
    assert "a/n1: INIT" not in p.log()[mark:]
    with socket.socket() as s:          # b's port is closed, c's is open
        assert s.connect_ex(("127.0.0.222", PORT_B)) != 0
    p.wait_log(r"c/n3: INIT -> UP", since=mark)
    with session(6434):
        pass
    kept.close()


def test_reload_that_cannot_bind_changes_nothing(pgfront, nodes):
    p = pgfront(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])}))
    p.wait_log(r"a/n1: INIT -> UP")
    open_session = session(PORT_A)
    with socket.socket() as squatter:   # someone else holds the new port
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # past TIME_WAITs
        squatter.bind(("127.0.0.222", PORT_B))
        squatter.listen(1)
        mark = reload(p, render(config({"n1": nodes["n1"]},
                                       {"a": (PORT_A, ["n1"]), "b": (PORT_B, ["n1"])})))
        p.wait_log(r"reload: cannot bind b to 127\.0\.0\.222:6433: Address already in use; "
                   r"running on with the previous configuration", since=mark)
    assert echo(open_session, b"untouched")
    open_session.close()


def test_soft_stop_lets_an_open_session_finish(pgfront, nodes):
    p = pgfront(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])}))
    p.wait_log(r"a/n1: INIT -> UP")
    open_session = session(PORT_A)
    p.send_signal(signal.SIGUSR1)
    p.wait_log(r"soft stop: listeners closed, waiting for 1 session\(s\)")
    with socket.socket() as s:          # no new clients
        assert s.connect_ex(("127.0.0.222", PORT_A)) != 0
    time.sleep(0.5)
    assert echo(open_session, b"finishing my work")
    assert p.alive()
    open_session.close()
    p.wait_log(r"soft stop: every session has ended")
    p.proc.wait(5)
    assert p.stop() == 0


def test_soft_stop_is_bounded_by_hard_stop_after(pgfront, nodes):
    p = pgfront(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])},
                       glob={"hard_stop_after": "1s"}))
    p.wait_log(r"a/n1: INIT -> UP")
    open_session = session(PORT_A)
    started = time.monotonic()
    p.send_signal(signal.SIGUSR1)
    p.proc.wait(5)
    waited = time.monotonic() - started
    assert p.stop() == 0
    assert 0.9 <= waited < 4, waited
    assert closed_by_peer(open_session)
    assert "soft stop: hard_stop_after reached, closing 1 session(s)" in p.log()
    open_session.close()


def test_a_second_stop_signal_lets_the_first_finish(pgfront, nodes):
    """Ctrl-C in a terminal reaches pgfront and whatever started it, which
    may pass it on as SIGTERM (scripts/demo does): the stop already under
    way finishes, closing the sessions, and pgfront exits 0, not killed."""
    p = pgfront(config({"n1": nodes["n1"]}, {"a": (PORT_A, ["n1"])}))
    p.wait_log(r"a/n1: INIT -> UP")
    open_sessions = [session(PORT_A) for _ in range(20)]
    p.send_signal(signal.SIGINT)
    p.wait_log(r"signal 2: closing listeners and sessions")
    for _ in range(20):
        p.send_signal(signal.SIGTERM)
        if p.proc.poll() is not None:
            break
        time.sleep(0.001)
    p.proc.wait(5)
    assert p.stop() == 0, p.log()              # not -15: killed by a SIGTERM
    assert "pgfront stopped" in p.log()
    for c in open_sessions:
        assert closed_by_peer(c)
        c.close()
