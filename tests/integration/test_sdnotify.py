"""pgfront under systemd's Type=notify, as systemd sees it: the test plays the
service manager with a NOTIFY_SOCKET of its own (an AF_UNIX datagram socket
in a temporary directory) and reads what the real ./pgfront sends.

- READY=1 only once the listen ports accept (systemd then starts what is
  ordered after pgfront);
- SIGHUP: RELOADING=1 (with MONOTONIC_USEC, which systemd 253+ wants), then
  READY=1 once the new file is applied, or refused (a reload job must end);
- SIGTERM: STOPPING=1; SIGUSR1 (soft stop): no STOPPING=1 until the last
  session ends (systemd would SIGKILL after TimeoutStopSec);
- WATCHDOG_USEC: WATCHDOG=1 at half the period, from the event loop (none
  while the loop is stopped), and none when WATCHDOG_PID names another process.

systemd itself is not PID 1 on the test machine, so no test starts a real
unit (systemd-run); debian/tests and systemd-analyze verify cover the file.
"""

import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from helpers.pgfront import BINARY, is_listening

HOST = "127.0.0.1"
PORT = 25432
PORT2 = 25433


def config(port=PORT, extra=""):
    return """\
[global]
log_level = info
[server pg1]
address = 127.0.0.1:1
check_port = 1
[listen write]
bind = %s:%d
balance = single
check = HEAD /primary
%s""" % (HOST, port, extra)


class Manager:
    """A stand-in for systemd's side of sd_notify(3)."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.proc = None
        self.log = open(tmp_path / "pgfront.log", "ab")
        self.log_path = tmp_path / "pgfront.log"

    def start(self, conf_path, **env):
        e = dict(os.environ, NOTIFY_SOCKET=self.path)
        e.pop("WATCHDOG_USEC", None)
        e.pop("WATCHDOG_PID", None)
        e.update({k: str(v) for k, v in env.items()})
        self.proc = subprocess.Popen([BINARY, "-f", str(conf_path)], env=e,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def recv(self, timeout):
        """The next message as {FIELD: value}, or None after TIMEOUT s."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.decode().split("\n") if line)

    def expect(self, field, timeout=10, skip=("WATCHDOG",)):
        """Wait for a message carrying FIELD=1; any other message but those in
        SKIP is a failure (the order is the point)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            msg = self.recv(max(left, 0.01))
            if msg is None:
                pytest.fail("no %s=1 within %ss; pgfront log:\n%s"
                            % (field, timeout, self.log_path.read_text()))
            if msg.get(field) == "1":
                return msg
            if not any(k in msg for k in skip):
                pytest.fail("expected %s=1, got %r" % (field, msg))

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.log.close()


@pytest.fixture
def manager(tmp_path):
    m = Manager(tmp_path)
    yield m
    m.close()


def test_ready_reload_stop(manager, tmp_path):
    conf = tmp_path / "pgfront.ini"
    conf.write_text(config())
    proc = manager.start(conf)

    ready = manager.expect("READY")
    assert is_listening(HOST, PORT), "READY=1 before the listen port was bound"
    assert ready["STATUS"] == "1 listener(s), 1 server(s)"

    # A valid new file: RELOADING=1 with a current CLOCK_MONOTONIC, then READY=1
    # once the new listener is bound.
    conf.write_text(config(extra="[listen read]\nbind = %s:%d\ncheck = HEAD /replica\n"
                           % (HOST, PORT2)))
    before = time.monotonic()
    proc.send_signal(signal.SIGHUP)
    reloading = manager.expect("RELOADING")
    after = time.monotonic()
    usec = int(reloading["MONOTONIC_USEC"])
    assert before * 1e6 - 1000 <= usec <= after * 1e6 + 1000, (before, usec, after)
    ready = manager.expect("READY")
    assert is_listening(HOST, PORT2), "READY=1 before the new listener was bound"
    assert ready["STATUS"] == "2 listener(s), 1 server(s)"

    # An invalid file: the reload still ends with READY=1, and says it failed.
    conf.write_text("[listen broken\n")
    proc.send_signal(signal.SIGHUP)
    manager.expect("RELOADING")
    ready = manager.expect("READY")
    assert "failed" in ready["STATUS"], ready
    assert proc.poll() is None and is_listening(HOST, PORT2)

    proc.send_signal(signal.SIGTERM)
    manager.expect("STOPPING")
    assert proc.wait(10) == 0


def test_soft_stop_says_stopping_only_at_the_end(manager, tmp_path):
    conf = tmp_path / "pgfront.ini"
    conf.write_text(config())
    proc = manager.start(conf)
    manager.expect("READY")
    proc.send_signal(signal.SIGUSR1)
    msg = manager.recv(5)
    while msg is not None and "WATCHDOG" in msg:
        msg = manager.recv(5)
    # With no session, the soft stop ends at once: the status line first,
    # then STOPPING=1 from the real stop.
    assert msg is not None and "STOPPING" not in msg and "soft stop" in msg["STATUS"], msg
    manager.expect("STOPPING")
    assert proc.wait(10) == 0


def test_watchdog_pings_from_the_loop(manager, tmp_path):
    conf = tmp_path / "pgfront.ini"
    conf.write_text(config())
    proc = manager.start(conf, WATCHDOG_USEC=400000)
    # Pings start with the loop; READY=1 comes among them.
    manager.expect("READY", skip=("WATCHDOG",))
    pings = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        msg = manager.recv(deadline - time.monotonic())
        if msg and msg.get("WATCHDOG") == "1":
            pings.append(time.monotonic())
    # Every 0.2 s: about 10 in 2 s; a slow shared machine may lose a few.
    assert len(pings) >= 6, pings
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert max(gaps) < 0.4, gaps            # never a whole period without one

    # A stopped loop sends nothing: that is what gets a stuck pgfront restarted.
    proc.send_signal(signal.SIGSTOP)
    time.sleep(0.1)
    while manager.recv(0.05) is not None:
        pass
    assert manager.recv(0.8) is None
    proc.send_signal(signal.SIGCONT)
    assert manager.recv(2) == {"WATCHDOG": "1"}

    proc.send_signal(signal.SIGTERM)
    manager.expect("STOPPING")
    assert proc.wait(10) == 0


def test_no_watchdog_for_another_pid(manager, tmp_path):
    """WATCHDOG_PID names the process systemd watches; a child that inherits
    the variables (not ours) must not ping."""
    conf = tmp_path / "pgfront.ini"
    conf.write_text(config())
    proc = manager.start(conf, WATCHDOG_USEC=200000, WATCHDOG_PID=1)
    manager.expect("READY", skip=())
    assert manager.recv(0.6) is None
    proc.send_signal(signal.SIGTERM)
    manager.expect("STOPPING", skip=())
    assert proc.wait(10) == 0


def test_without_notify_socket_nothing_changes(tmp_path):
    conf = tmp_path / "pgfront.ini"
    conf.write_text(config())
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    proc = subprocess.Popen([BINARY, "-f", str(conf)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not is_listening(HOST, PORT):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "sd_notify" not in out, out


def test_started_as_the_configured_user(tmp_path):
    """systemd's User=pgfront with `[global] user = pgfront` in the file: pgfront
    is already that user and must start, not fail to switch to itself."""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody on this machine")
    # pytest's tmp_path is private to root: the file goes where nobody reads it.
    tmp = tempfile.TemporaryDirectory(prefix="pgfront-user-")
    os.chmod(tmp.name, 0o755)
    conf = os.path.join(tmp.name, "pgfront.ini")
    with open(conf, "w") as f:
        f.write(config().replace("[global]\n", "[global]\nuser = nobody\n"))
    os.chmod(conf, 0o644)
    proc = subprocess.Popen(["setpriv", "--reuid", str(nobody.pw_uid), "--regid",
                             str(nobody.pw_gid), "--clear-groups", BINARY, "-f", conf],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not is_listening(HOST, PORT):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        running = proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        tmp.cleanup()
    assert running, out
    assert proc.returncode == 0, out
