"""The drill's markdown report, its tables and the figures behind them.
Pure: takes the runs' results (drill.run_one) and returns text or dicts."""

import re
import statistics

SOURCES_OF = {"pgfront": ("pgfront",), "haproxy": ("haproxy", "keepalived"), "direct": ()}
MODE_ORDER = ("pgfront", "haproxy", "direct")
MODE_TITLE = {"pgfront": "pgfront", "haproxy": "HAProxy + keepalived", "direct": "direct"}


def mode_rank(mode):
    return MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER)


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
    srcs = SOURCES_OF.get(r["balancer"])
    down = up = None
    if not srcs:                # direct: no balancer in the clients' path
        return down, up
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


# --- one run's figures, and their median and worst over the runs ----------

def run_figures(r):
    """The numbers of one run that the tables aggregate (kept in
    results.json beside the raw data).  Outages in seconds, 0.0 when no gap
    but the run's first connections; counts are pgload's."""
    load = r["load"]
    fig = {}
    for role in ("write", "read"):
        o = load[role]["outage"]
        fig[role + "_outage_s"] = o["seconds"] if o else 0.0
        fig[role + "_outage_to_end"] = bool(o and o["to_end"])
        fig[role + "_outage_after_action_s"] = o["after_action_s"] if o else None
        fig[role + "_errors"] = load[role]["errors_total"]
        fig[role + "_errors_by_kind"] = dict(load[role]["errors"])
        fig[role + "_connect_failures"] = load[role].get("connect_failures", 0)
        fig[role + "_failed_transactions"] = load[role].get("failed_transactions", 0)
    fig["write_read_only"] = load["write"]["errors"].get("read_only", 0)
    fig["acked"] = load["acked"]
    fig["lost"] = load["lost"]
    pro = promoted(r)
    fig["promoted_s"], fig["promoted_host"] = (None, None) if pro is None else pro
    fig["writes_back_after_promotion_s"] = writes_back_after_promotion(
        load["write"]["outage"], load.get("action_s"), fig["promoted_s"])
    down, up = balancer_marks(r)
    fig["old_primary_down_s"], fig["new_primary_up_s"] = down, up
    fig["baseline_errors"] = load.get("baseline_errors", 0)
    return fig


def writes_back_after_promotion(outage, action_s, promoted_s):
    """Seconds from Patroni's promotion to the first write after the longest
    write outage: what the path to the new primary adds (the issue's target
    is 0.5 s).  None without a promotion or an outage."""
    if outage is None or promoted_s is None or action_s is None:
        return None
    return outage["to_s"] - action_s - promoted_s


def median_worst(values, worst=max):
    """(median, worst) of the values that are not None, or (None, None)."""
    v = [x for x in values if x is not None]
    if not v:
        return None, None
    return statistics.median(v), worst(v)


# Outages shorter than pgload's --outage-min (the drill's default 500 ms)
# are shown as "< 0.5 s", as in the per-run table.
OUTAGE_FLOOR = 0.5

AGGREGATED = ("write_outage_s", "read_outage_s", "write_errors", "read_errors",
              "write_read_only", "write_connect_failures", "read_connect_failures",
              "lost", "promoted_s", "writes_back_after_promotion_s", "old_primary_down_s",
              "new_primary_up_s")


def aggregate(results):
    """{scenario: {mode: summary}} over every run that was not skipped: for
    each figure of AGGREGATED its median and worst (the largest), the
    errors by kind likewise, the runs' count and whether an outage was
    still going on at the end of one."""
    groups = {}
    for r in results:
        g = groups.setdefault(r["scenario"], {}).setdefault(r["balancer"], {
            "title": r["title"], "runs": 0, "skipped": None, "figures": []})
        if r.get("skipped"):
            g["skipped"] = r["skipped"]
            continue
        g["runs"] += 1
        g["figures"].append(r.get("figures") or run_figures(r))
    out = {}
    for sc, modes in groups.items():
        for mode, g in modes.items():
            figs = g.pop("figures")
            for key in AGGREGATED:
                g[key] = dict(zip(("median", "worst"), median_worst([f[key] for f in figs])))
            for role in ("write", "read"):
                kinds = sorted({k for f in figs for k in f[role + "_errors_by_kind"]})
                g[role + "_errors_by_kind"] = {
                    k: dict(zip(("median", "worst"), median_worst(
                        [f[role + "_errors_by_kind"].get(k, 0) for f in figs])))
                    for k in kinds}
                g[role + "_outage_to_end"] = any(f[role + "_outage_to_end"] for f in figs)
            g["lost_total"] = (None if any(f["lost"] is None for f in figs)
                               else sum(f["lost"] for f in figs))
            g["acked_total"] = sum(f["acked"] or 0 for f in figs)
            g["unverified_runs"] = sum(1 for f in figs if f["lost"] is None)
            g["baseline_error_runs"] = sum(1 for f in figs if f["baseline_errors"])
            out.setdefault(sc, {})[mode] = g
    return out


def _num(v, fmt):
    return "—" if v is None else fmt % v


def mw_seconds(mw, to_end=False, digits=2, floor=None):
    """"median (worst)" of seconds; a worst still going on at the end is ≥;
    below FLOOR (pgload's outage_min: a gap it does not list) "< FLOOR"."""
    if mw["median"] is None:
        return "—"

    def one(v):
        if floor is not None and v < floor:
            return "< %.1f" % floor
        return "%.*f" % (digits, v)
    return "%s s (%s%s)" % (one(mw["median"]), "≥ " if to_end else "", one(mw["worst"]))


def mw_count(mw):
    if mw["median"] is None:
        return "—"
    med = mw["median"]
    med = ("%d" % med) if med == int(med) else ("%.1f" % med)
    return "%s (%d)" % (med, mw["worst"])


def kinds_text(by_kind):
    kinds = sorted(by_kind.items(), key=lambda kv: (-kv[1]["worst"], kv[0]))
    return ", ".join("%s %s" % (k, mw_count(mw)) for k, mw in kinds if mw["worst"]) or "0"


def lost_total_text(g):
    if g["lost_total"] is None:
        return "not verified (%d run(s))" % g["unverified_runs"]
    return "%d of %d" % (g["lost_total"], g["acked_total"])


def _modes_in(results):
    return sorted({r["balancer"] for r in results}, key=mode_rank)


def _scenarios_in(results):
    seen = []
    for r in results:
        if r["scenario"] not in seen:
            seen.append(r["scenario"])
    return seen


def acceptance_rows(results):
    """The issue's table: a row per scenario; per mode the write outage,
    median (worst) over the runs; then the read_only errors (median (worst))
    and the acknowledged writes lost (all runs together) of each mode, and
    Patroni's promotion time (median over all runs of the scenario)."""
    agg = aggregate(results)
    modes = _modes_in(results)
    head = ["scenario", "runs"] + ["%s write outage" % MODE_TITLE.get(m, m) for m in modes] + [
        "read_only errors (%s)" % " / ".join(modes),
        "acked writes lost (%s)" % " / ".join(modes),
        "Patroni promoted (+0.5 s)",
        "writes back after promotion (%s)" % " / ".join(modes)]
    rows = []
    for sc in _scenarios_in(results):
        g = agg[sc]
        any_g = next(iter(g.values()))
        row = [any_g["title"], str(max(x["runs"] for x in g.values()))]
        for m in modes:
            x = g.get(m)
            if x is None:
                row.append("not run")
            elif x["skipped"] and not x["runs"]:
                row.append("skipped")
            else:
                row.append(mw_seconds(x["write_outage_s"], x["write_outage_to_end"],
                                      floor=OUTAGE_FLOOR) +
                           (" †" if x["baseline_error_runs"] else ""))
        row.append(" / ".join("—" if m not in g or not g[m]["runs"]
                              else mw_count(g[m]["write_read_only"]) for m in modes))
        row.append(" / ".join("—" if m not in g or not g[m]["runs"]
                              else ("?" if g[m]["lost_total"] is None
                                    else "%d" % g[m]["lost_total"]) for m in modes))
        pro = median_worst([f for r in results if r["scenario"] == sc and not r.get("skipped")
                            for f in [(r.get("figures") or run_figures(r))["promoted_s"]]])
        row.append("—" if pro[0] is None else "+%.1f s (%.1f s)" % (pro[0], pro[0] + 0.5))
        row.append(" / ".join("—" if m not in g or not g[m]["runs"]
                              else mw_seconds(g[m]["writes_back_after_promotion_s"], digits=1)
                              for m in modes))
        rows.append(row)
    return head, rows


def summary_rows(results):
    """A row per (scenario, mode): every aggregated figure, median (worst)."""
    agg = aggregate(results)
    head = ["scenario", "mode", "runs", "write outage", "read outage",
            "write errors by kind", "read errors by kind", "connect failures write / read",
            "acked writes lost", "Patroni promoted", "old primary DOWN / new primary UP"]
    rows = []
    for sc in _scenarios_in(results):
        for m in sorted(agg[sc], key=mode_rank):
            g = agg[sc][m]
            if not g["runs"]:
                rows.append([g["title"], m, "0", "skipped: " + (g["skipped"] or "")] +
                            [""] * (len(head) - 4))
                continue
            rows.append([
                g["title"], m + (" †" if g["baseline_error_runs"] else ""), str(g["runs"]),
                mw_seconds(g["write_outage_s"], g["write_outage_to_end"], floor=OUTAGE_FLOOR),
                mw_seconds(g["read_outage_s"], g["read_outage_to_end"], floor=OUTAGE_FLOOR),
                "%s: %s" % (mw_count(g["write_errors"]), kinds_text(g["write_errors_by_kind"])),
                "%s: %s" % (mw_count(g["read_errors"]), kinds_text(g["read_errors_by_kind"])),
                "%s / %s" % (mw_count(g["write_connect_failures"]),
                             mw_count(g["read_connect_failures"])),
                lost_total_text(g),
                mw_seconds(g["promoted_s"], digits=1).replace(" s (", " s (worst "),
                "%s / %s" % (mw_seconds(g["old_primary_down_s"], digits=1),
                             mw_seconds(g["new_primary_up_s"], digits=1)),
            ])
    return head, rows


def _md(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(lines)


def _plain(head, rows):
    rows = [head] + rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def text_summary(results):
    """What the drill prints at the end: the acceptance table and the
    per-mode figures, median (worst) over the runs."""
    return "%s\n\n%s" % (_plain(*acceptance_rows(results)), _plain(*summary_rows(results)))


def table_rows(results):
    rows = []
    for r in results:
        if r.get("skipped"):
            rows.append([r["title"], r["balancer"], str(r.get("run", 1)),
                         "skipped: " + r["skipped"], "", "", "", "", "", "", "", ""])
            continue
        load = r["load"]
        omin = load["config"].get("outage_min_ms", 500.0)
        down, up = balancer_marks(r)
        pro = promoted(r)
        rows.append([
            r["title"], r["balancer"] + (" †" if load.get("baseline_errors") else ""),
            str(r.get("run", 1)),
            outage_text(load["write"]["outage"], omin),
            outage_text(load["read"]["outage"], omin),
            errors_text(load["write"]), errors_text(load["read"]),
            "%d / %d" % (load["write"].get("connect_failures", 0),
                         load["read"].get("connect_failures", 0)),
            lost_text(r), "—" if r["balancer"] == "direct" else vip_moved(r),
            "—" if pro is None else "+%.1f s (%s)" % pro,
            "%s / %s" % (("+%.1f s" % down) if down is not None else "—",
                         ("+%.1f s" % up) if up is not None else "—"),
        ])
    return rows


HEADER = ["scenario", "mode", "run", "write outage", "read outage", "write errors",
          "read errors", "connect failures write / read", "acked writes lost", "VIP moved",
          "Patroni promoted", "balancer: old primary DOWN / new primary UP"]


def markdown_table(results):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in table_rows(results):
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(lines)


def text_table(results):
    """Every run for a terminal: the markdown table's columns, errors as
    totals (the report has them by kind)."""
    head = ["scenario", "mode", "run", "write outage", "read outage", "write err", "read err",
            "conn fail w/r", "acked lost", "VIP moved", "promoted", "old DOWN / new UP"]
    rows = []
    for r, row in zip(results, table_rows(results)):
        if r.get("skipped"):
            rows.append(row[:4] + [""] * (len(head) - 4))
            continue
        load = r["load"]
        rows.append(row[:5] + [str(load["write"]["errors_total"]),
                               str(load["read"]["errors_total"])] + row[7:])
    return _plain(head, rows)


def _run_section(r):
    out = ["### %s — %s, run %d" % (r["title"], r["balancer"], r.get("run", 1)), ""]
    if r.get("skipped"):
        out += ["Skipped: %s." % r["skipped"], ""]
        return out
    load = r["load"]
    out += ["- action at %.1f s of %d s: %s" % (load["action_s"], r["seconds"], r["action"]),
            "- clients pause %s ms between transactions; %s" % (
                r.get("think_ms", load["config"].get("think_ms", "?")),
                "direct to the nodes: `%s` / `%s`" % (load["config"].get("write"),
                                                      load["config"].get("read"))
                if r["balancer"] == "direct" else "through the VIP"),
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
    out = ["# Failover drills: pgfront, HAProxy + keepalived, and direct", "",
           "Run %s on %s. %s" % (env["started"], env["machine"], env["load"]), "",
           "Reproduce: `%s`" % env["command"], "", "## Acceptance", "",
           _md(*acceptance_rows(results)), "",
           "Write outage: the longest interval without one committed write, median "
           "(worst) over the runs. read_only errors: writes that reached a server no "
           "longer primary (SQLSTATE 25006), median (worst) per run. Acked writes lost: "
           "over all runs of that mode. Patroni promoted: the new leader's \"promoted "
           "self to leader\" after the action, median over the scenario's runs of every "
           "mode, and that plus 0.5 s in brackets (the issue's target for the kill "
           "scenario). Writes back after promotion: from that promotion to the first "
           "write after the longest write outage, median (worst), per mode: the time "
           "the path to the new primary adds, to hold against the 0.5 s. direct: no balancer, libpq's multi-host connection strings "
           "(writers target_session_attrs=read-write, readers prefer-standby): the floor "
           "a balancer is judged against.", "",
           "## Per mode, median (worst) over the runs", "",
           _md(*summary_rows(results)), "",
           "## Every run", "",
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
