"""The drill's markdown report and its comparison table.  Pure: takes the
runs' results (drill.run_one) and returns text."""

import re

SOURCES_OF = {"pgfront": ("pgfront",), "haproxy": ("haproxy", "keepalived")}


def fmt_s(v, digits=1):
    return "—" if v is None else "%.*f s" % (digits, v)


def outage_text(o, outage_min_ms):
    if o is None:
        return "< %.1f s" % (outage_min_ms / 1000.0)
    s = "%.2f s" % o["seconds"]
    if o["to_end"]:
        s = "≥ " + s + " (not over at the end)"
    return s


def errors_text(role):
    if not role["errors"]:
        return "0"
    kinds = sorted(role["errors"].items(), key=lambda kv: -kv[1])
    return "%d (%s)" % (role["errors_total"], ", ".join("%s %d" % kv for kv in kinds))


def lost_text(r):
    load = r["load"]
    if load["lost"] is None:
        return "not verified: %s" % load["verify_error"]
    return "%d of %d" % (load["lost"], load["acked"] or 0)


def first_event(r, kind, pattern, sources=None, host=None):
    """Seconds after the action of the first matching event, and the event."""
    rx = re.compile(pattern)
    for e in r["events"]:
        if e["t_action"] is None or e["t_action"] < 0 or e["kind"] != kind:
            continue
        if sources and e["source"] not in sources:
            continue
        if host and e["host"] != host:
            continue
        if rx.search(e["text"]):
            return e["t_action"], e
    return None, None


def balancer_marks(r):
    """(old primary marked DOWN, new primary marked UP) on the write port by
    the balancer holding the VIP at that moment, seconds after the action."""
    srcs = SOURCES_OF[r["balancer"]]
    down = up = None
    if r.get("old_leader_name"):
        down, _ = first_event(r, "mark", r"postgres_write/%s (\w+ -> )?DOWN"
                              % re.escape(r["old_leader_name"]), srcs, r["vip_after"])
    if r.get("new_leader_name") and r["new_leader_name"] != r.get("old_leader_name"):
        up, _ = first_event(r, "mark", r"postgres_write/%s (\w+ -> )?UP"
                            % re.escape(r["new_leader_name"]), srcs, r["vip_after"])
    return down, up


def vip_moved(r):
    """When the VIP reached another balancer than the one holding it at the
    start (or two at once), after the action: the kernel's time when `ip
    monitor` saw it, else the poll's."""
    for e in r["events"]:
        if e["source"] == "netlink" and e["t_action"] is not None and e["t_action"] >= 0 \
                and " added to " in e["text"] and e["host"] != r["vip_before"]:
            return "+%.2f s → %s" % (e["t_action"], e["host"])
    for e in r["events"]:
        if e["source"] != "vip" or e["t_action"] is None or e["t_action"] < 0:
            continue
        where = e["text"][len("VIP on "):]
        if where not in (r["vip_before"], "no balancer"):
            return "+%.1f s → %s" % (e["t_action"], where)
    return "no"


def promoted(r):
    t, e = first_event(r, "role", r"promoted self to leader", ("patroni",))
    return None if t is None else (t, e["host"])


def table_rows(results):
    rows = []
    for r in results:
        if r.get("skipped"):
            rows.append([r["title"], r["balancer"], "skipped: " + r["skipped"],
                         "", "", "", "", "", "", ""])
            continue
        load = r["load"]
        omin = load["config"].get("outage_min_ms", 500.0)
        down, up = balancer_marks(r)
        pro = promoted(r)
        rows.append([
            r["title"], r["balancer"] + (" †" if load.get("baseline_errors") else ""),
            outage_text(load["write"]["outage"], omin),
            outage_text(load["read"]["outage"], omin),
            errors_text(load["write"]), errors_text(load["read"]),
            lost_text(r), vip_moved(r),
            "—" if pro is None else "+%.1f s (%s)" % pro,
            "%s / %s" % (("+%.1f s" % down) if down is not None else "—",
                         ("+%.1f s" % up) if up is not None else "—"),
        ])
    return rows


HEADER = ["scenario", "balancer", "write outage", "read outage", "write errors",
          "read errors", "acked writes lost", "VIP moved", "Patroni promoted",
          "balancer: old primary DOWN / new primary UP"]


def markdown_table(results):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in table_rows(results):
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(lines)


def text_table(results):
    """The comparison table for a terminal: the markdown table's columns,
    errors as totals (the report has them by kind)."""
    head = ["scenario", "balancer", "write outage", "read outage", "write err", "read err",
            "acked lost", "VIP moved", "promoted", "old DOWN / new UP"]
    rows = [head]
    for r, row in zip(results, table_rows(results)):
        if r.get("skipped"):
            rows.append(row[:3] + [""] * (len(head) - 3))
            continue
        load = r["load"]
        rows.append(row[:4] + [str(load["write"]["errors_total"]),
                               str(load["read"]["errors_total"])] + row[6:])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _run_section(r):
    out = ["### %s — %s" % (r["title"], r["balancer"]), ""]
    if r.get("skipped"):
        out += ["Skipped: %s." % r["skipped"], ""]
        return out
    load = r["load"]
    out += ["- action at %.1f s of %d s: %s" % (load["action_s"], r["seconds"], r["action"]),
            "- write outage %s, read outage %s" % (
                outage_text(load["write"]["outage"], load["config"].get("outage_min_ms", 500)),
                outage_text(load["read"]["outage"], load["config"].get("outage_min_ms", 500))),
            "- writes: %d ok, errors %s; reads: %d ok, errors %s" % (
                load["write"]["ok"], errors_text(load["write"]),
                load["read"]["ok"], errors_text(load["read"])),
            "- acknowledged writes lost: %s%s" % (lost_text(r), (
                " (e.g. client/seq %s)" % ", ".join("%d/%d" % (s["client"], s["seq"])
                                                   for s in load["lost_sample"][:5]))
                if load["lost"] else ""),
            "- leader before %s, after %s; VIP on %s before, %s after" % (
                r.get("old_leader_name"), r.get("new_leader_name"),
                r["vip_before"], r["vip_after"]),
            "- machine during the load: %s; the VIP polled every 0.1 s (longest gap "
            "between two polls %s)" % (r.get("machine", "?"), fmt_s(r.get("vip_poll_gap"), 2))]
    if load.get("baseline_errors"):
        out.append("- **†** %d error(s) before the action (see the timeline): this run "
                   "measured more than its scenario" % load["baseline_errors"])
    for role in ("write", "read"):
        ex = load[role]["examples"]
        if ex:
            out.append("- %s error examples: %s" % (role, "; ".join(
                "%s: `%s`" % (k, v.strip().replace("\n", " ")[:160]) for k, v in ex.items())))
    out += ["", "![timeline](%s)" % r["svg"], "", "| t (s) | after action | host | source | event |",
            "|---:|---:|---|---|---|"]
    for e in r["events"]:
        out.append("| %.1f | %s | %s | %s | %s |" % (
            e["t_rel"], "" if e["t_action"] is None else "%+.1f" % e["t_action"],
            e["host"], e["source"], e["text"].replace("|", "/")))
    out.append("")
    return out


def markdown(results, env):
    out = ["# Failover drills: pgfront and HAProxy + keepalived", "",
           "Run %s on %s. %s" % (env["started"], env["machine"], env["load"]), "",
           "Reproduce: `%s`" % env["command"], "", "## Comparison", "",
           markdown_table(results), "",
           "† errors before the action: the run measured more than its scenario "
           "(see its section)." if any(r.get("load", {}).get("baseline_errors")
                                      for r in results) else "",
           "Outage: the longest interval without one successful transaction "
           "(pgload). Errors: failed transactions and connection attempts, by kind "
           "(bench/README.md). Acked writes lost: ids pgload's writers had acknowledged "
           "that the final primary lacks. Times after the action; balancer marks are "
           "those of the balancer holding the VIP at the end; VIP moved: when the "
           "kernel added the VIP on the other balancer (`ip monitor`). Error counts "
           "depend on how often clients retry (pgload waits 100 ms after an error): a "
           "balancer that refuses at once counts more errors than one that lets clients "
           "wait, for the same outage. keepalived logs whole seconds: its events show "
           "the start of their second.", "",
           "## Versions", ""]
    out += ["- %s" % v for v in env["versions"]]
    out += ["", "## Runs", ""]
    for r in results:
        out += _run_section(r)
    return "\n".join(out) + "\n"
