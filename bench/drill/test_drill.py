"""The drill's pure parts against lines the lab's daemons really wrote:
/usr/bin/python3 -m pytest bench/drill (not part of `make test`)."""

import xml.etree.ElementTree as ET

import events as ev
import load
import report
import svg

PGFRONT = """\
2026-11-26 02:46:03.493 pgfront[notice]: vrrp VI_01: BACKUP -> MASTER (no advertisement from a MASTER for 3.61s)
2026-11-26 02:46:03.492 pgfront[info]: vrrp VI_01: 198.18.145.222/32 added to eth0
2026-11-26 02:52:16.500 pgfront[notice]: postgres_write/ubn-pgsql-3: DOWN -> UP (HTTP 200, 4 ms)
2026-11-26 02:52:20.800 pgfront[notice]: postgres_read/ubn-pgsql-3: closed 75 session(s)
2026-11-26 02:52:10.800 pgfront[warning]: postgres_write/ubn-pgsql-1: connect from 198.18.145.206:54880 failed: Connection refused
2026-11-26 02:52:10.801 pgfront[warning]: postgres_write/ubn-pgsql-1: connect from 198.18.145.206:54882 failed: Connection refused
2026-11-26 02:38:37.215 pgfront[info]: postgres_write: 198.18.145.206:37506 -> ubn-pgsql-3: closed by client after 0.015 s, 270 bytes in, 658 bytes out
"""

HAPROXY = """\
[WARNING]  (7) : Server postgres_write/ubn-pgsql-1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 2ms. 2 active and 0 backup servers left.
2026-11-26T02:37:54.297291+00:00 Server postgres_write/ubn-pgsql-1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 2ms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
2026-11-26T02:37:58.479319+00:00 Connect from 198.18.145.206:50298 to 198.18.145.222:5432 (postgres_write/TCP)
2026-11-26T02:54:43.600000+00:00 Server postgres_write/ubn-pgsql-2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 1 active and 0 backup servers online.
2026-11-26T02:54:43.700000+00:00 proxy postgres_write has no server available!
"""

KEEPALIVED = """\
Thu Nov 26 02:37:54 2026: (VI_01) Entering BACKUP STATE (init)
Thu Nov 26 02:38:14 2026: Script `check_haproxy` now returning 1
Thu Nov 26 02:38:14 2026: (VI_01) Changing effective priority from 103 to 101
Thu Nov 26 02:38:17 2026: Sending gratuitous ARP on eth0 for 198.18.145.222
"""

PATRONI = """\
2026-11-26 02:52:11,800 INFO: no action. I am (ubn-pgsql-3), a secondary, and following a leader (ubn-pgsql-1)
2026-11-26 02:52:12,000 INFO: promoted self to leader by acquiring session lock
server promoting
2026-11-26 02:52:22,000 INFO: no action. I am (ubn-pgsql-3), the leader with the lock
"""

T0 = 1795661520.0      # 2026-11-26 02:52:00 UTC


def texts(evs):
    return [(e["host"], e["kind"], e["text"]) for e in evs]


def test_pgfront_lines():
    evs = ev.parse_pgfront(PGFRONT, "lb1")
    assert texts(evs) == [
        ("lb1", "vip", "vrrp VI_01: BACKUP -> MASTER (no advertisement from a MASTER for 3.61s)"),
        ("lb1", "vip", "vrrp VI_01: 198.18.145.222/32 added to eth0"),
        ("lb1", "mark", "postgres_write/ubn-pgsql-3 DOWN -> UP (HTTP 200, 4 ms)"),
        ("lb1", "info", "postgres_read/ubn-pgsql-3: closed 75 session(s)"),
        ("lb1", "info", "postgres_write/ubn-pgsql-1: connect from 198.18.145.206:54880 failed: "
                        "Connection refused"),
        ("lb1", "info", "postgres_write/ubn-pgsql-1: connect from 198.18.145.206:54882 failed: "
                        "Connection refused"),
    ]
    assert abs(evs[2]["t"] - (T0 + 16.5)) < 1e-6


def test_haproxy_lines_need_a_time_stamp():
    evs = ev.parse_haproxy(HAPROXY, "lb2")
    assert texts(evs) == [
        ("lb2", "mark", "postgres_write/ubn-pgsql-1 DOWN (Layer7 wrong status)"),
        ("lb2", "mark", "postgres_write/ubn-pgsql-2 UP (Layer7 check passed)"),
        ("lb2", "mark", "postgres_write has no server available"),
    ]
    assert abs(evs[1]["t"] - (T0 + 163.6)) < 1e-6


def test_keepalived_lines():
    evs = ev.parse_keepalived(KEEPALIVED, "lb1")
    assert [e["kind"] for e in evs] == ["vip", "info", "info"]
    assert evs[0]["t"] == T0 - 846      # 02:37:54


def test_patroni_keeps_role_changes_only():
    evs = ev.parse_patroni(PATRONI, "pg3")
    assert texts(evs) == [("pg3", "role", "promoted self to leader by acquiring session lock")]
    assert abs(evs[0]["t"] - (T0 + 12.0)) < 1e-6


def test_collapse_merges_a_burst_from_one_host():
    evs = ev.collapse(ev.parse_pgfront(PGFRONT, "lb1"))
    burst = [e for e in evs if "connect from" in e["text"]]
    assert len(burst) == 1
    assert burst[0]["text"] == ("postgres_write/ubn-pgsql-1: connect from * failed: "
                                "Connection refused (x2 in 0.0 s)")


def test_ip_monitor_lines():
    text = ("[2026-11-26T03:11:56.275765] 2: eth0    inet 198.18.145.222/32 scope global eth0\n"
            "       valid_lft forever preferred_lft forever\n"
            "[2026-11-26T03:11:57.000001] Deleted 2: eth0    inet 198.18.145.222/32 scope global eth0\n"
            "[2026-11-26T03:11:58.000000] 2: eth0    inet 198.18.145.99/32 scope global eth0\n")
    evs = ev.parse_ip_monitor(text, "lb2", "198.18.145.222")
    assert texts(evs) == [("lb2", "vip", "198.18.145.222 added to eth0"),
                          ("lb2", "vip", "198.18.145.222 removed from eth0")]
    assert abs(evs[0]["t"] - (T0 + 1196.275765)) < 1e-6     # 03:11:56.275765


def test_vip_events_one_per_change():
    samples = [(1.0, ("lb1",)), (1.1, ("lb1",)), (1.2, ()), (1.3, ("lb2",)), (1.4, ("lb2",))]
    assert [(e["t"], e["text"]) for e in ev.vip_events(samples)] == [
        (1.0, "VIP on lb1"), (1.2, "VIP on no balancer"), (1.3, "VIP on lb2")]


def pgload_report():
    def sec(t, wok, werr, rok):
        return {"t": t, "write": {"ok": wok, "errors": werr, "err": {"closed": werr} if werr else {}},
                "read": {"ok": rok, "errors": 0, "err": {}}}
    gap = {"seconds": 3.5, "from_s": 10.2, "to_s": 13.7, "from_start": False, "to_end": False}
    start = {"seconds": 0.3, "from_s": 0.0, "to_s": 0.3, "from_start": True, "to_end": False}
    return {
        "start_unix": 1000.0, "duration_s": 20.0, "config": {"outage_min_ms": 500.0},
        "write": {"clients": 50, "transactions_ok": 900, "errors": {"closed": 50, "refused": 0},
                  "longest_outage": gap, "outages": [start, gap], "error_examples": {}},
        "read": {"clients": 150, "transactions_ok": 3000, "errors": {},
                 "longest_outage": start, "outages": [start], "error_examples": {}},
        "timeline": [sec(t, 0 if 10 <= t <= 13 else 50, 50 if t == 10 else 0, 150)
                     for t in range(20)],
    }


def test_summarize_leaves_out_the_first_connection():
    s = load.summarize(pgload_report(), {"acked_writes": {"acked": 900, "verified": True,
                                                          "lost": 0}}, 1010.0)
    assert s["write"]["outage"]["seconds"] == 3.5
    assert abs(s["write"]["outage"]["after_action_s"] - 0.2) < 1e-9
    assert s["read"]["outage"] is None
    assert s["write"]["errors"] == {"closed": 50}
    assert (s["lost"], s["acked"], s["baseline_errors"]) == (0, 900, 0)


def test_table_and_svg():
    s = load.summarize(pgload_report(), None, 1010.0)
    events = [ev.event(1010.0, "drill", "drill", "action", "kill -9"),
              ev.event(1011.5, "vip", "vip", "vip", "VIP on lb2"),
              ev.event(1013.0, "lb2", "pgfront", "mark",
                       "postgres_write/ubn-pgsql-2 DOWN -> UP (HTTP 200, 4 ms)")]
    for e in events:
        e["t_rel"], e["t_action"] = e["t"] - 1000.0, e["t"] - 1010.0
    r = {"scenario": "kill", "title": "kill", "balancer": "pgfront", "load": s,
         "events": events, "vip_before": "lb1", "vip_after": "lb2",
         "old_leader_name": "ubn-pgsql-1", "new_leader_name": "ubn-pgsql-2",
         "seconds": 20, "action": "kill -9", "svg": "x.svg"}
    row = report.table_rows([r])[0]
    assert row[2:5] == ["1", "3.50 s", "< 0.5 s"]
    assert row[8].startswith("not verified")
    assert row[9] == "+1.5 s → lb2"
    assert row[11] == "— / +3.0 s"
    doc = svg.render("t", "s", s["timeline"], [dict(e, t=e["t_rel"]) for e in events], 10.0,
                     {"write": (10.2, 13.7)})
    root = ET.fromstring(doc)
    assert root.tag.endswith("svg")
    rects = [el for el in root.iter() if el.tag.endswith("rect")]
    # background, 2 panels, 1 outage band, 16 + 20 success bars, 1 error bar
    assert len(rects) == 1 + 2 + 1 + 16 + 20 + 1


# --- direct mode, repeats and the acceptance table -------------------------

def test_direct_targets_are_multi_host():
    w, r = load.targets("direct", "198.18.145.222", 5432, 5433,
                        ["198.18.145.201", "198.18.145.202", "198.18.145.203"])
    assert w == ("host=198.18.145.201,198.18.145.202,198.18.145.203 port=5432 user=postgres "
                 "password=postgres dbname=testdb target_session_attrs=read-write")
    assert r == ("host=198.18.145.202,198.18.145.203,198.18.145.201 port=5432 user=postgres "
                 "password=postgres dbname=testdb target_session_attrs=prefer-standby")
    w, r = load.targets("pgfront", "198.18.145.222", 5432, 5433, [])
    assert "host=198.18.145.222 port=5432 " in w + " " and "port=5433" in r
    assert "target_session_attrs" not in w + r
    assert "wrong_role" in load.ERROR_KINDS


def fake_run(scenario, mode, run_no, write_outage, read_only=0, lost=0, promoted_at=None,
             to_end=False, skipped=None):
    """A run as drill.run_one leaves it, with the figures the tables use."""
    base = {"scenario": scenario, "title": scenario.upper(), "balancer": mode, "run": run_no}
    if skipped:
        return dict(base, skipped=skipped)
    rep = pgload_report()
    rep["write"]["errors"] = {"read_only": read_only, "closed": 50, "refused": 0}
    rep["write"]["connect_failures"] = 7
    gap = dict(rep["write"]["longest_outage"], seconds=write_outage, to_end=to_end)
    rep["write"]["longest_outage"] = gap
    rep["write"]["outages"] = [gap]
    s = load.summarize(rep, {"acked_writes": {"acked": 900, "verified": True, "lost": lost}},
                       1010.0)
    events = [ev.event(1010.0, "drill", "drill", "action", "x")]
    if promoted_at is not None:
        events.append(ev.event(1010.0 + promoted_at, "pg2", "patroni", "role",
                               "promoted self to leader by acquiring session lock"))
    for e in events:
        e["t_rel"], e["t_action"] = e["t"] - 1000.0, e["t"] - 1010.0
    return dict(base, load=s, events=events, vip_before="lb1", vip_after="lb1",
                old_leader_name="ubn-pgsql-1", new_leader_name="ubn-pgsql-2")


def test_run_figures():
    f = report.run_figures(fake_run("kill", "pgfront", 1, 31.8, read_only=4, promoted_at=28.7))
    assert f["write_outage_s"] == 31.8 and f["read_outage_s"] == 0.0
    assert f["write_read_only"] == 4 and f["write_errors"] == 54
    assert f["write_errors_by_kind"] == {"read_only": 4, "closed": 50}
    assert f["write_connect_failures"] == 7
    assert (f["acked"], f["lost"]) == (900, 0)
    assert abs(f["promoted_s"] - 28.7) < 1e-9 and f["promoted_host"] == "pg2"
    # the outage ends at 13.7 s of the load, the action came at 10 s
    assert abs(f["writes_back_after_promotion_s"] - (3.7 - 28.7)) < 1e-9
    assert report.writes_back_after_promotion(None, 10.0, 2.0) is None
    assert report.writes_back_after_promotion({"to_s": 13.0}, 10.0, None) is None
    assert abs(report.writes_back_after_promotion({"to_s": 13.0}, 10.0, 2.5) - 0.5) < 1e-9
    direct = report.run_figures(fake_run("kill", "direct", 1, 29.0))
    assert direct["old_primary_down_s"] is None and direct["new_primary_up_s"] is None
    assert direct["promoted_s"] is None


def test_aggregate_median_and_worst():
    runs = [fake_run("switchover", "pgfront", 1, 8.0, read_only=0),
            fake_run("switchover", "pgfront", 2, 5.0, read_only=3, lost=1),
            fake_run("switchover", "pgfront", 3, 6.0, read_only=1, to_end=True),
            fake_run("balancer", "direct", 1, 0, skipped="no balancer")]
    agg = report.aggregate(runs)
    g = agg["switchover"]["pgfront"]
    assert g["runs"] == 3
    assert g["write_outage_s"] == {"median": 6.0, "worst": 8.0}
    assert g["write_read_only"] == {"median": 1, "worst": 3}
    assert g["write_errors_by_kind"]["read_only"] == {"median": 1, "worst": 3}
    assert g["write_outage_to_end"] is True
    assert (g["lost_total"], g["acked_total"]) == (1, 2700)
    assert agg["balancer"]["direct"]["runs"] == 0
    assert agg["balancer"]["direct"]["skipped"] == "no balancer"
    assert report.mw_seconds(g["write_outage_s"], True) == "6.00 s (≥ 8.00)"
    assert report.mw_seconds({"median": 0.0, "worst": 0.7}, floor=0.5) == "< 0.5 s (0.70)"
    assert report.mw_count({"median": 1.5, "worst": 3}) == "1.5 (3)"


def test_acceptance_table_rows_are_scenarios_columns_modes():
    runs = []
    for n in (1, 2):
        runs += [fake_run("kill", "pgfront", n, 31.0 + n, promoted_at=28.0 + n),
                 fake_run("kill", "haproxy", n, 33.0, read_only=2 * n, promoted_at=29.0),
                 fake_run("kill", "direct", n, 29.0 + n, lost=n),
                 fake_run("balancer", "pgfront", n, 1.5),
                 fake_run("balancer", "direct", n, 0, skipped="no balancer")]
    head, rows = report.acceptance_rows(runs)
    assert head[:5] == ["scenario", "runs", "pgfront write outage",
                        "HAProxy + keepalived write outage", "direct write outage"]
    assert [r[0] for r in rows] == ["KILL", "BALANCER"]
    kill, bal = rows
    assert kill[1] == "2"
    assert kill[2:5] == ["32.50 s (33.00)", "33.00 s (33.00)", "30.50 s (31.00)"]
    assert kill[5] == "0 (0) / 3 (4) / 0 (0)"    # read_only, median (worst) per mode
    assert kill[6] == "0 / 0 / 3"                # lost, all runs
    assert kill[7] == "+29.0 s (29.5 s)"         # median of 29, 30, 29, 29 (+0.5)
    # outage ends 3.7 s after the action: 3.7 - 29, 3.7 - 30 / 3.7 - 29 twice / no promotion
    assert kill[8] == "-25.8 s (-25.3) / -25.3 s (-25.3) / —"
    assert bal[2:5] == ["1.50 s (1.50)", "not run", "skipped"]
    text = report.text_summary(runs)
    assert "HAProxy + keepalived write outage" in text and "skipped: no balancer" in text
