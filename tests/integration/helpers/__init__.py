"""Helpers for pgfront's integration tests: the local Patroni cluster
(scripts/cluster), the pgfront binary, PostgreSQL clients, and stub peers.

Everything here talks to loopback addresses (127.0.0.0/8) only.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def wait_for(predicate, timeout=5, what="condition", interval=0.02):
    """Polls PREDICATE until it returns something true, and returns that;
    AssertionError naming WHAT after TIMEOUT seconds."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def echo(sock, data):
    """Sends DATA and reads until as many bytes came back; whether they are
    DATA (False if the peer closed first)."""
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(len(data) - len(got))
        if not chunk:
            return False
        got += chunk
    return got == data
