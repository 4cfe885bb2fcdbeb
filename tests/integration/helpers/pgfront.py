"""Running the pgfront binary under test, and writing its configuration."""

import os
import re
import signal
import socket
import subprocess
import time

from . import REPO
from .cluster import NODES, PG_PORT, REST_PORT
from .pg import VIP

BINARY = os.environ.get("PGFRONT_BINARY", os.path.join(REPO, "pgfront"))
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                          r"ThreadSanitizer|runtime error:")
WRITE_PORT = 5432
READ_PORT = 5433


def render(config):
    """INI text from a str (as is) or a dict {section: {key: value}}.

    Section names are written as given ("global", "server pg1",
    "listen postgres_write"); values with str()."""
    if isinstance(config, str):
        return config
    lines = []
    for section, keys in config.items():
        lines.append("[%s]" % section)
        for k, v in keys.items():
            lines.append("%s = %s" % (k, v))
        lines.append("")
    return "\n".join(lines)


def is_listening(host, port):
    """Whether a TCP socket listens on HOST:PORT, read from /proc/net/tcp so
    that asking opens no session in pgfront."""
    want = "%s:%04X" % (socket.inet_aton(host)[::-1].hex().upper(), port)
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":      # 0A: TCP_LISTEN
                return True
    return False


def listen_addresses(text):
    """(host, port) of every `bind` in an INI text."""
    out = []
    for m in re.finditer(r"^\s*bind\s*=\s*([0-9.]+):(\d+)", text, re.M):
        out.append((m.group(1), int(m.group(2))))
    return out


def patroni_config(inter="500ms", fall=2, rise=1, nodes=NODES, extra_listens=None,
                   **defaults):
    """pgfront in front of the local cluster, as HAProxy was in the seed setup:
    postgres_write on VIP:5432 (HEAD /primary), postgres_read on VIP:5433
    (HEAD /replica, round-robin).  Keyword arguments override [defaults]."""
    d = {
        "retries": 2,
        "timeout_connect": "2s",
        "timeout_client": "30m",
        "timeout_server": "30m",
        "timeout_check": "2s",
        "timeout_queue": "2s",
        "inter": inter,
        "fall": fall,
        "rise": rise,
        "on_marked_down": "shutdown-sessions",
        "check_port": REST_PORT,
        "maxconn": 90,
    }
    d.update(defaults)
    cfg = {"global": {"maxconn": 200, "log_level": "info"}, "defaults": d}
    for name, addr in nodes.items():
        cfg["server %s" % name] = {"address": "%s:%d" % (addr, PG_PORT)}
    cfg["listen postgres_write"] = {"bind": "%s:%d" % (VIP, WRITE_PORT),
                                    "balance": "single", "check": "HEAD /primary",
                                    "expect_status": 200}
    cfg["listen postgres_read"] = {"bind": "%s:%d" % (VIP, READ_PORT),
                                   "balance": "roundrobin", "check": "HEAD /replica",
                                   "expect_status": 200}
    for name, keys in (extra_listens or {}).items():
        cfg["listen %s" % name] = keys
    return cfg


class PgfrontError(AssertionError):
    pass


class Pgfront:
    """One pgfront process: `pgfront -f CONFIG`, stdout and stderr to a log."""

    def __init__(self, config, workdir, binary=BINARY, args=()):
        self.text = render(config)
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.config_path = os.path.join(workdir, "pgfront.ini")
        self.log_path = os.path.join(workdir, "pgfront.log")
        with open(self.config_path, "w") as f:
            f.write(self.text)
        self.binary = binary
        self.args = list(args)
        self.proc = None
        self.returncode = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "-f", self.config_path, *self.args],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=self.workdir)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_mark(self):
        """Offset to pass as wait_log(since=...) to see only later lines."""
        return len(self.log())

    def tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def _died(self, what):
        return PgfrontError("pgfront exited (status %s) %s; log:\n%s"
                            % (self.proc.returncode, what, self.tail()))

    def wait_listening(self, timeout=10):
        """Wait until every bind address of the config accepts connections."""
        deadline = time.monotonic() + timeout
        for host, port in listen_addresses(self.text):
            while True:
                if not self.alive():
                    raise self._died("before listening on %s:%d" % (host, port))
                if is_listening(host, port):
                    break
                if time.monotonic() > deadline:
                    raise PgfrontError("pgfront not listening on %s:%d after %ss; log:\n%s"
                                       % (host, port, timeout, self.tail()))
                time.sleep(0.05)

    def wait_log(self, pattern, timeout=10, since=0):
        """Wait for a log line matching PATTERN (a regex) past offset SINCE;
        returns the re.Match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(), since)
            if m:
                return m
            if not self.alive():
                raise self._died("while waiting for /%s/" % pattern)
            if time.monotonic() > deadline:
                raise PgfrontError("no log line /%s/ within %ss; log:\n%s"
                                   % (pattern, timeout, self.tail()))
            time.sleep(0.05)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Send SIG and wait; returns the exit status (kill -9 after TIMEOUT
        and raise)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                raise PgfrontError("pgfront ignored %s for %ss; killed. log:\n%s"
                                   % (signal.Signals(sig).name, timeout, self.tail()))
        self._log.close()
        self.returncode = self.proc.returncode
        return self.returncode

    def sanitizer_reports(self):
        return [line for line in self.log().splitlines() if SANITIZER_RE.search(line)]
