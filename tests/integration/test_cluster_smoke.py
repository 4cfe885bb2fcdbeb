"""The local Patroni cluster itself, without pgfront: what pgfront's checks
and the other tests take for granted."""

import http.client
import time
import uuid

import psycopg2
import psycopg2.errors
import pytest

from helpers.pg import connect, in_recovery, query, server_addr


def head(addr, path):
    """Status of HEAD PATH on ADDR:8008, as pgfront's checks see it."""
    c = http.client.HTTPConnection(addr, 8008, timeout=5)
    try:
        c.request("HEAD", path)
        return c.getresponse().status
    finally:
        c.close()


def test_one_leader_and_two_streaming_replicas(cluster):
    cluster.wait_healthy()
    leader = cluster.leader()
    replicas = cluster.replicas()
    assert leader in cluster.nodes
    assert sorted(replicas) == sorted(n for n in cluster.nodes if n != leader)

    conn = connect(5432, host=cluster.addr(leader))
    try:
        assert server_addr(conn) == cluster.addr(leader)
        assert in_recovery(conn) is False
        rows = query(conn, "SELECT application_name, state FROM pg_stat_replication")
    finally:
        conn.close()
    assert sorted(rows) == sorted((r, "streaming") for r in replicas)

    for r in replicas:
        conn = connect(5432, host=cluster.addr(r))
        try:
            assert in_recovery(conn) is True
        finally:
            conn.close()


def test_rest_api_answers_what_pgfront_checks(cluster):
    cluster.wait_healthy()
    leader = cluster.leader()
    for name, addr in cluster.nodes.items():
        if name == leader:
            assert (head(addr, "/primary"), head(addr, "/replica")) == (200, 503), name
        else:
            assert (head(addr, "/primary"), head(addr, "/replica")) == (503, 200), name


def test_write_on_leader_is_read_on_replicas(cluster):
    cluster.wait_healthy()
    leader = cluster.leader()
    payload = "smoke-%s" % uuid.uuid4()

    conn = connect(5432, host=cluster.addr(leader))
    try:
        (node,) = query(conn, "INSERT INTO pgfront_test (payload) VALUES (%s) RETURNING node",
                        (payload,))[0]
    finally:
        conn.close()
    assert node == cluster.addr(leader)

    for r in cluster.replicas():
        conn = connect(5432, host=cluster.addr(r))
        try:
            deadline = time.monotonic() + 10
            while not query(conn, "SELECT 1 FROM pgfront_test WHERE payload = %s", (payload,)):
                assert time.monotonic() < deadline, "row not replicated to %s within 10s" % r
                time.sleep(0.1)
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                query(conn, "INSERT INTO pgfront_test (payload) VALUES ('no')")
        finally:
            conn.close()


def test_password_is_required_over_tcp(cluster):
    leader = cluster.leader()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(host=cluster.addr(leader), port=5432, user="postgres",
                         password="wrong", dbname="testdb", connect_timeout=3)
