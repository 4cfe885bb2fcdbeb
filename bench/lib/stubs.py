"""Stand-ins for the peers the proxies talk to besides PostgreSQL:
Patroni's REST API (HEAD /primary, HEAD /replica) and, for the idle-
connection row, a plain TCP server that accepts and holds."""

import multiprocessing
import selectors
import socket
import threading
import time


class PatroniStub:
    """Answers every request on HOST:8008 with a bare status line: 200 for
    the paths in OK, 503 otherwise, then closes (as the proxies' checks
    expect of Patroni)."""

    def __init__(self, host, port, ok_paths):
        self.ok = set(ok_paths)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            try:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 8192:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                parts = data.split(b" ")
                path = parts[1].decode(errors="replace") if len(parts) > 1 else ""
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n" if path in self.ok
                             else b"HTTP/1.0 503 Service Unavailable\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stopped.set()
        self.sock.close()
        self.thread.join(2)


class HoldServer:
    """Accepts connections on HOST:PORT and holds them, never reading or
    answering: what an idle PostgreSQL session looks like to a proxy.

    It runs in a process of its own, so that its sockets and the bench's
    client sockets do not share one open-files limit."""

    def __init__(self, host, port):
        self._count = multiprocessing.Value("i", 0)
        self._cmd, child = multiprocessing.Pipe()
        self._proc = multiprocessing.Process(target=_hold, args=(host, port, self._count, child),
                                             daemon=True)
        self._proc.start()
        if not self._cmd.poll(10) or self._cmd.recv() != "listening":
            raise RuntimeError("hold server on %s:%d did not start" % (host, port))

    @property
    def count(self):
        return self._count.value

    def drop_all(self):
        self._cmd.send("drop")
        if not self._cmd.poll(30):
            raise RuntimeError("hold server does not answer")
        self._cmd.recv()

    def stop(self):
        if self._proc.is_alive():
            self._cmd.send("stop")
            self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()


def _hold(host, port, count, cmd):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(4096)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, "accept")
    sel.register(cmd, selectors.EVENT_READ, "cmd")
    held = []
    cmd.send("listening")
    while True:
        for key, _ in sel.select(1.0):
            if key.data == "accept":
                while True:
                    try:
                        conn, _ = lsock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:       # out of descriptors: retry later
                        time.sleep(0.05)
                        break
                    held.append(conn)
                count.value = len(held)
                continue
            what = cmd.recv()
            for c in held:
                c.close()
            held = []
            count.value = 0
            if what == "stop":
                lsock.close()
                return
            cmd.send("dropped")
