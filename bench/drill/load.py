"""bench/pgload, as the drill runs it on cli and reads its JSON report
(bench/README.md describes both).  summarize() is pure."""

import json
import os

# A client gives up a connection attempt after this long, as an application
# with a connect timeout would (libpq has none by default; pgload's is 2 s,
# which a busy shared machine trips at connection storms).
CONNECT_TIMEOUT_MS = 5000

ERROR_KINDS = ("refused", "closed", "read_only", "wrong_role", "cannot_connect_now",
               "shutdown", "other_sqlstate", "timeout", "other")

# Direct mode's readers.  prefer-standby rather than standby: the floor is
# the best a client can do with no balancer, and a reader that finds no
# standby (both restarting, or one left and refusing) reads from the
# primary instead of failing.  libpq 15 tries the hosts in the order given
# (load_balance_hosts is 16), so in steady state every reader is on the
# first standby of the list, where the balancers' read port spreads them.
DIRECT_READ_ATTRS = "prefer-standby"
DIRECT_WRITE_ATTRS = "read-write"
# libpq learns a node's role only after logging in (SCRAM here, costly in
# pgload's one thread), so a client whose first host has the wrong role
# pays two logins per connection.  The writers list the nodes from the
# drill's starting leader (pg1), the readers from the next one: in the
# starting state every first try hits, as a client's first try through a
# balancer does.  After a failover the writers pay the extra login, as any
# application with a fixed host list would.
DIRECT_READ_ROTATE = 1


def conninfo(host, port, connect_timeout=None, attrs=None):
    """HOST may be a comma-separated list (libpq's multi-host form)."""
    s = "host=%s port=%d user=postgres password=postgres dbname=testdb" % (host, port)
    if connect_timeout:
        s += " connect_timeout=%d" % connect_timeout
    if attrs:
        s += " target_session_attrs=%s" % attrs
    return s


def targets(mode, vip, write_port, read_port, pg_ips):
    """(write conninfo, read conninfo) of MODE: the balancers' VIP, or, in
    direct mode, the PostgreSQL nodes themselves in one multi-host string."""
    if mode == "direct":
        pg_ips = list(pg_ips)
        k = DIRECT_READ_ROTATE % len(pg_ips)
        return (conninfo(",".join(pg_ips), 5432, attrs=DIRECT_WRITE_ATTRS),
                conninfo(",".join(pg_ips[k:] + pg_ips[:k]), 5432, attrs=DIRECT_READ_ATTRS))
    return conninfo(vip, write_port), conninfo(vip, read_port)


def command(binary, write_ci, read_ci, writers, readers, seconds, think_ms,
            json_path, acked_path, label):
    """pgload's arguments for one drill: the seed's writers on WRITE_CI and
    readers on READ_CI (targets()), for SECONDS; acknowledged ids go to
    ACKED_PATH and are checked afterwards (verify_command), on the primary
    the cluster ends up with."""
    return [binary, "-W", str(writers), "-R", str(readers),
            "-w", write_ci, "-r", read_ci,
            "-d", str(seconds), "--think", str(think_ms),
            "--connect-timeout", str(CONNECT_TIMEOUT_MS), "--no-verify",
            "--acked", acked_path, "-j", json_path, "--label", label, "-q"]


def verify_command(binary, primary_ip, acked_path, json_path):
    return [binary, "--verify-only", acked_path, "--verify", conninfo(primary_ip, 5432),
            "-j", json_path]


def read_json(path):
    with open(path) as f:
        return json.load(f)


def _outage(role, action_s):
    """The longest gap without a success that is not the run's first second
    of connecting: (seconds, from_s, to_s, to_end), or None."""
    if not role:
        return None
    gaps = list(role.get("outages") or [])
    longest = role.get("longest_outage")
    if longest:
        gaps.append(longest)
    gaps = [g for g in gaps if not g.get("from_start")]
    if not gaps:
        return None
    g = max(gaps, key=lambda g: g["seconds"])
    return {"seconds": g["seconds"], "from_s": g["from_s"], "to_s": g["to_s"],
            "to_end": bool(g.get("to_end")),
            "after_action_s": None if action_s is None else g["from_s"] - action_s}


def _timeline(report, role):
    ok, err, kinds = [], [], {}
    for i, sec in enumerate(report.get("timeline") or []):
        r = sec.get(role) or {}
        ok.append(r.get("ok", 0))
        err.append(r.get("errors", 0))
        for k, n in (r.get("err") or {}).items():
            kinds.setdefault(k, [0] * len(report["timeline"]))[i] = n
    return {"ok": ok, "err": err, "kinds": kinds}


def _baseline(timeline, action_s):
    """Errors in the whole seconds before the action: a run whose baseline
    is not clean measured something besides the scenario."""
    n = 0
    for role in ("write", "read"):
        n += sum(timeline[role]["err"][:int(action_s or 0)])
    return n


def summarize(report, verify, action_unix):
    """What the drill's report needs from pgload's JSON (REPORT, the run;
    VERIFY, the --verify-only check afterwards, or None)."""
    start = report["start_unix"]
    action_s = None if action_unix is None else action_unix - start
    out = {"start_unix": start, "duration_s": report.get("duration_s"),
           "config": report.get("config", {}), "action_s": action_s}
    for role in ("write", "read"):
        r = report.get(role) or {}
        errors = {k: n for k, n in (r.get("errors") or {}).items() if n}
        out[role] = {
            "clients": r.get("clients", 0),
            "ok": r.get("transactions_ok", 0),
            "failed_transactions": r.get("failed_transactions", 0),
            "connect_failures": r.get("connect_failures", 0),
            "errors": errors,
            "errors_total": sum(errors.values()),
            "sqlstates": r.get("sqlstates") or {},
            "examples": r.get("error_examples") or {},
            "latency_ms": r.get("latency_ms") or {},
            "outage": _outage(r, action_s),
        }
    out["timeline"] = {"write": _timeline(report, "write"), "read": _timeline(report, "read")}
    out["baseline_errors"] = _baseline(out["timeline"], action_s)
    acked = (verify or {}).get("acked_writes") or {}
    out["acked"] = acked.get("acked")
    out["lost"] = acked.get("lost") if acked.get("verified") else None
    out["lost_sample"] = acked.get("lost_sample") or []
    out["verify_error"] = None if acked.get("verified") else (
        acked.get("error") or "no verification")
    return out


def find_binary(root):
    path = os.environ.get("PGLOAD") or os.path.join(root, "bench", "pgload", "pgload")
    return path if os.access(path, os.X_OK) else None
