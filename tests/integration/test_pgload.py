"""bench/pgload against a real PostgreSQL and scripted interruptions.

A throwaway PostgreSQL 15 (initdb as the postgres user) listens on
127.0.0.41:5432, its socket directory under /tmp; a small TCP proxy on
127.0.0.42:5432 in front of it can be cut in the ways a failover cuts
clients off: connections refused, connections closed, refused in
PostgreSQL's protocol with 57P03 (as pgfront does), or silently held.
Each test scripts one interruption while pgload runs, and checks what pgload
reports against what the test did: the outage (from the last success
before to the first after) within a tolerance of the scripted gap, the
errors by kind, and no acknowledged write lost -- and that a lost write is
found when the test deletes one.

Run as root: /usr/bin/python3 -m pytest -v tests/integration/test_pgload.py
(PGLOAD_BINARY=path tests another build, e.g. one with sanitizers.)
"""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import psycopg2
import pytest

from helpers import REPO

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_HOST, PG_PORT = "127.0.0.41", 5432
PROXY_HOST = "127.0.0.42"
PGLOAD = os.environ.get("PGLOAD_BINARY", os.path.join(REPO, "bench", "pgload", "pgload"))
DIRECT = "host=%s port=%d user=postgres dbname=postgres" % (PG_HOST, PG_PORT)
VIA_PROXY = "host=%s port=%d user=postgres dbname=postgres" % (PROXY_HOST, PG_PORT)
ERROR_KINDS = ("refused", "closed", "read_only", "wrong_role", "cannot_connect_now", "shutdown",
               "other_sqlstate", "timeout", "other")

# pgload notices a return after at most its backoff (100 ms) plus a
# connection; a loaded 2-core machine adds scheduling delays on top.
LATE = 0.7
# The cut is stamped before `runuser pg_ctl stop` runs, which on a slow VM
# takes up to 0.2 s to take PostgreSQL down: the outage may begin that late.
EARLY = 0.3


# ---------------------------------------------------------------- PostgreSQL

class Postgres:
    """One PostgreSQL instance owned by the test, run as the postgres user."""

    def __init__(self, base):
        self.base = base
        self.data = os.path.join(base, "data")
        self.sock = os.path.join(base, "sock")
        self.log = os.path.join(base, "postgres.log")

    def _pg(self, *cmd, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True,
                              capture_output=True, text=True, timeout=timeout)

    def init(self):
        os.makedirs(self.sock)
        shutil.chown(self.base, "postgres")
        shutil.chown(self.sock, "postgres")
        self._pg(PG_BIN + "/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                 "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\n"
                    "max_connections = 250\nfsync = on\nsynchronous_commit = on\n"
                    % (PG_HOST, PG_PORT, self.sock))
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host all all 127.0.0.0/8 trust\n")

    def start(self):
        self._pg(PG_BIN + "/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "start")

    def stop(self, mode="fast"):
        self._pg(PG_BIN + "/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def running(self):
        return subprocess.run(["runuser", "-u", "postgres", "--", PG_BIN + "/pg_ctl",
                               "-D", self.data, "status"],
                              capture_output=True).returncode == 0

    def sql(self, query, args=None):
        conn = psycopg2.connect(DIRECT, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()


def _port_taken(host, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="module")
def built():
    """bench/pgload/pgload, built by bench/Makefile (a no-op when up to date)."""
    subprocess.run(["make", "-s", "-C", os.path.join(REPO, "bench")], check=True,
                   timeout=300)
    return PGLOAD


@pytest.fixture(scope="module")
def pg(built):
    if os.geteuid() != 0:
        pytest.fail("test_pgload runs PostgreSQL as the postgres user: run it as root",
                    pytrace=False)
    if _port_taken(PG_HOST, PG_PORT):
        pytest.fail("%s:%d is already taken (a PostgreSQL left over from an earlier run?)"
                    % (PG_HOST, PG_PORT), pytrace=False)
    base = tempfile.mkdtemp(prefix="pgload-test-", dir="/tmp")
    os.chmod(base, 0o755)
    p = Postgres(base)
    try:
        p.init()
        p.start()
        yield p
    finally:
        if p.running():
            p.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def healthy_pg(pg, request):
    """The instance, running and writable before and after the test."""
    def restore():
        if not pg.running():
            pg.start()
        pg.sql("ALTER SYSTEM RESET default_transaction_read_only")
        pg.sql("SELECT pg_reload_conf()")
    restore()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        with open(pg.log, errors="replace") as f:
            print("---- postgres.log (tail)\n" + "".join(f.readlines()[-30:]))
    restore()


# ---------------------------------------------------------------- the proxy

def error_response(sqlstate, message):
    body = b""
    for field, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message)):
        body += field + value.encode() + b"\0"
    body += b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("peer closed")
        data += chunk
    return data


class CutProxy:
    """A TCP proxy on PROXY_HOST:PG_PORT to PostgreSQL, in one of four modes:

      pass       relay both ways
      refuse     not listening: connections are refused
      reject57   answer each startup with FATAL 57P03, as pgfront does when
                 no server is available
      blackhole  accept, read, never answer

    set_mode() closes every connection open at the time (as a failover
    does) and returns the time.time() of the change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._socks = set()
        self._lsock = None
        self._mode = "pass"
        self._stop = threading.Event()
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _listen(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((PROXY_HOST, PG_PORT))
        s.listen(256)
        s.settimeout(0.05)
        self._lsock = s

    def _unlisten(self):
        if self._lsock is not None:
            try:
                self._lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._lsock.close()
            self._lsock = None

    def _accept_loop(self):
        while not self._stop.is_set():
            with self._lock:
                ls, mode = self._lsock, self._mode
            if ls is None:
                time.sleep(0.01)
                continue
            try:
                conn, _ = ls.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                # set_mode() ran meanwhile: this one belongs to the old mode,
                # which set_mode() would have closed.
                stale = self._lsock is not ls or self._mode != mode
                if not stale:
                    self._socks.add(conn)
            if stale:
                conn.close()
                continue
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn, mode), daemon=True).start()

    def _track(self, s):
        with self._lock:
            self._socks.add(s)

    def _close(self, *socks):
        for s in socks:
            with self._lock:
                self._socks.discard(s)
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _serve(self, conn, mode):
        up = None
        try:
            if mode == "pass":
                up = socket.create_connection((PG_HOST, PG_PORT), timeout=2)
                up.settimeout(None)
                up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._track(up)
                t = threading.Thread(target=self._pump, args=(up, conn), daemon=True)
                t.start()
                self._pump(conn, up)
                t.join(5)
            elif mode == "reject57":
                self._reject(conn)
            else:                                   # blackhole
                while conn.recv(4096):
                    pass
        except OSError:
            pass
        finally:
            self._close(conn, *([up] if up else []))

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _reject(conn):
        length, code = struct.unpack("!II", recv_exactly(conn, 8))
        if length == 8 and code == 80877103:        # SSLRequest: "no"
            conn.sendall(b"N")
            length, code = struct.unpack("!II", recv_exactly(conn, 8))
        recv_exactly(conn, length - 8)
        conn.sendall(error_response("57P03", "cutproxy: no server available"))

    def set_mode(self, mode):
        assert mode in ("pass", "refuse", "reject57", "blackhole"), mode
        with self._lock:
            at = time.time()
            self._mode = mode
            if mode == "refuse":
                self._unlisten()
            elif self._lsock is None:
                self._listen()
            socks = list(self._socks)
        for s in socks:
            self._close(s)
        return at

    def stop(self):
        self._stop.set()
        with self._lock:
            self._unlisten()
        self.set_mode("refuse")
        self._thread.join(2)


@pytest.fixture
def proxy(healthy_pg):
    p = CutProxy()
    yield p
    p.stop()


# ---------------------------------------------------------------- pgload

class Pgload:
    """One pgload process; its report is read from --json when it ends."""

    def __init__(self, tmp_path, *args, name="run"):
        self.json_path = str(tmp_path / (name + ".json"))
        self.err_path = str(tmp_path / (name + ".stderr"))
        self.args = [PGLOAD, "--json", self.json_path, *args]
        self._err = open(self.err_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True)
        self.started = time.time()

    def wait(self, timeout):
        try:
            self.out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("pgload did not end within %ss; stderr:\n%s"
                                 % (timeout, self.stderr()))
        finally:
            self._err.close()
        self.rc = self.proc.returncode
        return self

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def report(self):
        assert os.path.exists(self.json_path), (
            "no JSON report (exit %s); stderr:\n%s" % (self.proc.returncode, self.stderr()))
        with open(self.json_path) as f:
            return json.load(f)

    def explain(self):
        return "\n---- pgload %s\nexit %s\n%s\n---- stderr\n%s" % (
            " ".join(self.args[1:]), self.rc, self.out, self.stderr()[-4000:])


def pgload(tmp_path, *args, timeout=60, name="run"):
    return Pgload(tmp_path, *args, name=name).wait(timeout)


def sleep_until(t):
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def assert_outage_matches(role, cut_at, back_at, extra_late=0.0, what=""):
    """pgload's longest outage for ROLE is the one the test scripted."""
    lo = role["longest_outage"]
    gap = back_at - cut_at
    assert not lo["from_start"] and not lo["to_end"], lo
    assert abs(lo["from_unix"] - cut_at) < 0.3, (
        "%s: outage began %.3fs from the scripted cut" % (what, lo["from_unix"] - cut_at), lo)
    assert gap - EARLY <= lo["seconds"] <= gap + LATE + extra_late, (
        "%s: outage %.3fs, scripted %.3fs" % (what, lo["seconds"], gap), lo)
    listed = [o for o in role["outages"] if abs(o["from_unix"] - lo["from_unix"]) < 1e-6]
    assert listed, "the longest outage is missing from the list: %s" % role["outages"]


def seconds_within(report, start, end):
    """Timeline entries that lie wholly inside [start, end] (unix times)."""
    t0 = report["start_unix"]
    return [s for s in report["timeline"] if t0 + s["t"] >= start and t0 + s["t"] + 1 <= end]


def errors_of(role):
    return {k: v for k, v in role["errors"].items() if v}


def assert_nothing_lost(report):
    a = report["acked_writes"]
    assert a["verified"] is True, a
    assert a["lost"] == 0 and a["lost_sample"] == [], a
    assert a["acked"] == report["write"]["transactions_ok"] > 0, a


def rows_of(pg, run_id):
    return pg.sql("SELECT count(*) FROM pgload_rows WHERE run_id = %s", (run_id,))[0][0]


# ---------------------------------------------------------------- tests

def test_steady_run_counts_and_loses_nothing(healthy_pg, tmp_path):
    run = pgload(tmp_path, "-W", "2", "-R", "2", "-d", "2.5", "-w", DIRECT, "--label", "steady")
    assert run.rc == 0, run.explain()
    r = run.report()
    assert r["pgload"] == 1 and r["verify_only"] is False and r["label"] == "steady"
    assert 2.4 < r["duration_s"] < 3.5 and r["interrupted"] is False
    for name in ("write", "read"):
        role = r[name]
        assert role["clients"] == 2
        assert role["transactions_ok"] > 50, (name, role)
        assert errors_of(role) == {}, (name, role["errors"], role["error_examples"])
        assert set(role["errors"]) == set(ERROR_KINDS)
        assert role["failed_transactions"] == 0 and role["connect_failures"] == 0
        lat = role["latency_ms"]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"], lat
        assert role["longest_outage"]["seconds"] < 0.5, role["longest_outage"]
        assert role["outages"] == []
        # the timeline adds up to the totals, second by second
        assert sum(s[name]["ok"] for s in r["timeline"]) == role["transactions_ok"]
        assert all(s[name]["up"] == 2 for s in r["timeline"][:2]), r["timeline"]
    assert [s["t"] for s in r["timeline"]][:3] == [0, 1, 2]
    assert_nothing_lost(r)
    # An independent count: exactly the acknowledged rows are there.
    assert rows_of(healthy_pg, r["run_id"]) == r["acked_writes"]["acked"]
    assert "LOST 0" in run.out and "write" in run.out and "read" in run.out


def test_two_hundred_clients_in_one_process(healthy_pg, tmp_path):
    run = pgload(tmp_path, "-W", "50", "-R", "150", "-d", "10", "--connect-timeout", "10000",
                 "-w", DIRECT, "--think", "20")
    assert run.rc == 0, run.explain()
    r = run.report()
    assert r["write"]["clients"] == 50 and r["read"]["clients"] == 150
    # Logins compete with the running load: on a slow 2-core VM the last of
    # the 150 readers was seen up after 5 s. Every client is up in some
    # second, all at once, and none failed on the way.
    full = [s for s in r["timeline"]
            if s["write"]["up"] == 50 and s["read"]["up"] == 150]
    assert full, [(s["t"], s["write"]["up"], s["read"]["up"]) for s in r["timeline"]]
    assert errors_of(r["write"]) == {} and errors_of(r["read"]) == {}, run.explain()
    assert_nothing_lost(r)


def test_refused_then_back(proxy, tmp_path):
    """Listener gone for 2 s, open connections closed: a balancer that died."""
    run = Pgload(tmp_path, "-W", "2", "-R", "2", "-d", "6", "-w", VIA_PROXY, "--verify", DIRECT)
    sleep_until(run.started + 1.5)
    cut_at = proxy.set_mode("refuse")
    sleep_until(cut_at + 2.0)
    back_at = proxy.set_mode("pass")
    run.wait(30)
    assert run.rc == 0, run.explain()
    r = run.report()
    for name in ("write", "read"):
        role = r[name]
        assert_outage_matches(role, cut_at, back_at, what=name)
        errs = errors_of(role)
        assert errs.get("refused", 0) >= 10 and set(errs) <= {"refused", "closed"}, (
            name, errs, role["error_examples"])
        assert errs.get("closed", 0) >= 1, (name, errs)   # the transactions cut mid-way
        assert "Connection refused" in role["error_examples"]["refused"]
        inside = seconds_within(r, cut_at, back_at)
        assert inside, "no whole second inside the scripted outage"
        for s in inside:
            assert s[name]["ok"] == 0 and s[name]["err"].get("refused", 0) > 0, s
            assert s[name]["up"] == 0 and s[name]["p50_ms"] is None, s
    assert_nothing_lost(r)


def test_57p03_refusal_is_told_apart(proxy, tmp_path):
    """What pgfront answers when no server is up: FATAL 57P03 in the protocol."""
    run = Pgload(tmp_path, "-W", "2", "-R", "1", "-d", "5", "-w", VIA_PROXY, "--verify", DIRECT)
    sleep_until(run.started + 1.5)
    cut_at = proxy.set_mode("reject57")
    sleep_until(cut_at + 1.5)
    back_at = proxy.set_mode("pass")
    run.wait(30)
    assert run.rc == 0, run.explain()
    r = run.report()
    for name in ("write", "read"):
        role = r[name]
        assert_outage_matches(role, cut_at, back_at, what=name)
        errs = errors_of(role)
        assert errs.get("cannot_connect_now", 0) >= 5, (name, errs)
        assert set(errs) <= {"cannot_connect_now", "closed"}, (name, errs)
        assert role["sqlstates"].get("57P03") == errs["cannot_connect_now"], role["sqlstates"]
        assert "cutproxy: no server available" in role["error_examples"]["cannot_connect_now"]
        assert role["connect_failures"] >= errs["cannot_connect_now"]
    assert_nothing_lost(r)


def test_silent_server_times_out(proxy, tmp_path):
    """Connections accepted and never answered: only pgload's timeouts end them."""
    run = Pgload(tmp_path, "-W", "1", "-R", "1", "-d", "5.5", "-w", VIA_PROXY, "--verify",
                 DIRECT, "--connect-timeout", "400", "--query-timeout", "400")
    sleep_until(run.started + 1.5)
    cut_at = proxy.set_mode("blackhole")
    sleep_until(cut_at + 2.0)
    back_at = proxy.set_mode("pass")
    run.wait(30)
    assert run.rc == 0, run.explain()
    r = run.report()
    for name in ("write", "read"):
        role = r[name]
        assert_outage_matches(role, cut_at, back_at, what=name)
        errs = errors_of(role)
        # 2 s of 400 ms timeouts and 100 ms backoffs: about 4 per client
        assert 2 <= errs.get("timeout", 0) <= 6, (name, errs)
        assert set(errs) <= {"timeout", "closed"}, (name, errs)
        assert "no answer within" in role["error_examples"]["timeout"]
    assert_nothing_lost(r)


def test_read_only_primary_fails_writes_not_reads(healthy_pg, tmp_path):
    """A demoted primary: sessions stay, writes get 25006, reads go on."""
    run = Pgload(tmp_path, "-W", "2", "-R", "2", "-d", "5", "-w", DIRECT)
    sleep_until(run.started + 1.5)
    healthy_pg.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    cut_at = time.time()
    healthy_pg.sql("SELECT pg_reload_conf()")
    sleep_until(cut_at + 1.5)
    healthy_pg.sql("ALTER SYSTEM RESET default_transaction_read_only")
    back_at = time.time()
    healthy_pg.sql("SELECT pg_reload_conf()")
    run.wait(30)
    assert run.rc == 0, run.explain()
    r = run.report()
    w, rd = r["write"], r["read"]
    assert_outage_matches(w, cut_at, back_at, what="write")
    assert errors_of(w).keys() == {"read_only"}, errors_of(w)
    assert w["sqlstates"] == {"25006": w["errors"]["read_only"]}
    assert w["failed_transactions"] == w["errors"]["read_only"] >= 5
    assert "read-only transaction" in w["error_examples"]["read_only"]
    assert errors_of(rd) == {}, errors_of(rd)
    assert rd["longest_outage"]["seconds"] < 0.5, rd["longest_outage"]
    assert_nothing_lost(r)


def test_crash_and_restart_loses_no_acknowledged_write(healthy_pg, tmp_path):
    """kill -9 of PostgreSQL in effect (pg_ctl stop -m immediate), back 2 s later.
    The run lasts 12 s: crash recovery on a loaded 2-core machine took over
    5 s once, and the run must outlast it for pgload to verify its writes."""
    run = Pgload(tmp_path, "-W", "4", "-R", "2", "-d", "12", "-w", DIRECT)
    sleep_until(run.started + 1.5)
    cut_at = time.time()
    healthy_pg.stop("immediate")
    time.sleep(2.0)
    healthy_pg.start()                   # returns once it accepts connections
    back_at = time.time()
    run.wait(30)
    assert run.rc == 0, run.explain()
    r = run.report()
    for name in ("write", "read"):
        role = r[name]
        assert_outage_matches(role, cut_at, back_at, what=name)
        errs = errors_of(role)
        assert errs.get("refused", 0) >= 5, (name, errs)
        # the sessions in flight: told (WARNING 57P01) or just closed
        assert errs.get("shutdown", 0) + errs.get("closed", 0) >= 1, (name, errs)
        assert set(errs) <= {"refused", "shutdown", "closed", "cannot_connect_now"}, errs
    assert_nothing_lost(r)
    assert rows_of(healthy_pg, r["run_id"]) >= r["acked_writes"]["acked"]


def test_a_deleted_acknowledged_row_is_reported_lost(healthy_pg, tmp_path):
    acked = str(tmp_path / "acked.txt")
    run = pgload(tmp_path, "-W", "2", "-d", "1.5", "-w", DIRECT, "--no-verify",
                 "--acked", acked, name="load")
    assert run.rc == 0, run.explain()
    r = run.report()
    assert r["acked_writes"]["verified"] is False and r["acked_writes"]["lost"] is None
    with open(acked) as f:
        text = f.read()
    assert text.startswith("# pgload acked v1\nrun_id %d\nclients 2\n" % r["run_id"]), text

    before = pgload(tmp_path, "--verify-only", acked, "--verify", DIRECT, name="before")
    assert before.rc == 0, before.explain()
    b = before.report()
    assert b["verify_only"] is True
    assert b["acked_writes"]["lost"] == 0
    assert b["acked_writes"]["acked"] == r["write"]["transactions_ok"]

    healthy_pg.sql("DELETE FROM pgload_rows WHERE run_id = %s AND client = 1 AND seq = 5",
                   (r["run_id"],))
    after = pgload(tmp_path, "--verify-only", acked, "--verify", DIRECT, name="after")
    assert after.rc == 1, after.explain()
    a = after.report()["acked_writes"]
    assert a["verified"] is True and a["lost"] == 1, a
    assert a["lost_sample"] == [{"client": 1, "seq": 5}], a
    assert "LOST 1 (client/seq: 1/5)" in after.out


def test_verification_that_cannot_connect_is_not_a_pass(healthy_pg, tmp_path):
    run = pgload(tmp_path, "-W", "1", "-d", "1", "-w", DIRECT,
                 "--verify", "host=127.0.0.42 port=5432 user=postgres connect_timeout=2")
    assert run.rc == 1, run.explain()
    a = run.report()["acked_writes"]
    assert a["verified"] is False and a["lost"] is None
    assert "cannot connect" in a["error"] and "refused" in a["error"], a
    assert "NOT VERIFIED" in run.out


def test_tpcb_mode(healthy_pg, tmp_path):
    run = pgload(tmp_path, "-W", "3", "-R", "1", "-d", "2", "-w", DIRECT, "-m", "tpcb",
                 "--rows", "1000")
    assert run.rc == 0, run.explain()
    r = run.report()
    assert r["config"]["mode"] == "tpcb"
    # one account row per transaction: waits, but never a deadlock or an error
    assert errors_of(r["write"]) == {}, r["write"]["error_examples"]
    assert r["write"]["transactions_ok"] > 20
    assert_nothing_lost(r)
    assert rows_of(healthy_pg, r["run_id"]) == r["acked_writes"]["acked"]


def test_sigint_ends_the_run_cleanly(healthy_pg, tmp_path):
    run = Pgload(tmp_path, "-W", "2", "-R", "2", "-d", "60", "-w", DIRECT)
    time.sleep(1.5)
    run.proc.send_signal(signal.SIGINT)
    run.wait(15)
    assert run.rc == 0, run.explain()
    r = run.report()
    assert r["interrupted"] is True and 1.0 < r["duration_s"] < 3.0, r["duration_s"]
    assert "Interrupt: stopping" in run.stderr()
    assert_nothing_lost(r)


@pytest.mark.parametrize("args,message", [
    (["-W", "x"], "--writers: 'x' is not a number of clients"),
    (["-W", "0", "-R", "0"], "no clients"),
    (["--bogus"], "unknown option '--bogus'"),
    (["--verify-only", "/nonexistent/acked"], "cannot read /nonexistent/acked"),
])
def test_bad_usage_exits_2_with_a_reason(built, args, message):
    p = subprocess.run([PGLOAD, *args], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert message in p.stderr, p.stderr
