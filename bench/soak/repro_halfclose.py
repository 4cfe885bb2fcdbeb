#!/usr/bin/python3
"""Reproduces a defect make soak found (bench/RESULTS.md, Soak and faults):
a client that closes its connection while pgfront waits for a silent
server's first answer keeps its place under [global] maxconn until
timeout_server.

    ip netns add pgf-repro; ip netns exec pgf-repro bench/soak/repro_halfclose.py
    ip netns del pgf-repro

pgfront (maxconn 2) in front of a server whose port listens and never
accepts, its Patroni stub saying replica; two clients send a StartupMessage
and close; a third is refused "too many connections" today. Prints what
the third client got; exit 1 while the defect is there."""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from helpers.stubs import PatroniStub  # noqa: E402

INI = """[global]
maxconn = 2
[defaults]
check_port = 8008
inter = 1s
[server s]
address = 127.0.0.71:5432
[listen r]
bind = 127.0.0.72:5433
check = HEAD /replica
"""


def startup():
    body = struct.pack("!i", 196608) + b"user\0x\0database\0x\0\0"
    return struct.pack("!i", len(body) + 4) + body


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    api = PatroniStub("127.0.0.71", role="replica")
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.71", 5432))
    silent.listen(16)                     # the kernel completes handshakes; nobody answers
    with tempfile.NamedTemporaryFile("w", suffix=".ini") as ini:
        ini.write(INI)
        ini.flush()
        front = subprocess.Popen([os.path.join(ROOT, "pgfront"), "-f", ini.name])
        try:
            time.sleep(3)                 # the server UP
            for _ in range(2):
                c = socket.create_connection(("127.0.0.72", 5433))
                c.sendall(startup())
                time.sleep(0.5)
                c.close()                 # the client gives up (a connect timeout)
            time.sleep(1)
            c = socket.create_connection(("127.0.0.72", 5433))
            c.sendall(startup())
            c.settimeout(3)
            try:
                got = c.recv(200)
            except socket.timeout:
                got = b""
        finally:
            front.terminate()
            front.wait()
            api.stop()
    refused = b"too many connections" in got
    print("third client: %s" % (got or "no answer within 3 s (waits for the server, as it should)"))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
