"""Health checks over TLS (check_tls) stay cheap: the client certificate, key
and CA are read once per configuration load, not at every check, and the
checks of one server resume its TLS session instead of a full handshake.

The node is a TLS Patroni stub on 127.0.0.21:8008 that demands a client
certificate from the test's CA and records, per connection, whether the
session was resumed; an echo TcpServer on 127.0.0.21:5432 stands in for
PostgreSQL; pgfront listens on 127.0.0.222:6432.
"""

import os
import signal
import socket
import ssl
import subprocess
import threading

import pytest

from helpers.pg import startup_message
from helpers.stubs import HttpStub

LISTEN = ("127.0.0.222", 6432)
NODE = "127.0.0.21"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for NODE and a client certificate, all EC."""
    d = {k: str(tmp_path / k) for k in ("ca.crt", "ca.key", "srv.crt", "srv.key", "srv.csr",
                                        "cli.crt", "cli.key", "cli.csr", "ext")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=test CA", "-keyout", d["ca.key"],
            "-out", d["ca.crt"])
    with open(d["ext"], "w") as f:
        f.write("subjectAltName=IP:%s\n" % NODE)
    for who, cn in (("srv", NODE), ("cli", "pgfront")):
        openssl("req", *ec, "-subj", "/CN=%s" % cn, "-keyout", d[who + ".key"],
                "-out", d[who + ".csr"])
        openssl("x509", "-req", "-in", d[who + ".csr"], "-CA", d["ca.crt"], "-CAkey",
                d["ca.key"], "-CAcreateserial", "-days", "2", "-extfile", d["ext"],
                "-out", d[who + ".crt"])
    return d


class TlsPatroni(HttpStub):
    """HttpStub behind TLS with a required client certificate; .handshakes
    holds (resumed, client CN) per connection."""

    def __init__(self, host, pki):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pki["srv.crt"], pki["srv.key"])
        self.ctx.load_verify_locations(pki["ca.crt"])
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.handshakes = []
        self.failed = 0
        self.lock = threading.Lock()
        super().__init__(host, 8008)

    def handle(self, conn, peer):
        conn.settimeout(5)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.failed += 1
            return
        cert = tls.getpeercert() or {}
        cn = dict(x[0] for x in cert.get("subject", ())).get("commonName")
        with self.lock:
            self.handshakes.append((tls.session_reused, cn))
        self.read_request(tls)
        self.answer_by_mode(tls)
        tls.close()

    def count(self):
        with self.lock:
            return len(self.handshakes)

    def wait(self, n, timeout=10):
        import time
        deadline = time.monotonic() + timeout
        while self.count() < n:
            assert time.monotonic() < deadline, "%d TLS checks, not %d (%d failed)" % (
                self.count(), n, self.failed)
            time.sleep(0.05)
        with self.lock:
            return list(self.handshakes)


def config(pki):
    return {
        "global": {"log_level": "info"},
        "defaults": {"inter": "200ms", "fall": 1, "rise": 1, "timeout_check": "1s",
                     "check_port": 8008, "check_tls": "yes", "check_ca_file": pki["ca.crt"],
                     "check_cert_file": pki["cli.crt"], "check_key_file": pki["cli.key"]},
        "server s1": {"address": "%s:5432" % NODE},
        "listen front": {"bind": "%s:%d" % LISTEN, "balance": "roundrobin",
                         "check": "HEAD /primary"},
    }


def echo():
    with socket.create_connection(LISTEN, timeout=5) as s:
        s.sendall(startup_message() + b"ping")     # no server before the startup packet
        return s.recv(4)


def test_tls_checks_resume_sessions_and_read_the_files_once(pgfront, tcp_server, pki):
    stub = TlsPatroni(NODE, pki)
    tcp_server(NODE, 5432)
    try:
        p = pgfront(config(pki), wait_log=r"front/s1: INIT -> UP")
        got = stub.wait(8)
        assert got[0] == (False, "pgfront")          # the first: a full handshake
        assert all(resumed for resumed, _ in got[2:]), got
        assert stub.failed == 0
        # The files are gone: checks go on with what was read at the load.
        mark = p.log_mark()
        for k in ("ca.crt", "cli.crt", "cli.key"):
            os.rename(pki[k], pki[k] + ".moved")
        n = stub.count()
        stub.wait(n + 5)
        assert stub.failed == 0
        assert "UP -> DOWN" not in p.log()[mark:]
        assert echo() == b"ping"
        # A reload that cannot read them is refused; pgfront runs on.
        p.send_signal(signal.SIGHUP)
        p.wait_log(r"check_ca_file: cannot read %s: No such file" % pki["ca.crt"], since=mark)
        p.wait_log(r"reload: .* is invalid; running on with the previous configuration",
                   since=mark)
        n = stub.count()
        stub.wait(n + 3)
        assert echo() == b"ping"
    finally:
        stub.stop()


def test_unreadable_key_stops_the_start(pgfront_binary, pki, tmp_path):
    from helpers.pgfront import render
    cfg = config(pki)
    cfg["defaults"]["check_key_file"] = str(tmp_path / "missing.key")
    path = tmp_path / "bad.ini"
    path.write_text(render(cfg))
    r = subprocess.run([pgfront_binary, "-f", str(path)], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 1
    assert "check_key_file: cannot read %s: No such file" % (tmp_path / "missing.key") \
        in r.stderr, r.stderr


def test_a_certificate_of_another_ca_fails_the_check(pgfront, tcp_server, pki, tmp_path):
    other = str(tmp_path / "other-ca.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=other CA", "-keyout",
            str(tmp_path / "other-ca.key"), "-out", other)
    stub = TlsPatroni(NODE, pki)
    tcp_server(NODE, 5432)
    try:
        cfg = config(pki)
        cfg["defaults"]["check_ca_file"] = other
        p = pgfront(cfg)
        p.wait_log(r"front/s1: .*(certificate|SSL|TLS)", timeout=10)
        assert "INIT -> UP" not in p.log()
    finally:
        stub.stop()
