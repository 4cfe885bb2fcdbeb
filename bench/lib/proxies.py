"""The two proxies under test, configured alike from the seed's haproxy.cfg
(section 4.4 of the seed document), translated to loopback: the three
ubn-pgsql-N nodes become 127.0.0.51 (the primary), .54 and .55 (replicas:
the same PostgreSQL answers there; only their Patroni stand-ins differ)."""

import os
import re
import resource
import signal
import socket
import subprocess
import time

from . import (HAPROXY_HOST, IDLE_PORT, IDLE_SERVER_PORT, PG_HOST, PG_PORT, PGFRONT_BIN,
               PGFRONT_HOST, READ_PORT, REPLICA_HOSTS, REST_PORT, RUN_DIR, STATS_PORT)

NODES = (("ubn-pgsql-1", PG_HOST),) + tuple(
    ("ubn-pgsql-%d" % (i + 2), h) for i, h in enumerate(REPLICA_HOSTS))
NOFILE = 65536
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The seed's haproxy.cfg, addresses translated. Nothing else changed: no
# nbthread (so HAProxy runs a thread per CPU, its default), no log target.
HAPROXY_CFG = """\
global
	maxconn 200

defaults
	log	global
	mode	tcp
	retries 2
	timeout client 30m
	timeout connect 4s
	timeout server 30m
	timeout check 5s

listen stats
	mode http
	bind {h}:{stats}
	stats enable
	stats uri /

listen postgres_write
	bind {h}:{pg}
	option httpchk HEAD /primary
	http-check expect status 200
	default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions
{write_servers}
listen postgres_read
	balance roundrobin
	bind {h}:{read}
	option httpchk HEAD /replica
	http-check expect status 200
	default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions
{read_servers}"""

# The idle-connection row: 10,000 sessions need maxconn far above the seed's
# 200/90, and a plain TCP server behind, since PostgreSQL's
# max_connections would stop far earlier.
HAPROXY_IDLE_CFG = """\
global
	maxconn {maxconn}

defaults
	mode	tcp
	timeout client 30m
	timeout connect 4s
	timeout server 30m
	timeout check 5s

listen idle
	bind {h}:{port}
	option httpchk HEAD /primary
	http-check expect status 200
	default-server inter 3s fall 3 rise 2
	server hold {server}:{server_port} check port {rest}
"""

# examples/pgfront.ini (the same haproxy.cfg translated by pgfront's own
# table), with the same loopback addresses. log_level notice: HAProxy logs
# nothing here (the seed's "log global" has no target), so pgfront is not
# asked to write a line per session either.
PGFRONT_INI = """\
[global]
maxconn = 200
log_level = notice
{threads_line}
[defaults]
retries = 2
timeout_connect = 4s
timeout_client = 30m
timeout_server = 30m
timeout_check = 5s
timeout_queue = 4s
inter = 3s
fall = 3
rise = 2
on_marked_down = shutdown-sessions
check_port = {rest}
maxconn = 90

{servers}[listen postgres_write]
bind = {h}:{pg}
balance = single
check = HEAD /primary
expect_status = 200

[listen postgres_read]
bind = {h}:{read}
balance = roundrobin
check = HEAD /replica
expect_status = 200
"""

PGFRONT_IDLE_INI = """\
[global]
maxconn = {maxconn}
log_level = notice

[defaults]
timeout_connect = 4s
timeout_client = 30m
timeout_server = 30m
timeout_check = 5s
inter = 3s
fall = 3
rise = 2
check_port = {rest}
maxconn = 0

[server hold]
address = {server}:{server_port}

[listen idle]
bind = {h}:{port}
balance = single
check = HEAD /primary
"""


# The scaling row: one listener in front of pgstub (bench/soak/pgstub) on
# PG_HOST:SCALE_STUB_PORT, checked through the primary's Patroni stand-in;
# each proxy process its own port, so that all four run side by side. The
# threads are set explicitly (pgfront's default is one per CPU it may use).
HAPROXY_SCALE_CFG = """\
global
	maxconn 2000
	nbthread {threads}

defaults
	mode	tcp
	timeout client 30m
	timeout connect 4s
	timeout server 30m
	timeout check 5s

listen scale
	bind {h}:{port}
	option httpchk HEAD /primary
	http-check expect status 200
	default-server inter 2s fall 3 rise 1
	server stub {server}:{server_port} check port {rest}
"""

PGFRONT_SCALE_INI = """\
[global]
maxconn = 2000
log_level = notice
{threads_line}
[defaults]
timeout_connect = 4s
timeout_client = 30m
timeout_server = 30m
timeout_check = 5s
inter = 2s
fall = 3
rise = 1
check_port = {rest}
maxconn = 0

[server stub]
address = {server}:{server_port}

[listen scale]
bind = {h}:{port}
balance = single
check = HEAD /primary
expect_status = 200
"""

SCALE_STUB_PORT = 6432
SCALE_PORT_BASE = 6100        # a proxy with N threads listens on 6100 + N


def scale_port(threads):
    return SCALE_PORT_BASE + threads


def scale_config(kind, threads, with_threads_key=True):
    """The scaling row's configuration of KIND with THREADS event loops
    (pgfront: [global] threads; HAProxy: nbthread)."""
    if kind == "haproxy":
        return HAPROXY_SCALE_CFG.format(h=HAPROXY_HOST, port=scale_port(threads), threads=threads,
                                        server=PG_HOST, server_port=SCALE_STUB_PORT,
                                        rest=REST_PORT)
    return PGFRONT_SCALE_INI.format(
        h=PGFRONT_HOST, port=scale_port(threads), server=PG_HOST, server_port=SCALE_STUB_PORT,
        rest=REST_PORT, threads_line="threads = %d\n" % threads if with_threads_key else "")


def pgfront_check(config_text, path):
    """pgfront -c on CONFIG_TEXT: (ok, its messages)."""
    with open(path, "w") as f:
        f.write(config_text)
    p = subprocess.run([PGFRONT_BIN, "-c", "-f", path], capture_output=True,
                       text=True, timeout=30)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def haproxy_config():
    def servers():
        return "".join("\tserver %s %s:%d maxconn 90 check port %d\n" % (n, a, PG_PORT, REST_PORT)
                       for n, a in NODES)
    return HAPROXY_CFG.format(h=HAPROXY_HOST, stats=STATS_PORT, pg=PG_PORT, read=READ_PORT,
                              write_servers=servers(), read_servers=servers())


def pgfront_config():
    """The main rows' pgfront: its default threads (one per CPU), or
    BENCH_PGFRONT_THREADS to compare another count."""
    servers = "".join("[server %s]\naddress = %s:%d\n\n" % (n, a, PG_PORT) for n, a in NODES)
    threads = os.environ.get("BENCH_PGFRONT_THREADS", "")
    return PGFRONT_INI.format(h=PGFRONT_HOST, pg=PG_PORT, read=READ_PORT, rest=REST_PORT,
                              servers=servers,
                              threads_line="threads = %s\n" % threads if threads else "")


def idle_config(kind, maxconn):
    f = HAPROXY_IDLE_CFG if kind == "haproxy" else PGFRONT_IDLE_INI
    return f.format(h=HAPROXY_HOST if kind == "haproxy" else PGFRONT_HOST, port=IDLE_PORT,
                    maxconn=maxconn, server=PG_HOST, server_port=IDLE_SERVER_PORT,
                    rest=REST_PORT)


def process_cpu_seconds(pid):
    """utime + stime of process PID (every thread), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _raise_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    n = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


class Proxy:
    """One proxy process, in the foreground, its output to a log file."""

    def __init__(self, kind, config_text, tag, cpus=None):
        self.kind = kind
        self.cpus = cpus                  # a set of CPUs to pin it to, or None
        self.host = HAPROXY_HOST if kind == "haproxy" else PGFRONT_HOST
        ext = "cfg" if kind == "haproxy" else "ini"
        self.config = os.path.join(RUN_DIR, "%s-%s.%s" % (kind, tag, ext))
        self.log = os.path.join(RUN_DIR, "%s-%s.log" % (kind, tag))
        with open(self.config, "w") as f:
            f.write(config_text)
        if kind == "haproxy":
            self.cmd = ["/usr/sbin/haproxy", "-db", "-f", self.config]
        else:
            self.cmd = [PGFRONT_BIN, "-f", self.config]
        self.proc = None

    def start(self):
        self._log = open(self.log, "w")
        # pgfront leaves its open-files limit as it finds it; HAProxy
        # raises its own from maxconn. Both get the same ceiling here.
        cpus = self.cpus

        def prepare():
            _raise_nofile()
            if cpus:
                os.sched_setaffinity(0, cpus)
        self.proc = subprocess.Popen(self.cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=prepare)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def cpu_seconds(self):
        return process_cpu_seconds(self.pid)

    def rss_bytes(self):
        with open("/proc/%d/status" % self.pid) as f:
            m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1)) * 1024

    def threads(self):
        return len(os.listdir("/proc/%d/task" % self.pid))

    def wait_routing(self, port, probe, timeout=30):
        """Wait until PROBE() (a connection through the proxy) succeeds:
        pgfront starts servers DOWN and needs `rise` checks."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if probe():
                    return
            except Exception as e:            # noqa: BLE001 - any failure: retry
                last = e
            time.sleep(0.25)
        raise RuntimeError("%s on %s:%d not routing after %ds (last: %s); log %s:\n%s"
                           % (self.kind, self.host, port, timeout, last, self.log,
                              self.tail()))

    def tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._log.close()


def can_connect(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
