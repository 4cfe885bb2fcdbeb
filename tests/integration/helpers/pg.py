"""PostgreSQL clients for the tests: psycopg2, the real psql, and a few
bytes of the wire protocol to read what pgfront answers by itself."""

import os
import socket
import struct
import subprocess
import time

import psycopg2

USER = "postgres"
PASSWORD = "postgres"
DBNAME = "testdb"
VIP = "127.0.0.222"          # where the tests' pgfront listens
PSQL = "/usr/bin/psql"


def connect(port, host=VIP, dbname=DBNAME, timeout=3, autocommit=True, **kw):
    """A psycopg2 connection as postgres/postgres (autocommit by default)."""
    conn = psycopg2.connect(host=host, port=port, user=USER, password=PASSWORD,
                            dbname=dbname, connect_timeout=timeout,
                            application_name="pgfront-tests", **kw)
    conn.autocommit = autocommit
    return conn


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def server_addr(conn):
    """The address of the PostgreSQL node that serves CONN."""
    return query(conn, "SELECT host(inet_server_addr())")[0][0]


def in_recovery(conn):
    return query(conn, "SELECT pg_is_in_recovery()")[0][0]


def try_server_addr(port, host=VIP, timeout=2):
    """server_addr over a fresh connection, or None when that fails."""
    try:
        conn = connect(port, host=host, timeout=timeout)
    except psycopg2.OperationalError:
        return None
    try:
        return server_addr(conn)
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def wait_server_addr(port, want, host=VIP, timeout=30, what=""):
    """Poll fresh connections until one is served by an address in WANT
    (a str or a collection); returns that address."""
    want = {want} if isinstance(want, str) else set(want)
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        addr = try_server_addr(port, host=host)
        if addr in want:
            return addr
        if not seen or seen[-1] != addr:
            seen.append(addr)
        if time.monotonic() > deadline:
            raise AssertionError("%s:%d: no connection served by %s within %ds%s; "
                                 "served by, in turn: %s" % (
                                     host, port, sorted(want), timeout,
                                     " (%s)" % what if what else "", seen))
        time.sleep(0.2)


def psql(port, *args, host=VIP, dbname=DBNAME, timeout=20):
    """Run the real psql; returns the CompletedProcess (text, both streams)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="5")
    cmd = [PSQL, "-X", "-h", host, "-p", str(port), "-U", USER, "-d", dbname, *args]
    return subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


# -- the wire protocol ------------------------------------------------------

SSL_REQUEST = struct.pack("!II", 8, 80877103)


def startup_message(user=USER, dbname=DBNAME):
    params = b"user\0" + user.encode() + b"\0database\0" + dbname.encode() + b"\0\0"
    return struct.pack("!II", 8 + len(params), 196608) + params


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_message(sock):
    """One backend message: (type byte, body)."""
    kind = _recv_exact(sock, 1)
    (length,) = struct.unpack("!I", _recv_exact(sock, 4))
    return kind, _recv_exact(sock, length - 4)


def error_fields(body):
    """ErrorResponse body -> {'S': 'FATAL', 'C': '57P03', 'M': ...}."""
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


def startup_response(port, host=VIP, ssl_request=False, timeout=5):
    """Open a raw connection, optionally send SSLRequest, then a StartupMessage;
    return (ssl_answer, kind, body) of the first message that comes back.
    ssl_answer is b'N'/b'S' or None (no SSLRequest, or the answer was an
    ErrorResponse, as PostgreSQL itself sends when it cannot fork)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        ssl_answer = None
        if ssl_request:
            s.sendall(SSL_REQUEST)
            first = _recv_exact(s, 1)
            if first == b"E":
                (length,) = struct.unpack("!I", _recv_exact(s, 4))
                return None, b"E", _recv_exact(s, length - 4)
            ssl_answer = first
            if ssl_answer != b"N":
                return ssl_answer, None, b""
        s.sendall(startup_message())
        kind, body = read_message(s)
        return ssl_answer, kind, body
