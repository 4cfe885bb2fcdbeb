"""Stub peers on loopback: an HTTP health endpoint whose answer can be
switched while pgfront checks it, and a plain TCP server standing in for
PostgreSQL.  Threads and sockets only (Debian's Python, no packages).

Use addresses 127.0.0.21 .. 127.0.0.29 (the cluster has .11-.13, pgfront's
tests listen on .222): e.g. HttpStub("127.0.0.21") on :8008 and
TcpServer("127.0.0.21", 5432) make one fake node.
"""

import hashlib
import json
import random
import socket
import threading
import time

PATRONI_200 = b"HTTP/1.0 200 OK\r\n\r\n"
STATUS_503 = b"HTTP/1.0 503 Service Unavailable\r\n\r\n"
GARBAGE = b"hello\n"


def _listen(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(128)
    s.settimeout(0.1)
    return s


class _Server:
    """Accept loop in a thread; one thread per connection (handle())."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._conns = set()
        self._sock = None
        self._stopped = threading.Event()
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.listen()
        self._thread.start()

    def listen(self):
        with self._lock:
            if self._sock is None:
                self._sock = _listen(self.host, self.port)

    def unlisten(self):
        """Close the listening socket: connections are then refused."""
        with self._lock:
            if self._sock is not None:
                # shutdown() stops a listening socket at once; close() alone
                # waits for the accept thread's poll() to let go of it.
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._sock.close()
                self._sock = None

    def close_connections(self):
        """Close every accepted connection (the peer sees EOF)."""
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    @property
    def active(self):
        with self._lock:
            return len(self._conns)

    def _accept_loop(self):
        while not self._stopped.is_set():
            with self._lock:
                sock = self._sock
            if sock is None:
                time.sleep(0.05)
                continue
            try:
                conn, peer = sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(None)
            with self._lock:
                self._conns.add(conn)
                self.accepted += 1
            threading.Thread(target=self._run, args=(conn, peer), daemon=True).start()

    def _run(self, conn, peer):
        try:
            self.handle(conn, peer)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def handle(self, conn, peer):
        raise NotImplementedError

    def stop(self):
        self._stopped.set()
        self.unlisten()
        self.close_connections()
        self._thread.join(2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class HttpStub(_Server):
    """A Patroni REST API stand-in.  Modes (switch with set_mode()):

      patroni200  answer b"HTTP/1.0 200 OK\\r\\n\\r\\n" and close
      status503   answer "HTTP/1.0 503 Service Unavailable" and close
      silent      accept, read the request, never answer (until the mode changes)
      garbage     answer b"hello\\n" and close
      closed      not listening: connections are refused
      raw         answer the bytes given to set_mode("raw", response=...) and close

    requests holds (monotonic time, request line) of every request read.
    """

    MODES = ("patroni200", "status503", "silent", "garbage", "closed", "raw")

    def __init__(self, host, port=8008, mode="patroni200"):
        if mode not in self.MODES:
            raise ValueError("mode %r not in %s" % (mode, self.MODES))
        self.requests = []
        self._mode = mode
        self._response = b""
        self._mode_changed = threading.Condition()
        super().__init__(host, port)
        if mode == "closed":
            self.unlisten()

    @property
    def mode(self):
        return self._mode

    def set_mode(self, mode, response=None, hang_up=True):
        """hang_up=False leaves checks held open by 'silent' hanging."""
        if mode not in self.MODES:
            raise ValueError("mode %r not in %s" % (mode, self.MODES))
        with self._mode_changed:
            self._mode = mode
            self._response = response or b""
            self._mode_changed.notify_all()
        # Checks held open by 'silent' end with the mode they were held by.
        if hang_up:
            self.close_connections()
        if mode == "closed":
            self.unlisten()
        else:
            self.listen()

    def read_request(self, conn):
        """Reads one request head; records and returns its request line."""
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        with self._mode_changed:
            self.requests.append((time.monotonic(), line))
        return line

    def handle(self, conn, peer):
        self.read_request(conn)
        self.answer_by_mode(conn)

    def answer_by_mode(self, conn):
        with self._mode_changed:
            mode = self._mode
            response = self._response
        if mode == "silent":
            conn.settimeout(None)
            while conn.recv(4096):     # until the checker gives up, or close_connections()
                pass
            return
        answer = {"patroni200": PATRONI_200, "status503": STATUS_503,
                  "garbage": GARBAGE, "raw": response}.get(mode, b"")
        conn.sendall(answer)

    def request_count(self):
        with self._mode_changed:
            return len(self.requests)

    def wait_requests(self, n, timeout=10):
        """Wait until at least N requests have been read; returns them."""
        deadline = time.monotonic() + timeout
        while self.request_count() < n:
            if time.monotonic() > deadline:
                raise AssertionError("%s:%d got %d checks, not %d, within %ss"
                                     % (self.host, self.port, self.request_count(), n, timeout))
            time.sleep(0.02)
        with self._mode_changed:
            return list(self.requests)


class PatroniStub(HttpStub):
    """Answers as Patroni 3.0's REST API does (patroni/api.py, do_GET): the
    status from the leader lock and the path, a JSON body on GET (none on
    HEAD) with what PostgreSQL reported: state, role, timeline.

      role      "primary" (holds the lock: 200 on /primary; the body says
                role master once promoted), "replica" (200 on /replica),
                or "down" (503 to everything, PostgreSQL stopped)
      state     PostgreSQL's state in the body: running, stopping, unknown...
      body_role the body's role, when it differs from what role implies
                (a new primary mid-promotion: role primary, body_role replica)
      timeline  the body's timeline

    Every HttpStub mode still applies (silent, closed, garbage...); the
    Patroni answer is mode "patroni200", the default."""

    def __init__(self, host, role="replica", timeline=1, port=8008):
        self.role, self.state, self.body_role, self.timeline = role, "running", None, timeline
        super().__init__(host, port, "patroni200")

    def set(self, role=None, state=None, body_role=None, timeline=None):
        """Change what the node says; body_role is reset unless given."""
        with self._mode_changed:
            if role is not None:
                self.role = role
            if state is not None:
                self.state = state
            if timeline is not None:
                self.timeline = timeline
            self.body_role = body_role

    def handle(self, conn, peer):
        line = self.read_request(conn)
        with self._mode_changed:
            if self._mode != "patroni200":
                patroni = None
            else:
                patroni = (self.role, self.state, self.body_role, self.timeline)
        if patroni is None:
            self.answer_by_mode(conn)
            return
        role, state, body_role, timeline = patroni
        method, path = (line.split() + ["", ""])[:2]
        if role == "down":
            ok, body = False, {"state": "stopped", "role": "replica"}
        else:
            ok = path.startswith("/primary") if role == "primary" else \
                path.startswith("/replica") and state == "running"
            body = {"state": state, "timeline": timeline,
                    "role": body_role or ("master" if role == "primary" else "replica")}
        head = b"HTTP/1.0 200 OK\r\n" if ok else b"HTTP/1.0 503 Service Unavailable\r\n"
        head += b"Content-Type: application/json\r\n\r\n"
        conn.sendall(head if method == "HEAD" else head + json.dumps(body).encode())

    def requests_since(self, t):
        with self._mode_changed:
            return [r for r in self.requests if r[0] >= t]


def _recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_first_packet(conn):
    """The first packet pgfront forwards (it connects to a server only once
    the client's is whole): a length-prefixed PostgreSQL packet (startup,
    SSL or GSS request, CancelRequest), or a TLS record. None on EOF."""
    first = _recv_exact(conn, 1)
    if first is None:
        return None
    if first == b"\x16":                       # TLS: type, version, length
        head = _recv_exact(conn, 4)
        body = head and _recv_exact(conn, int.from_bytes(head[2:4], "big"))
        return None if body is None else first + head + body
    head = _recv_exact(conn, 3)
    if head is None:
        return None
    rest = _recv_exact(conn, int.from_bytes(first + head, "big") - 4)
    return None if rest is None else first + head + rest


def pattern(n, seed=1):
    """N deterministic pseudo-random bytes (the same for the same seed)."""
    return random.Random(seed).randbytes(n)


class TcpServer(_Server):
    """A plain TCP backend.  Modes (fixed at creation, or set .mode):

      echo     send back everything received, until the client closes
      sink     read until EOF; record (byte count, sha256 hex) in .received
      source   send .source_bytes (pattern(n, seed)), shut down writing, read
               until EOF; then close
      stream   send .source_bytes and keep the connection open, reading until
               EOF: the client sees the stream end only by its length. With
               tail=N, the last N bytes go 0.2 s after the rest
      digest   read until .expect bytes came, answer with their sha256 (hex,
               64 bytes), read until EOF
      silent   accept and read, never answer

    Like PostgreSQL, it first reads the client's first packet (a startup
    packet, as pgfront forwards it before anything else) and keeps it in
    .first_packets; the mode applies to what follows. first_packet=False
    applies the mode from the first byte. A CancelRequest is closed at once.

    .received is a list, one entry per finished sink connection.
    """

    def __init__(self, host, port, mode="echo", source_size=0, source_seed=1,
                 greeting=b"", first_packet=True, expect=0, tail=0):
        self.mode = mode
        self.expect = expect
        self.tail = tail
        self.source_bytes = pattern(source_size, source_seed) if source_size else b""
        self.greeting = greeting
        self.first_packet = first_packet
        self.first_packets = []
        self.received = []
        self._received_cv = threading.Condition()
        super().__init__(host, port)

    def handle(self, conn, peer):
        if self.greeting:
            conn.sendall(self.greeting)
        if self.first_packet:
            packet = read_first_packet(conn)
            with self._received_cv:
                self.first_packets.append(packet)
            # As PostgreSQL does, a CancelRequest gets no answer but a close.
            if packet is None or packet[4:8] == b"\x04\xd2\x16\x2e":
                return
        mode = self.mode
        if mode == "echo":
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        elif mode == "sink":
            h, n = hashlib.sha256(), 0
            while True:
                data = conn.recv(262144)
                if not data:
                    break
                h.update(data)
                n += len(data)
            with self._received_cv:
                self.received.append((n, h.hexdigest()))
                self._received_cv.notify_all()
        elif mode == "source":
            conn.sendall(self.source_bytes)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):
                pass
        elif mode == "stream":
            cut = len(self.source_bytes) - self.tail
            conn.sendall(self.source_bytes[:cut])
            if self.tail:
                time.sleep(0.2)
                conn.sendall(self.source_bytes[cut:])
            while conn.recv(65536):
                pass
        elif mode == "digest":
            h, n = hashlib.sha256(), 0
            while n < self.expect:
                data = conn.recv(min(262144, self.expect - n))
                if not data:
                    return
                h.update(data)
                n += len(data)
            conn.sendall(h.hexdigest().encode())
            while conn.recv(65536):
                pass
        elif mode == "silent":
            while conn.recv(65536):
                pass
        else:
            raise ValueError("mode %r" % mode)

    def wait_received(self, count=1, timeout=30):
        """Wait until COUNT sink connections finished; returns .received."""
        deadline = time.monotonic() + timeout
        with self._received_cv:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s:%d: %d sink connections finished, not %d"
                                         % (self.host, self.port, len(self.received), count))
                self._received_cv.wait(left)
            return list(self.received)


def sha256(data):
    return hashlib.sha256(data).hexdigest()
