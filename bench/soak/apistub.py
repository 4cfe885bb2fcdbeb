#!/usr/bin/python3
"""A Patroni REST API that misbehaves on demand, in front of a real one.

    apistub.py LISTEN_IP:PORT UPSTREAM_IP:PORT MODE_FILE

It listens where the soak's pgfront checks one node's API (the node's
address, port 18008: the soak's configuration points that server's
check_port there) and reads MODE_FILE at each request:

  pass     ask the real API (UPSTREAM) the same request and answer what
           it answered (status, Content-Type, body): a transparent relay
  silent   accept, read the request, never answer (the socket stays open)
  garbage  answer 4 KiB of random bytes, no HTTP at all, and close
  big      the real API's answer, its JSON body padded to 1 MiB with a
           "pad" member (Content-Length given)

Threads and sockets only (Debian's Python); one thread per connection.
"""

import http.client
import json
import os
import socket
import sys
import threading

BIG = 1024 * 1024


def mode_of(path):
    try:
        with open(path) as f:
            return f.read().strip() or "pass"
    except OSError:
        return "pass"


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1", "replace").split()


def upstream(addr, method, path):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.reason, r.getheader("Content-Type"), r.read()
    finally:
        c.close()


def answer(conn, up, mode_file):
    words = read_head(conn)
    if len(words) < 2:
        return
    method, path = words[0], words[1]
    mode = mode_of(mode_file)
    if mode == "silent":
        conn.settimeout(None)
        while conn.recv(4096):        # until the checker gives up
            pass
        return
    if mode == "garbage":
        conn.sendall(os.urandom(4096))
        return
    status, reason, ctype, body = upstream(up, method, path)
    if mode == "big" and method != "HEAD":
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        doc["pad"] = ""
        doc["pad"] = "x" * (BIG - len(json.dumps(doc)))
        body = json.dumps(doc).encode()
    head = "HTTP/1.0 %d %s\r\n" % (status, reason)
    if ctype:
        head += "Content-Type: %s\r\n" % ctype
    if method != "HEAD":
        head += "Content-Length: %d\r\n" % len(body)
    conn.sendall(head.encode() + b"\r\n" + (b"" if method == "HEAD" else body))


def serve(conn, up, mode_file):
    try:
        conn.settimeout(10)
        answer(conn, up, mode_file)
    except OSError:
        pass
    finally:
        conn.close()


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    host, port = argv[1].rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(128)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, argv[2], argv[3]), daemon=True).start()


if __name__ == "__main__":
    main(sys.argv)
