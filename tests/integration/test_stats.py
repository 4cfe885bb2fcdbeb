"""The stats page as its users see it: HAProxy's CSV columns (checked against
a capture from Debian's HAProxy 2.6), JSON, Prometheus metrics accepted by
promtool, the HTML page rendered by headless Chromium, Basic auth, and the
HTTP server's limits (oversized, malformed, slow, too many clients).

Fake nodes: HttpStub (Patroni's API) and TcpServer (PostgreSQL) on
127.0.0.31-33; pgfront listens on 127.0.0.222:70xx.
"""

import base64
import csv
import http.client
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from html.parser import HTMLParser

import pytest

from helpers import REPO
from helpers.pg import startup_message
from helpers.stubs import PatroniStub

HOST = "127.0.0.222"
NODES = {"ubn-pgsql-1": "127.0.0.31", "ubn-pgsql-2": "127.0.0.32", "ubn-pgsql-3": "127.0.0.33"}
AUTH = ("admin", "s3cret")
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_stats_haproxy-2.6.csv")
ARTIFACTS = os.path.join(REPO, "tests", "artifacts")
FAST = {"inter": "200ms", "fall": 3, "rise": 2, "timeout_check": "500ms",
        "timeout_connect": "1s", "timeout_queue": "1s", "check_port": 8008}


def config(stats_port, listen_ports=(7001, 7002), stats=None, nodes=NODES, defaults=None):
    """The seed's two listeners in front of NODES, and a [stats] section."""
    cfg = {"global": {"maxconn": 200, "log_level": "info"}, "defaults": {**FAST, **(defaults or {})}}
    for name, host in nodes.items():
        cfg["server %s" % name] = {"address": "%s:5432" % host}
    cfg["listen postgres_write"] = {"bind": "%s:%d" % (HOST, listen_ports[0]),
                                    "balance": "single", "check": "HEAD /primary"}
    cfg["listen postgres_read"] = {"bind": "%s:%d" % (HOST, listen_ports[1]),
                                   "balance": "roundrobin", "check": "HEAD /replica"}
    cfg["stats"] = {"bind": "%s:%d" % (HOST, stats_port), "uri": "/", "refresh": "5s",
                    "auth": "%s:%s" % AUTH, **(stats or {})}
    return cfg


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def request(port, path, method="GET", auth=AUTH, headers=None, body=None, timeout=5):
    """(status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    h = dict(headers or {})
    if auth:
        h["Authorization"] = basic(*auth)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def get_json(port, auth=AUTH):
    status, _, body = request(port, "/;json", auth=auth)
    assert status == 200, body
    return json.loads(body)


def statuses(doc):
    """{(listener, server): status} from the JSON document."""
    return {(l["name"], s["name"]): s["status"] for l in doc["listeners"] for s in l["servers"]}


def wait_statuses(port, want, timeout=10):
    """Poll the JSON until every (listener, server) in WANT shows its status."""
    deadline = time.monotonic() + timeout
    while True:
        got = statuses(get_json(port))
        if all(got.get(k) == v for k, v in want.items()):
            return got
        if time.monotonic() > deadline:
            raise AssertionError("statuses %s, want %s" % (got, want))
        time.sleep(0.1)


def raw(port, data, timeout=5, shut=False):
    """Send raw bytes; return everything answered until the server closes."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(answer):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert m, "not an HTTP answer: %r" % answer[:200]
    return int(m.group(1))


@pytest.fixture
def seed_cluster(tcp_server):
    """The seed's three nodes: -1 the primary, -2 a replica, -3 a node whose
    Patroni answers 503 to everything. Returns {name: PatroniStub}."""
    stubs = {}
    for name, role in (("ubn-pgsql-1", "primary"), ("ubn-pgsql-2", "replica"),
                       ("ubn-pgsql-3", "down")):
        stubs[name] = PatroniStub(NODES[name], role)
        tcp_server(NODES[name], 5432, "echo")
    yield stubs
    for stub in stubs.values():
        stub.stop()


SETTLED = {
    ("postgres_write", "ubn-pgsql-1"): "UP", ("postgres_write", "ubn-pgsql-2"): "DOWN",
    ("postgres_write", "ubn-pgsql-3"): "DOWN", ("postgres_read", "ubn-pgsql-1"): "DOWN",
    ("postgres_read", "ubn-pgsql-2"): "UP", ("postgres_read", "ubn-pgsql-3"): "DOWN",
}


def haproxy_header():
    """The static columns of the header Debian's HAProxy 2.6 printed (before '-')."""
    with open(FIXTURE) as f:
        names = f.readline()[2:].rstrip("\n").split(",")
    return names[:names.index("-")]


# -- CSV, JSON, metrics -------------------------------------------------------

def test_csv_has_haproxys_columns_and_rows(pgfront, seed_cluster):
    pgfront(config(7010, (7011, 7012)))
    wait_statuses(7010, SETTLED)
    status, headers, body = request(7010, "/;csv")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    text = body.decode()
    assert text.startswith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,")
    header = text.splitlines()[0][2:].split(",")
    assert header[-1] == ""                      # HAProxy ends every line with a comma
    assert header[:-1] == haproxy_header()
    rows = list(csv.DictReader(io.StringIO(text[2:])))
    assert [(r["pxname"], r["svname"]) for r in rows] == [
        ("postgres_write", "FRONTEND"), ("postgres_write", "ubn-pgsql-1"),
        ("postgres_write", "ubn-pgsql-2"), ("postgres_write", "ubn-pgsql-3"),
        ("postgres_write", "BACKEND"),
        ("postgres_read", "FRONTEND"), ("postgres_read", "ubn-pgsql-1"),
        ("postgres_read", "ubn-pgsql-2"), ("postgres_read", "ubn-pgsql-3"),
        ("postgres_read", "BACKEND")]
    by = {(r["pxname"], r["svname"]): r for r in rows}
    for key, want in SETTLED.items():
        assert by[key]["status"] == want, (key, by[key]["status"])
        assert by[key]["type"] == "2"
    assert by[("postgres_write", "ubn-pgsql-1")]["check_status"] == "L7OK"
    assert by[("postgres_write", "ubn-pgsql-1")]["check_code"] == "200"
    assert by[("postgres_write", "ubn-pgsql-2")]["check_status"] == "L7STS"
    assert by[("postgres_write", "ubn-pgsql-2")]["check_code"] == "503"
    assert by[("postgres_write", "ubn-pgsql-1")]["addr"] == "127.0.0.31:5432"
    assert by[("postgres_write", "FRONTEND")]["status"] == "OPEN"
    assert by[("postgres_write", "FRONTEND")]["slim"] == "200"
    assert by[("postgres_write", "BACKEND")]["status"] == "UP"
    assert by[("postgres_write", "BACKEND")]["algo"] == "single"
    assert by[("postgres_read", "BACKEND")]["act"] == "1"
    # HAProxy's own rows parse with the same header: a script reads either alike.
    with open(FIXTURE) as f:
        theirs = list(csv.DictReader(io.StringIO(f.read()[2:])))
    assert {"pxname", "svname", "status", "scur", "check_status"} <= set(theirs[0])
    assert [r["svname"] for r in theirs if r["pxname"] == "postgres_write"] == [
        "FRONTEND", "ubn-pgsql-1", "ubn-pgsql-2", "BACKEND"]


def test_csv_counts_sessions_and_bytes(pgfront, seed_cluster):
    pgfront(config(7013, (7014, 7015)))
    wait_statuses(7013, SETTLED)
    with socket.create_connection((HOST, 7014), timeout=5) as c:
        c.sendall(startup_message() + b"x" * 1000)
        got = b""
        while len(got) < 1000:
            got += c.recv(4096)
        rows = {(r["pxname"], r["svname"]): r for r in csv.DictReader(
            io.StringIO(request(7013, "/;csv")[2].decode()[2:]))}
        assert rows[("postgres_write", "ubn-pgsql-1")]["scur"] == "1"
        assert rows[("postgres_write", "FRONTEND")]["scur"] == "1"
        # The startup packet counts too: they are the client's bytes.
        assert rows[("postgres_write", "ubn-pgsql-1")]["bin"] == str(len(startup_message()) + 1000)
        assert rows[("postgres_write", "ubn-pgsql-1")]["bout"] == "1000"
    deadline = time.monotonic() + 5
    while True:
        rows = {(r["pxname"], r["svname"]): r for r in csv.DictReader(
            io.StringIO(request(7013, "/;csv")[2].decode()[2:]))}
        if rows[("postgres_write", "ubn-pgsql-1")]["scur"] == "0":
            break
        assert time.monotonic() < deadline, "the session never ended in the CSV"
        time.sleep(0.1)
    assert rows[("postgres_write", "ubn-pgsql-1")]["stot"] == "1"
    assert rows[("postgres_write", "ubn-pgsql-1")]["smax"] == "1"


def test_json_document(pgfront, seed_cluster):
    pgfront(config(7016, (7017, 7018)))
    wait_statuses(7016, SETTLED)
    status, headers, body = request(7016, "/;json")
    assert status == 200 and headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["pgfront"]["maxconn"] == 200
    assert re.match(r"\d+\.\d+\.\d+", doc["pgfront"]["version"])
    write = doc["listeners"][0]
    assert write["name"] == "postgres_write" and write["binds"] == ["127.0.0.222:7017"]
    assert write["balance"] == "single" and write["check"] == "HEAD /primary"
    s1 = write["servers"][0]
    assert s1["name"] == "ubn-pgsql-1" and s1["health"] == "UP" and s1["admin"] == "READY"
    assert s1["last_check"]["http_status"] == 200 and s1["last_check"]["code"] == "L7OK"
    s3 = write["servers"][2]
    assert s3["down_transitions"] == 0 and s3["downtime_s"] > 0
    assert s3["check_failures"] >= 1
    assert doc["vrrp"] == []


def test_metrics_pass_promtool(pgfront, seed_cluster):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: scripts/install-deps installs Debian's prometheus")
    pgfront(config(7019, (7020, 7021)))
    wait_statuses(7019, SETTLED)
    status, headers, body = request(7019, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=30)
    assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", check
    text = body.decode()
    assert 'pgfront_server_up{listener="postgres_write",server="ubn-pgsql-1"} 1\n' in text
    assert 'pgfront_server_up{listener="postgres_write",server="ubn-pgsql-2"} 0\n' in text
    assert re.search(r'pgfront_server_check_duration_seconds\{listener="postgres_read",'
                     r'server="ubn-pgsql-2"\} [0-9.]+\n', text)
    assert 'pgfront_listener_sessions{listener="postgres_write"} 0\n' in text


# -- the page in a browser ------------------------------------------------------

class _Rows(HTMLParser):
    """(listener, server, status) of every server row of the page; the
    cluster panel's rows come as ("Cluster", server, role)."""

    def __init__(self):
        super().__init__()
        self.rows, self.listener, self.server = [], None, None
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h2":
            self._in = "h2"
        elif tag == "b" and self._in == "server-cell":
            self._in = "server"
        elif tag == "td" and a.get("data-label") == "Server":
            self._in = "server-cell"
        elif tag == "span" and "st" in (a.get("class") or "").split():
            self._in = "status"

    def handle_data(self, data):
        if self._in == "h2" and data.strip():
            self.listener = data.strip().split()[0]
            self._in = None
        elif self._in == "server":
            self.server = data.strip()
            self._in = None
        elif self._in == "status" and self.server:
            self.rows.append((self.listener, self.server, data.strip()))
            self.server, self._in = None, None


def chromium(url, *extra, timeout=90):
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium not found: scripts/install-deps installs Debian's chromium")
    profile = tempfile.mkdtemp(prefix="pgfront-chromium-")
    try:
        return subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, *extra, url],
            capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_page_in_chromium_shows_every_server_and_its_status(pgfront, seed_cluster):
    p = pgfront(config(7022, (7023, 7024), stats={"admin": "yes"}))
    wait_statuses(7022, SETTLED)
    # Some traffic, and one server drained, so the page has something to show.
    conns = [socket.create_connection((HOST, 7023), timeout=5) for _ in range(3)]
    conns += [socket.create_connection((HOST, 7024), timeout=5) for _ in range(2)]
    for c in conns:
        c.sendall(startup_message() + b"hello")
        assert c.recv(5) == b"hello"
    status, _, _ = request(7022, "/", "POST", body="action=drain&target=postgres_read/ubn-pgsql-2",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    settled = {**SETTLED, ("postgres_read", "ubn-pgsql-2"): "DRAIN"}
    wait_statuses(7022, settled)
    url = "http://%s:%s@%s:7022/" % (AUTH[0], AUTH[1], HOST)
    dom = chromium(url, "--dump-dom")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    parser = _Rows()
    parser.feed(dom.stdout.decode())
    shown = {(l, s): st for l, s, st in parser.rows if l != "Cluster"}
    assert shown == settled
    # The cluster panel: what each stub's Patroni body said at the write port's checks.
    roles = {s: st for l, s, st in parser.rows if l == "Cluster"}
    assert roles["ubn-pgsql-1"] == "primary" and roles["ubn-pgsql-2"] == "replica", roles
    assert "no [vrrp] instance" in dom.stdout.decode()
    os.makedirs(ARTIFACTS, exist_ok=True)
    for name, size in (("stats.png", "1280,900"), ("stats-phone.png", "390,1400")):
        path = os.path.join(ARTIFACTS, name)
        if os.path.exists(path):
            os.unlink(path)
        shot = chromium(url, "--screenshot=" + path, "--window-size=" + size,
                        "--hide-scrollbars")
        assert shot.returncode == 0, shot.stderr.decode(errors="replace")[-2000:]
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        print("screenshot saved: %s" % path)
    for c in conns:
        c.close()
    assert p.alive()


# -- auth and the HTTP server's limits --------------------------------------------

def test_every_page_needs_the_credentials(pgfront, seed_cluster):
    pgfront(config(7025, (7026, 7027)))
    for path in ("/", "/;csv", "/;json", "/metrics"):
        status, headers, body = request(7025, path, auth=None)
        assert status == 401, path
        assert headers["www-authenticate"] == 'Basic realm="pgfront stats", charset="UTF-8"'
        assert b"s3cret" not in body
        assert request(7025, path, auth=("admin", "wrong"))[0] == 401
        assert request(7025, path, auth=("Admin", "s3cret"))[0] == 401
        assert request(7025, path)[0] == 200, path
    assert request(7025, "/nothing")[0] == 404
    assert request(7025, "/;xml")[0] == 404
    assert request(7025, "/;csv;norefresh")[0] == 200
    status, headers, body = request(7025, "/", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_without_auth_the_page_is_open_and_refresh_is_optional(pgfront, seed_cluster):
    cfg = config(7028, (7029, 7030), stats={"refresh": "0"})
    del cfg["stats"]["auth"]
    pgfront(cfg)
    status, _, body = request(7028, "/", auth=None)
    assert status == 200 and b"http-equiv" not in body
    status, _, body = request(7028, "/", "POST", auth=None,
                              body="action=drain&target=postgres_write/ubn-pgsql-1",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"admin actions are disabled" in body


def test_bad_requests_get_clear_answers_and_change_nothing(pgfront, seed_cluster):
    p = pgfront(config(7031, (7032, 7033)))
    wait_statuses(7031, SETTLED)
    cases = [
        (b"PUT / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400),
        (b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ]
    for data, want in cases:
        assert status_of(raw(7031, data)) == want, data[:40]
    # A huge body sent anyway: the 413 still arrives whole (no reset before it).
    big = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"z" * 2000000
    with socket.create_connection((HOST, 7031), timeout=5) as s:
        s.sendall(big[:100000])
        answer = s.recv(65536)
    assert status_of(answer) == 413
    assert wait_statuses(7031, SETTLED)
    assert p.alive()


def test_slow_and_idle_clients_time_out(pgfront, seed_cluster):
    p = pgfront(config(7034, (7035, 7036)))
    started = time.monotonic()
    with socket.create_connection((HOST, 7034), timeout=20) as s:
        s.sendall(b"GET / HTTP/1.1\r\n")
        assert s.recv(4096) == b""                # closed by pgfront, not answered
    waited = time.monotonic() - started
    assert 9 <= waited <= 15, waited
    p.wait_log(r"stats: 127\.0\.0\.1:\d+ timed out after 10 s")
    assert request(7034, "/;csv")[0] == 200


def connect_from(source, port, timeout=5):
    """A connection to the stats port from SOURCE (any 127.x address is ours)."""
    return socket.create_connection((HOST, port), timeout=timeout, source_address=(source, 0))


def wait_accepted(port, n, timeout=10):
    """Until pgfront's stats page has accepted N connections (its own counter)."""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(r'^pgfront_stats_connections_total\{outcome="accepted"\} (\d+)$',
                      request(port, "/metrics")[2].decode(), re.M)
        if m and int(m.group(1)) >= n:
            return
        assert time.monotonic() < deadline, "stats page accepted fewer than %d" % n
        time.sleep(0.2)


def test_connections_beyond_the_cap_get_503(pgfront, seed_cluster):
    p = pgfront(config(7037, (7038, 7039)))
    # 8 addresses x 8: the cap from one address (8) is not what refuses here.
    idle = [connect_from("127.0.1.%d" % (i // 8 + 1), 7037) for i in range(64)]
    try:
        time.sleep(2.5)           # every one accepted, at the accept rate (40/s, 20 at once)
        answer = raw(7037, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(answer) == 503
        assert b"Retry-After: 1" in answer
        # The proxy is untouched by a full stats port.
        with socket.create_connection((HOST, 7038), timeout=5) as c:
            c.sendall(startup_message() + b"ping")
            assert c.recv(4) == b"ping"
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 5
    while request(7037, "/;csv")[0] != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    p.wait_log(r"stats: 127\.0\.0\.1:\d+ refused: 64 connections already")
    assert re.search(r'^pgfront_stats_connections_total\{outcome="refused_busy"\} [1-9]',
                     request(7037, "/metrics")[2].decode(), re.M)


def test_one_address_gets_8_connections_at_once(pgfront, seed_cluster):
    p = pgfront(config(7040, (7041, 7042)))
    idle = [connect_from("127.0.2.1", 7040) for _ in range(8)]
    try:
        wait_accepted(7040, 8)
        with connect_from("127.0.2.1", 7040) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status_of(s.recv(4096)) == 503
        # another address is served meanwhile
        with connect_from("127.0.2.2", 7040) as s:
            s.sendall(b"GET /;csv HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                      % basic(*AUTH).encode())
            assert status_of(s.recv(4096)) == 200
    finally:
        for s in idle:
            s.close()
    p.wait_log(r"stats: 127\.0\.2\.1:\d+ refused: 8 connections from that address already")
    assert re.search(r'^pgfront_stats_connections_total\{outcome="refused_per_source"\} 1$',
                     request(7040, "/metrics")[2].decode(), re.M)


def test_new_connections_beyond_the_rate_wait_and_are_served(pgfront, seed_cluster):
    pgfront(config(7043, (7044, 7045)))
    n = 100
    started = time.monotonic()
    socks = [connect_from("127.0.3.%d" % (i % 50 + 1), 7043, timeout=15) for i in range(n)]
    for s in socks:
        s.sendall(b"GET /;csv HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                  % basic(*AUTH).encode())
    statuses = []
    for s in socks:
        with s:
            statuses.append(status_of(s.recv(4096)))
    took = time.monotonic() - started
    assert statuses == [200] * n        # all served, none refused: they waited their turn
    # 20 at once, then 40 a second: the last ones waited about 2 s
    assert took >= (n - 20) / 40.0 * 0.8, took
    metrics = request(7043, "/metrics")[2].decode()
    assert re.search(r"^pgfront_stats_rate_limited_total [1-9]", metrics, re.M), metrics


# -- the VRRP panel, with a real instance -------------------------------------------

NETNS = "pgft-stats-vrrp"


@pytest.fixture
def stats_netns():
    """A namespace of our own: lo, and a veth pair eth0/eth1 with
    198.18.145.231/24 on eth0 (no route out). Deleted afterwards."""
    def ip(*args):
        subprocess.run(["ip", "-n", NETNS, *args], check=True, capture_output=True, timeout=10)

    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, timeout=10)
    subprocess.run(["ip", "netns", "add", NETNS], check=True, capture_output=True, timeout=10)
    try:
        ip("link", "set", "lo", "up")
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        ip("addr", "add", "198.18.145.231/24", "dev", "eth0")
        ip("link", "set", "eth0", "up")
        ip("link", "set", "eth1", "up")
        yield NETNS
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, timeout=10)


def in_netns(*args, timeout=10):
    return subprocess.run(["ip", "netns", "exec", NETNS, *args], capture_output=True,
                          timeout=timeout)


def test_vrrp_panel_shows_the_instance(pgfront_binary, stats_netns, tmp_path):
    from helpers.pgfront import Pgfront
    cfg = config(7070, (7071, 7072), nodes={"db": "127.0.0.31"})
    cfg["vrrp VI_STATS"] = {"interface": "eth0", "state": "BACKUP", "virtual_router_id": 51,
                            "priority": 100, "advert_int": "1s",
                            "virtual_ipaddress": "198.18.145.100/24"}
    wrapper = tmp_path / "pgfront-in-netns"
    wrapper.write_text("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n" % (NETNS, pgfront_binary))
    wrapper.chmod(0o755)
    p = Pgfront(cfg, str(tmp_path / "pgfront"), binary=str(wrapper))
    p.start()
    try:
        p.wait_log(r"stats page on http://127\.0\.0\.222:7070/")
        p.wait_log(r"vrrp VI_STATS: BACKUP -> MASTER", timeout=15)
        url = "http://127.0.0.222:7070/"
        auth = "%s:%s" % AUTH
        doc = json.loads(in_netns("curl", "-sf", "-u", auth, url + ";json").stdout)
        (vi,) = doc["vrrp"]
        assert (vi["name"], vi["state"], vi["vrid"], vi["interface"]) == \
            ("VI_STATS", "MASTER", 51, "eth0")
        assert vi["vips"] == ["198.18.145.100/24"]
        assert vi["priority_configured"] == 100 and vi["transitions"] >= 1
        html = in_netns("curl", "-sf", "-u", auth, url).stdout.decode()
        assert "VI_STATS" in html and ">MASTER<" in html and "198.18.145.100/24" in html
        assert "no [vrrp] instance" not in html
        metrics = in_netns("curl", "-sf", "-u", auth, "http://127.0.0.222:7070/metrics").stdout
        assert b'pgfront_vrrp_state{vrrp_instance="VI_STATS",state="MASTER"} 1\n' in metrics
        check = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                               capture_output=True, timeout=30)
        assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", check
    finally:
        rc = p.stop()
        if rc != 0 or p.sanitizer_reports():
            pytest.fail("pgfront exited %s; log:\n%s" % (rc, p.tail()))
