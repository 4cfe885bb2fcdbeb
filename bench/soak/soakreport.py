"""report.md of a soak (pure: from the results soak.py keeps)."""



def kib(v):
    return "—" if v is None else "{:,} KiB".format(int(v))


def n(v):
    return "—" if v is None else "{:,}".format(int(v))


def kinds(d):
    d = {k: v for k, v in (d or {}).items() if v}
    if not d:
        return "0"
    return "%d (%s)" % (sum(d.values()), ", ".join("%s %d" % kv for kv in
                                                   sorted(d.items(), key=lambda kv: -kv[1])))


def stat_rows(stat, extra=None):
    rows = []
    for key, label, fmt in (("rss_kib", "pgfront RSS", kib), ("fds", "pgfront descriptors", n)):
        s = stat[key]
        row = [label, fmt(s["before"])]
        if extra is not None:
            row.append(fmt(extra.get(key)) if extra else "—")
        row += [fmt(s["peak"]), fmt(s["after"])]
        rows.append(row)
    return rows


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def churn_md(c):
    out = ["## Churn: %s short sessions" % n(c["sessions"]), ""]
    out.append("Each session: TCP connect to pgfront, StartupMessage, one INSERT or SELECT, "
               "Terminate, close (pgload --reconnect, %d clients); behind pgfront: %s. "
               "%s sessions in %.0f s (%.0f a second), %s failed%s."
               % (c["clients"], c["backend"], n(c["sessions"]), c["seconds"], c["rate"],
                  n(c["failed"]), (" " + kinds(c["errors"])) if c["failed"] else ""))
    out.append("")
    out.append(md_table(["", "before", "peak", "after"], stat_rows(c["stat"])))
    sl = c["slices"]
    step = max(1, len(sl) // 10)
    pts = sl[::step] + ([sl[-1]] if sl and sl[-1] is not sl[::step][-1] else [])
    out.append("After each slice (idle, 1 s after its last session): " + "; ".join(
        "%s: %s, %s fds" % (n(s["sessions"]), kib(s["rss_kib"]), s["fds"]) for s in pts) + ".")
    out.append("")
    alive = "pgfront ran throughout" if c["pgfront_alive"] else \
        "**pgfront exited (status %s)**" % c["pgfront_exit"]
    out.append("%s; it logged %d lines (log_level notice), %d of them \"it closed a session, "
               "checking every server every 100 ms\": a session whose server closed first "
               "(pgstub closes on Terminate) is taken for a sign the primary may be leaving."
               % (alive, c["pgfront_log_lines"], c.get("suspect_lines", 0)))
    out.append("")
    return out


def up_figures(rep, action_s):
    """From pgload's timeline: clients connected (pgload's "up", sessions
    past their ReadyForQuery; queued clients are not up) the second before
    the switchover, the fewest after it, and how long until as many were
    up again; the errors after it. Every client writes once per 10 s,
    all in step after a reconnection: pgload's outage figures mean little
    here, the clients' sessions do."""
    # The last seconds are the load's end, where every client leaves.
    tl = (rep.get("timeline") or [])[:-3]
    k = int(action_s)
    before = [s["write"]["up"] for s in tl[max(0, k - 1):k]]
    after = tl[k:]
    if not before or not after:
        return None
    up0 = before[-1]
    low = min(after, key=lambda s: s["write"]["up"])
    back = next((s["t"] for s in after if s["t"] > low["t"] and s["write"]["up"] >= up0), None)
    errs = {}
    for s in after:
        for kind, v in (s["write"].get("err") or {}).items():
            errs[kind] = errs.get(kind, 0) + v
    return {"before": up0, "lowest": low["write"]["up"], "lowest_t": low["t"] - action_s,
            "back_s": None if back is None else back + 1 - action_s, "errors_after": errs}


def sessions_md(s):
    ld = s["load"]
    w = ld.get("write") or {}
    out = ["## Sessions: %s clients through a switchover" % n(s["clients"]), ""]
    held = s.get("held_before") or (None, None)
    after = s.get("held_after") or (None, None)
    out.append("pgfront held %s client connections (%s of them in its queue) %.0f s after "
               "the start%s; then `patronictl switchover` %s. %s s after it: %s (%s queued)%s."
               % (n(held[0]), n(held[1]), s["ramp_s"],
                  "" if s["ramp_complete"] else " (**not every client**)", s["switchover"],
                  "%.0f" % s["reheld_s"], n(after[0]), n(after[1]),
                  "" if s["reheld"] else " (**not every client back**)"))
    out.append("")
    out.append("What the clients saw (pgload, %d s, the switchover at t=%.1f): %s INSERTs "
               "acknowledged, %s failed, %s connection attempts failed; errors %s."
               % (ld["config"]["duration_s"], s["action_s"], n(w.get("transactions_ok")),
                  n(w.get("failed_transactions")), n(w.get("connect_failures")),
                  kinds(w.get("errors"))))
    up = up_figures(ld, s["action_s"])
    if up:
        out.append("Clients in session: %s the second before the switchover, %s at the fewest "
                   "(%.0f s after it), %s again %s."
                   % (n(up["before"]), n(up["lowest"]), up["lowest_t"], n(up["before"]),
                      "%.0f s after it" % up["back_s"] if up["back_s"] is not None
                      else "**not by the end**"))
    out.append("")
    out.append(md_table(["", "before", "at the switchover", "peak", "after"],
                        stat_rows(s["stat"], s.get("at_switch") or {})))
    la = s.get("listener_after") or {}
    out.append("pgfront's soak_write listener at the end: %s sessions in total, most at once "
               "%s, queue at most %s, refused %s. %s"
               % (n(la.get("sessions_total")), n(la.get("sessions_max")), n(la.get("queue_max")),
                  kinds(la.get("refused")),
                  "pgfront ran throughout." if s["pgfront_alive"] else "**pgfront restarted or "
                  "died.**"))
    out.append("")
    lines, more = s.get("pgfront_lines") or ([], 0)
    ends = s.get("session_ends") or {}
    if ends:
        out.append("Sessions ended, by pgfront's log: %s." % ", ".join(
            "%s %s" % (k, n(v)) for k, v in sorted(ends.items(), key=lambda kv: -kv[1])))
        out.append("")
    if lines:
        out.append("pgfront on lb1 (without its per-session lines; repeats folded):")
        out.append("")
        out.append("```")
        out += ["%s %s: %s%s" % (t, lv, m, "  (x%d)" % c if c > 1 else "") for t, lv, m, c in lines]
        if more:
            out.append("... and %d other messages" % more)
        out.append("```")
        out.append("")
    return out


def fault_row(r):
    f = r["figures"]
    ld = r["load"]

    def outage(role):
        o = ld[role]["outage"]
        if not o:
            return "< 0.5 s"
        return "%.2f s%s" % (o["seconds"], " (to the end)" if o["to_end"] else "")
    lost = "—" if f["lost"] is None else "%d of %s" % (f["lost"], n(f["acked"]))
    lines = r["pgfront_lines"]["lb1"][0]
    key = [m for _, lv, m, _ in lines if lv in ("notice", "warning", "err")][:3]
    return [r["title"] + (" †" if f["baseline_errors"] else ""), "%.0f s" % r["window_s"],
            outage("write"), outage("read"), kinds(f["write_errors_by_kind"]),
            kinds(f["read_errors_by_kind"]), lost, "<br>".join(k.replace("|", "/")
                                                                for k in key) or "—"]


def faults_md(results):
    out = ["## Faults", ""]
    out.append(md_table(["fault", "for", "write outage", "read outage", "write errors",
                         "read errors", "acked writes lost", "pgfront logged (lb1, first)"],
                        [fault_row(r) for r in results]))
    out.append("† errors before the fault: the machine was busy; that run measured more "
               "than its fault.")
    out.append("")
    for r in results:
        out.append("### %s (run %d)" % (r["title"], r.get("run", 1)))
        out.append("")
        out.append("Action: %s. Machine: %s." % (r["action"], r.get("machine", "?")))
        for lb in ("lb1", "lb2"):
            lines, more = r["pgfront_lines"][lb]
            ends = r["session_ends"][lb]
            out.append("")
            out.append("pgfront on %s%s:" % (lb, " (sessions ended: %s)" % ", ".join(
                "%s %d" % kv for kv in sorted(ends.items(), key=lambda kv: -kv[1])) if ends
                else ""))
            out.append("")
            out.append("```")
            out += ["%s %s: %s%s" % (t, lv, m, "  (x%d)" % c if c > 1 else "")
                    for t, lv, m, c in lines]
            if more:
                out.append("... and %d other messages" % more)
            out.append("```")
        out.append("")
    return out


def markdown(res, env):
    out = ["# make soak: %s (scale %s)" % (env.get("started", "?"), env.get("scale", "?")), ""]
    out.append("- Machine: %s" % env.get("machine", "?"))
    out.append("- Versions: %s" % "; ".join(env.get("versions", [])))
    out.append("- Command: `%s`" % env.get("argv", "scripts/soak"))
    out.append("")
    if "sessions" in res:
        out += sessions_md(res["sessions"])
    if "churn" in res:
        out += churn_md(res["churn"])
    if "faults" in res:
        out += faults_md(res["faults"])
    return "\n".join(out) + "\n"


def text(res):
    out = []
    c = res.get("churn")
    if c:
        st = c["stat"]
        out.append("churn: %d sessions, %d failed; RSS KiB before %s peak %s after %s; fds "
                   "before %s peak %s after %s" % (
                       c["sessions"], c["failed"], st["rss_kib"]["before"],
                       st["rss_kib"]["peak"], st["rss_kib"]["after"], st["fds"]["before"],
                       st["fds"]["peak"], st["fds"]["after"]))
    s = res.get("sessions")
    if s:
        st = s["stat"]
        out.append("sessions: %d clients, held %s; RSS KiB before %s peak %s after %s; fds "
                   "before %s peak %s after %s" % (
                       s["clients"], s.get("held_before"), st["rss_kib"]["before"],
                       st["rss_kib"]["peak"], st["rss_kib"]["after"], st["fds"]["before"],
                       st["fds"]["peak"], st["fds"]["after"]))
    for r in res.get("faults", []):
        out.append("fault %s: %s" % (r["scenario"], " | ".join(str(x) for x in fault_row(r)[2:7])))
    return "\n".join(out)
