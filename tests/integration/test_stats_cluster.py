"""The stats page shows the cluster: what each node's Patroni says (role,
state, timeline, the replicas' replay lag) and the recent events (health
transitions, the write port's primary changes, reloads, admin actions),
in front of the real Patroni cluster of scripts/cluster.

The write port's checks (HEAD /primary, sent as GET) read Patroni's body on
every node: a replica answers 503 with its own body, WAL positions included.
"""

import os
import signal
import time

from helpers.pg import VIP, wait_server_addr
from helpers.pgfront import WRITE_PORT, patroni_config
from test_stats import ARTIFACTS, AUTH, chromium, get_json, request

STATS_PORT = 7095
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def config():
    cfg = patroni_config(inter="500ms", fall=2, rise=1)
    cfg["stats"] = {"bind": "%s:%d" % (VIP, STATS_PORT), "uri": "/",
                    "auth": "%s:%s" % AUTH, "admin": "yes"}
    return cfg


def nodes(doc):
    return {n["name"]: n for n in doc["cluster"]}


def wait_cluster(leader, replicas, timeout=20):
    """Poll the JSON until LEADER is the one running primary and every replica
    has a lag; returns the last document."""
    deadline = time.monotonic() + timeout
    while True:
        doc = get_json(STATS_PORT)
        n = nodes(doc)
        if (n[leader].get("primary") and
                all(n[r].get("role") == "replica" and n[r]["lag_bytes"] is not None
                    for r in replicas)):
            return doc
        if time.monotonic() > deadline:
            raise AssertionError("cluster panel: %s" % doc["cluster"])
        time.sleep(0.2)


def event_texts(doc, kind):
    return [e["text"] for e in doc["events"] if e["kind"] == kind]


def wait_event(kind, pattern, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        doc = get_json(STATS_PORT)
        texts = event_texts(doc, kind)
        if any(pattern in t for t in texts):
            return doc
        if time.monotonic() > deadline:
            raise AssertionError("no %s event with %r in %s" % (kind, pattern, doc["events"]))
        time.sleep(0.2)


def test_page_shows_roles_timeline_lag_and_events(healthy_cluster, pgfront):
    c = healthy_cluster
    p = pgfront(config())
    leader, replicas = c.leader(), c.replicas()
    wait_server_addr(WRITE_PORT, c.addr(leader), timeout=15, what="write port to the leader")

    doc = wait_cluster(leader, replicas)
    n = nodes(doc)
    timeline = n[leader]["timeline"]
    assert timeline >= 1
    assert n[leader]["role"] in ("master", "primary") and n[leader]["state"] == "running"
    assert n[leader]["wal_position"] > 0 and n[leader]["lag_bytes"] is None
    for r in replicas:
        assert n[r]["timeline"] == timeline
        assert n[r]["seen_by"] == "postgres_write"
        assert 0 <= n[r]["lag_bytes"] < 64 * 1024 * 1024
    assert doc["listeners"][0]["primary"]["timeline"] == timeline
    # Each node's first verdict is on the page as an event.
    assert any("postgres_write/%s: INIT -> UP" % leader in t for t in event_texts(doc, "health"))
    for r in replicas:
        wait_event("health", "postgres_write/%s: INIT -> DOWN" % r)
        wait_event("health", "postgres_read/%s: INIT -> UP" % r)

    status, _, metrics = request(STATS_PORT, "/metrics")
    assert status == 200
    metrics = metrics.decode()
    assert 'pgfront_patroni_primary{server="%s"} 1' % leader in metrics
    assert 'pgfront_patroni_timeline{server="%s"} %d' % (replicas[0], timeline) in metrics
    assert 'pgfront_patroni_replication_lag_bytes{server="%s"}' % replicas[0] in metrics
    assert 'pgfront_patroni_info{server="%s",role="replica",state="running"} 1' \
        % replicas[1] in metrics

    status, _, page = request(STATS_PORT, "/")
    page = page.decode()
    assert status == 200 and "<h2>Cluster" in page and "<h2>Recent events" in page
    assert "lag <b>" in page

    # An admin action and a reload are events too.
    status, _, _ = request(STATS_PORT, "/", "POST", body="action=drain&target=postgres_read/%s"
                           % replicas[0], headers=FORM)
    assert status in (200, 303)
    wait_event("admin", "postgres_read/%s: READY -> DRAIN by the operator" % replicas[0])
    p.send_signal(signal.SIGHUP)
    wait_event("reload", "applied")

    # A switchover: the old primary goes, the new one is proven, on a new timeline.
    new = c.switchover()
    doc = wait_event("primary", "postgres_write: %s is the primary" % new, timeout=40)
    assert any("postgres_write/%s: UP -> DOWN" % leader in t for t in event_texts(doc, "health"))
    doc = wait_cluster(new, [leader] + [r for r in replicas if r != new], timeout=40)
    assert nodes(doc)[new]["timeline"] > timeline
    # Newest first.
    times = [e["time"] for e in doc["events"]]
    assert times == sorted(times, reverse=True)

    # What an operator sees now: tests/artifacts/stats-cluster.png (docs/stats.png).
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, "stats-cluster.png")
    if os.path.exists(path):
        os.unlink(path)
    url = "http://%s:%s@%s:%d/" % (AUTH[0], AUTH[1], VIP, STATS_PORT)
    shot = chromium(url, "--screenshot=" + path, "--window-size=1280,1500", "--hide-scrollbars")
    assert shot.returncode == 0, shot.stderr.decode(errors="replace")[-2000:]
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
