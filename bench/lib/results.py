"""The table of bench/run and the section of bench/RESULTS.md it owns."""

import os
import re
import statistics

BEGIN = "<!-- bench:begin: written by bench/run (make bench); edit outside these markers -->"
END = "<!-- bench:end -->"

TARGETS = ("direct", "pgfront", "haproxy")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rows_of(res, copy_mb, idle_n):
    """(label, {target: value}, higher_is_better, fmt) for every row measured."""
    out = []

    def med(row, key, targets=TARGETS):
        if row not in res:
            return None
        return {t: median([r[key] for r in res[row].get(t, [])]) for t in targets}

    def add(label, values, higher, fmt):
        if values is not None:
            out.append((label, values, higher, fmt))

    add("pgbench -S, 16 clients: TPS", med("select", "tps"), True, "{:.0f}")
    add("  proxy CPU s per 1000 tx", med("select", "cpu_per_1000", TARGETS[1:]), False,
        "{:.3f}")
    add("pgbench TPC-B, 8 clients: TPS", med("tpcb", "tps"), True, "{:.0f}")
    add("  proxy CPU s per 1000 tx", med("tpcb", "cpu_per_1000", TARGETS[1:]), False,
        "{:.3f}")
    add("pgbench -S -C (connection per tx), 8 clients: TPS", med("connect", "tps"), True,
        "{:.0f}")
    add("  proxy CPU s per 1000 tx", med("connect", "cpu_per_1000", TARGETS[1:]), False,
        "{:.3f}")
    add("COPY out of a %d MB table: MB/s" % copy_mb, med("copy", "mb_s"), True, "{:.0f}")
    add("  proxy CPU s per GB", med("copy", "cpu_per_gb", TARGETS[1:]), False, "{:.2f}")
    add("%d idle connections: proxy RSS per connection, bytes" % idle_n,
        med("idle", "bytes_per_conn", TARGETS[1:]), False, "{:.0f}")
    lat = med("latency", "p50_us")
    lat99 = med("latency", "p99_us")
    add("1 client, pgbench -S: latency p50, us", lat, False, "{:.0f}")
    add("1 client, pgbench -S: latency p99, us", lat99, False, "{:.0f}")
    for label, v in (("  added p50 vs direct, us", lat), ("  added p99 vs direct, us", lat99)):
        if v and v.get("direct") is not None:
            add(label, {t: v[t] - v["direct"] for t in TARGETS[1:] if v.get(t) is not None},
                False, "{:.0f}")
    return out


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_cell(fmt, v):
    return "—" if v is None else fmt.format(v)


def table_lines(rows):
    lines = ["| row | direct | pgfront | HAProxy | pgfront/HAProxy | pgfront/direct |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, v, higher, fmt in rows:
        r_h = ratio(v.get("pgfront"), v.get("haproxy"))
        r_d = ratio(v.get("pgfront"), v.get("direct"))
        mark = ""
        if r_h is not None:
            behind = r_h < 0.97 if higher else r_h > 1.03
            mark = " (behind)" if behind else ""
        lines.append("| %s | %s | %s | %s | %s%s | %s |" % (
            label.strip() if not label.startswith("  ") else "&nbsp;&nbsp;" + label.strip(),
            fmt_cell(fmt, v.get("direct")), fmt_cell(fmt, v.get("pgfront")),
            fmt_cell(fmt, v.get("haproxy")), fmt_cell("{:.2f}", r_h), mark,
            fmt_cell("{:.2f}", r_d)))
    return lines


def text_table(rows):
    w = max(len(r[0]) for r in rows) + 2
    head = "%-*s %10s %10s %10s %10s %10s" % (w, "row", "direct", "pgfront", "HAProxy",
                                             "pgf/HAP", "pgf/direct")
    lines = [head, "-" * len(head)]
    for label, v, higher, fmt in rows:
        lines.append("%-*s %10s %10s %10s %10s %10s" % (
            w, label, fmt_cell(fmt, v.get("direct")), fmt_cell(fmt, v.get("pgfront")),
            fmt_cell(fmt, v.get("haproxy")),
            fmt_cell("{:.2f}", ratio(v.get("pgfront"), v.get("haproxy"))),
            fmt_cell("{:.2f}", ratio(v.get("pgfront"), v.get("direct")))))
    return "\n".join(lines)


def update_results_md(path, section):
    """Replaces the text between the markers (or appends it), keeping the
    rest of the file: the analysis, and make drill's own section."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    block = BEGIN + "\n" + section.rstrip("\n") + "\n" + END
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: block, text)
    else:
        if not text:
            text = "# pgfront benchmark and drill results\n\n"
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
