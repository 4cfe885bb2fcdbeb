"""Admin actions on the stats port: who may post them (Basic auth, same
origin, admin = yes), what they do as seen through the proxy (DRAIN keeps an
open session and refuses a new one with 57P03, MAINT pauses the checks, kill
closes the sessions), `pgfront ctl`, and the page over HTTPS.

Fake nodes on 127.0.0.31-33 (see test_stats.py); pgfront on 127.0.0.222:704x-709x.
"""

import http.client
import json
import os
import socket
import ssl
import subprocess
import time

import pytest

from helpers.pg import error_fields, startup_message, startup_response
from helpers.pgfront import SANITIZER_RE
from test_stats import (AUTH, HOST, SETTLED, basic, config, get_json, raw, request,
                        seed_cluster, status_of, statuses, wait_statuses)  # noqa: F401

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
W1 = ("postgres_write", "ubn-pgsql-1")


def post(port, body, auth=AUTH, headers=None, path="/"):
    return request(port, path, "POST", auth=auth, body=body, headers={**FORM, **(headers or {})})


def admin_state(port, key=W1):
    for l in get_json(port)["listeners"]:
        for s in l["servers"]:
            if (l["name"], s["name"]) == key:
                return s["admin"]
    raise KeyError(key)


def client(port):
    """A client of a proxy port that has sent its startup packet: pgfront
    gives no server before (the stub server reads it first)."""
    c = socket.create_connection((HOST, port), timeout=5)
    c.sendall(startup_message())
    return c


def echo(sock, data=b"ping"):
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            return got
        got += chunk
    return got


def ctl(pgfront_bin, *args, env=None):
    e = {k: v for k, v in os.environ.items() if k != "PGFRONT_STATS_AUTH"}
    e.update(env or {})
    r = subprocess.run([pgfront_bin, "ctl", *args], capture_output=True, text=True,
                       timeout=30, env=e, stdin=subprocess.DEVNULL)
    # `pgfront ctl` is no daemon under the fixture: its own sanitizer check.
    assert not SANITIZER_RE.search(r.stderr), "sanitizer report from pgfront ctl:\n" + r.stderr
    return r


def test_admin_needs_auth_and_the_same_origin(pgfront, seed_cluster):
    p = pgfront(config(7040, (7041, 7042), stats={"admin": "yes"}))
    wait_statuses(7040, SETTLED)
    body = "action=drain&target=postgres_write/ubn-pgsql-1"
    origin = "http://%s:7040" % HOST

    status, headers, _ = post(7040, body, auth=None)
    assert status == 401 and headers["www-authenticate"].startswith("Basic ")
    assert post(7040, body, auth=("admin", "nope"))[0] == 401
    for h in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"},
              {"Origin": "http://%s:7041" % HOST}, {"Origin": "null"},
              {"Origin": origin, "Referer": "http://evil.example/"}):
        status, _, answer = post(7040, body, headers=h)
        assert status == 403 and b"cross-origin" in answer, h
    p.wait_log(r"stats: refused a cross-origin admin request from 127\.0\.0\.1:\d+ "
               r"\(Origin: http://evil\.example\)")
    assert post(7040, "action=drain&target=postgres_write/nobody")[0] == 404
    assert post(7040, "action=drain&target=nowhere/ubn-pgsql-1")[0] == 404
    assert post(7040, "action=explode&target=postgres_write/ubn-pgsql-1")[0] == 400
    assert post(7040, body, headers={"Content-Type": "text/plain"})[0] == 415
    assert post(7040, body, path="/;csv")[0] == 405
    assert post(7040, body, path="/metrics")[0] == 405
    # Nothing above changed anything.
    assert admin_state(7040) == "READY"

    # A browser's form (Origin and Referer of the page itself): 303 back to the page.
    status, headers, _ = post(7040, body, headers={"Origin": origin, "Referer": origin + "/"})
    assert status == 303 and headers["location"] == "/"
    assert admin_state(7040) == "DRAIN"
    # A script's JSON: a JSON answer.
    status, headers, answer = request(
        7040, "/", "POST", body=json.dumps({"action": "ready", "target": "postgres_write/ubn-pgsql-1"}),
        headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(answer) == {
        "ok": True, "message": "postgres_write/ubn-pgsql-1: READY"}
    assert admin_state(7040) == "READY"
    p.wait_log(r"stats: ready postgres_write/ubn-pgsql-1 from 127\.0\.0\.1:\d+ \(user admin\): "
               r"postgres_write/ubn-pgsql-1: READY")


def test_admin_needs_admin_yes(pgfront, seed_cluster):
    pgfront(config(7043, (7044, 7045)))
    status, _, answer = post(7043, "action=drain&target=postgres_write/ubn-pgsql-1")
    assert status == 403 and b"set admin = yes" in answer
    assert admin_state(7043) == "READY"


def test_drain_keeps_the_open_session_and_refuses_new_ones(pgfront, seed_cluster):
    # hold_when_down 0s: a new client is refused, not held for the write port's hold
    pgfront(config(7046, (7047, 7048), stats={"admin": "yes"}, defaults={"hold_when_down": "0s"}))
    wait_statuses(7046, SETTLED)
    with client(7047) as open_one:
        assert echo(open_one, b"before") == b"before"
        assert post(7046, "action=drain&target=postgres_write/ubn-pgsql-1")[0] == 200
        wait_statuses(7046, {W1: "DRAIN"})
        # The open session goes on...
        assert echo(open_one, b"during") == b"during"
        # ...a new one is told why, in PostgreSQL's protocol.
        _, kind, body = startup_response(7047, host=HOST)
        assert kind == b"E"
        fields = error_fields(body)
        assert fields["C"] == "57P03", fields
        assert fields["S"] == "FATAL"
        assert echo(open_one, b"still") == b"still"
        rows = request(7046, "/;csv")[2].decode()
        assert "\npostgres_write,ubn-pgsql-1," in rows
        assert ",DRAIN,0," in rows.split("\npostgres_write,ubn-pgsql-1,", 1)[1].split("\n")[0]

        assert post(7046, "action=ready&target=postgres_write/ubn-pgsql-1")[0] == 200
        wait_statuses(7046, {W1: "UP"})
        with client(7047) as new_one:
            assert echo(new_one, b"after") == b"after"
            status, _, answer = post(7046, "action=kill&target=postgres_write/ubn-pgsql-1")
            assert status == 200 and b"2 session(s) killed" in answer
            for s in (open_one, new_one):
                s.settimeout(5)
                assert s.recv(100) == b""          # closed by pgfront


def test_maint_pauses_checks_and_shows_maint(pgfront, seed_cluster):
    pgfront(config(7049, (7050, 7051), stats={"admin": "yes"}, defaults={"hold_when_down": "0s"}))
    wait_statuses(7049, SETTLED)
    assert post(7049, "action=maint&target=postgres_write/ubn-pgsql-1")[0] == 200
    wait_statuses(7049, {W1: "MAINT"})
    stub = seed_cluster["ubn-pgsql-1"]
    before = len([r for r in stub.requests if "/primary" in r[1]])
    time.sleep(1.0)                               # five check intervals
    after = len([r for r in stub.requests if "/primary" in r[1]])
    assert after - before <= 1, "checks went on in MAINT: %d" % (after - before)
    _, kind, body = startup_response(7050, host=HOST)
    assert kind == b"E" and error_fields(body)["C"] == "57P03"
    assert post(7049, "action=ready&target=postgres_write/ubn-pgsql-1")[0] == 200
    wait_statuses(7049, {W1: "UP"})
    with client(7050) as c:
        assert echo(c) == b"ping"


def test_pgfront_ctl(pgfront, pgfront_binary, seed_cluster):
    pgfront(config(7052, (7053, 7054), stats={"admin": "yes", "uri": "/haproxy"}))
    server = "%s:7052/haproxy" % HOST
    r = ctl(pgfront_binary, "-s", server, "-u", "admin:s3cret", "drain", "postgres_write/ubn-pgsql-1")
    assert (r.returncode, r.stdout, r.stderr) == (0, "postgres_write/ubn-pgsql-1: DRAIN\n", "")
    r = ctl(pgfront_binary, "-s", server, "ready", "postgres_write/ubn-pgsql-1",
            env={"PGFRONT_STATS_AUTH": "admin:s3cret"})
    assert (r.returncode, r.stdout) == (0, "postgres_write/ubn-pgsql-1: READY\n")
    r = ctl(pgfront_binary, "-s", server, "-u", "admin:wrong", "maint", "postgres_write/ubn-pgsql-1")
    assert r.returncode == 1 and "401 Unauthorized" in r.stderr and r.stdout == ""
    r = ctl(pgfront_binary, "-s", server, "drain", "postgres_write/ubn-pgsql-1")
    assert r.returncode == 1 and "-u USER:PASSWORD" in r.stderr
    r = ctl(pgfront_binary, "-s", server, "-u", "admin:s3cret", "drain", "postgres_write/nobody")
    assert r.returncode == 1 and "404 Not Found: listener 'postgres_write' has no server " \
                                 "'nobody'" in r.stderr
    r = ctl(pgfront_binary, "-s", "%s:7052" % HOST, "-u", "admin:s3cret", "drain",
            "postgres_write/ubn-pgsql-1")
    assert r.returncode == 1 and "404" in r.stderr      # the page is at /haproxy
    r = ctl(pgfront_binary, "-s", "%s:7099" % HOST, "drain", "postgres_write/ubn-pgsql-1")
    assert r.returncode == 1 and "Couldn't connect" in r.stderr
    r = ctl(pgfront_binary, "reboot", "postgres_write/ubn-pgsql-1")
    assert r.returncode == 2 and "unknown action" in r.stderr
    r = ctl(pgfront_binary, "drain", "postgres_write")
    assert r.returncode == 2 and "LISTENER/SERVER" in r.stderr
    r = ctl(pgfront_binary, "-s", server, "-u", "admin:s3cret", "kill", "postgres_read/ubn-pgsql-2")
    assert (r.returncode, r.stdout) == (0, "postgres_read/ubn-pgsql-2: 0 session(s) killed\n")
    assert statuses(json.loads(request(7052, "/haproxy;json")[2]))[W1] == "UP"


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.222: (cert file, key file)."""
    cert, key = str(tmp_path / "stats.crt"), str(tmp_path / "stats.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=%s" % HOST, "-addext", "subjectAltName=IP:%s" % HOST,
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    return cert, key


def test_https(pgfront, pgfront_binary, seed_cluster, certificate):
    cert, key = certificate
    p = pgfront(config(7055, (7056, 7057), stats={"admin": "yes", "tls_cert_file": cert,
                                                   "tls_key_file": key}))
    p.wait_log(r"stats page on https://127\.0\.0\.222:7055/")
    ctx = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection(HOST, 7055, context=ctx, timeout=5)
    conn.request("GET", "/;csv", headers={"Authorization": basic(*AUTH)})
    r = conn.getresponse()
    assert r.status == 200 and r.read().startswith(b"# pxname,svname,")
    conn.close()
    r = ctl(pgfront_binary, "-s", "https://%s:7055/" % HOST, "-C", cert, "-u", "admin:s3cret",
            "drain", "postgres_read/ubn-pgsql-2")
    assert (r.returncode, r.stdout) == (0, "postgres_read/ubn-pgsql-2: DRAIN\n"), r.stderr
    # Without the CA, the certificate is refused; plain HTTP gets no page.
    r = ctl(pgfront_binary, "-s", "https://%s:7055/" % HOST, "-u", "admin:s3cret",
            "ready", "postgres_read/ubn-pgsql-2")
    assert r.returncode == 1 and "certificate" in r.stderr.lower()
    started = time.monotonic()
    answer = raw(7055, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not answer.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 3
    # A client that stalls mid-handshake is dropped like any slow client.
    with socket.create_connection((HOST, 7055), timeout=15) as s:
        s.sendall(b"\x16\x03\x01")
        assert s.recv(100) == b""
    assert get_json_tls(cert)["listeners"][1]["servers"][1]["status"] == "DRAIN"


def get_json_tls(cert):
    ctx = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection(HOST, 7055, context=ctx, timeout=5)
    conn.request("GET", "/;json", headers={"Authorization": basic(*AUTH)})
    r = conn.getresponse()
    try:
        return json.loads(r.read())
    finally:
        conn.close()


def write_config(p, cfg):
    from helpers.pgfront import render
    with open(p.config_path, "w") as f:
        f.write(render(cfg))


def listening(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def test_reload_moves_and_removes_the_stats_page(pgfront, seed_cluster, certificate):
    import signal
    cfg = config(7058, (7059, 7060))
    p = pgfront(cfg)
    wait_statuses(7058, SETTLED)
    # New address, new password, now over TLS: the old port closes, the new one serves.
    cert, key = certificate
    cfg["stats"].update({"bind": "%s:7061" % HOST, "auth": "ops:n3w", "tls_cert_file": cert,
                         "tls_key_file": key})
    write_config(p, cfg)
    mark = p.log_mark()
    p.send_signal(signal.SIGHUP)
    p.wait_log(r"stats page on https://127\.0\.0\.222:7061/", since=mark)
    assert not listening(7058)
    ctx = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection(HOST, 7061, context=ctx, timeout=5)
    conn.request("GET", "/;csv", headers={"Authorization": basic("ops", "n3w")})
    assert conn.getresponse().status == 200
    conn.close()
    # A certificate that cannot be read: the reload is refused, the page goes on as it was.
    cfg["stats"]["tls_key_file"] = "/nonexistent/stats.key"
    write_config(p, cfg)
    mark = p.log_mark()
    p.send_signal(signal.SIGHUP)
    p.wait_log(r"tls_key_file: cannot read /nonexistent/stats\.key", since=mark)
    assert listening(7061)
    # A port already taken: the page stays where it was.
    cfg["stats"]["tls_key_file"] = key
    cfg["stats"]["bind"] = "%s:7062" % HOST
    write_config(p, cfg)
    with socket.socket() as squatter:
        squatter.bind((HOST, 7062))
        squatter.listen(1)
        mark = p.log_mark()
        p.send_signal(signal.SIGHUP)
        p.wait_log(r"reload: stats page: cannot listen on 127\.0\.0\.222:7062: Address already "
                   r"in use", since=mark)
    assert listening(7061)
    # [stats] removed: the port closes, the proxy goes on.
    del cfg["stats"]
    write_config(p, cfg)
    mark = p.log_mark()
    p.send_signal(signal.SIGHUP)
    p.wait_log(r"reload: .* applied", since=mark)
    deadline = time.monotonic() + 5
    while listening(7061):
        assert time.monotonic() < deadline, "the stats port stayed open"
        time.sleep(0.1)
    with client(7059) as c:
        assert echo(c) == b"ping"


def test_page_serves_during_a_soft_stop(pgfront, seed_cluster):
    import signal
    p = pgfront(config(7063, (7064, 7065)))
    wait_statuses(7063, SETTLED)
    with client(7064) as c:
        assert echo(c) == b"ping"
        mark = p.log_mark()
        p.send_signal(signal.SIGUSR1)
        p.wait_log(r"soft stop", since=mark)
        assert not listening(7064)
        doc = get_json(7063)                     # still there, showing what is left
        assert doc["pgfront"]["connections"] == 1
        assert doc["listeners"][0]["servers"][0]["sessions"] == 1
        assert echo(c, b"last words") == b"last words"
    p.proc.wait(10)                              # the last session gone, it exits
    assert p.stop() == 0
    assert not listening(7063)
