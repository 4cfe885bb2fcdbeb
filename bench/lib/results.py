"""The table of bench/run and the section of bench/RESULTS.md it owns."""

import os
import re

from . import stats

BEGIN = "<!-- bench:begin: written by bench/run (make bench); edit outside these markers -->"
END = "<!-- bench:end -->"

TARGETS = ("direct", "pgfront", "haproxy")
PROXIES = TARGETS[1:]
# The scaling row's cells: (column, key in res["scaling"]) per thread count.
SCALING_CELLS = {n: (("direct", "direct"), ("pgfront", "pgfront-%d" % n),
                     ("haproxy", "haproxy-%d" % n)) for n in (1, 2)}
BOOTSTRAP = 2000


class Row:
    """One line of the table: a Stat per target column, the two ratio
    columns (a Stat each, or a text for the pgfront/HAProxy column), and
    whether higher is better (for the "(behind)" mark)."""

    def __init__(self, label, cells, higher, fmt, r_hap=None, r_dir=None, hap_text=None):
        self.label, self.cells, self.higher, self.fmt = label, cells, higher, fmt
        self.r_hap, self.r_dir, self.hap_text = r_hap, r_dir, hap_text

    @property
    def behind(self):
        """More than 3 % worse than HAProxy, on the median (or point) ratio."""
        if self.r_hap is None or self.r_hap.mid is None:
            return False
        return self.r_hap.mid < 0.97 if self.higher else self.r_hap.mid > 1.03


def _runs(res, row, key, target):
    return [r.get(key) for r in res.get(row, {}).get(target, [])]


def _repeat_row(label, by_col, higher, fmt):
    """BY_COL: {column: [value of run 0, run 1, ...]}. Cells are median and
    min-max; the ratios are per run (run i of pgfront over run i of the
    other), then median and min-max."""
    cells = {c: stats.spread(v) for c, v in by_col.items()}
    if all(c is None for c in cells.values()):
        return None
    pg = by_col.get("pgfront", [])
    return Row(label, cells, higher, fmt,
               r_hap=stats.spread(stats.paired_ratios(pg, by_col.get("haproxy", []))),
               r_dir=stats.spread(stats.paired_ratios(pg, by_col.get("direct", []))))


def latency_rows(rounds, b=BOOTSTRAP):
    """The one-client latency rows from ROUNDS (a list of {target: sorted
    latencies in us}, one slice per target per round): pooled p50 and p99
    with their 95 % CIs (bootstrap over rounds), what each proxy adds to
    direct's, and pgfront's p99 minus HAProxy's."""
    if not rounds:
        return []
    point, draws = stats.slice_bootstrap(rounds, (50, 99), b=b)
    present = [t for t in TARGETS if point.get((t, 50)) is not None]
    out = []
    for p in (50, 99):
        cells = {t: stats.interval(point, draws, stats.value_of(t, p)) for t in present}
        out.append(Row("1 client, pgbench -S: latency p%d, us" % p, cells, False, "{:.0f}",
                       r_hap=stats.interval(point, draws, stats.ratio_of("pgfront", "haproxy", p)),
                       r_dir=stats.interval(point, draws, stats.ratio_of("pgfront", "direct", p))))
    if "direct" in present:
        for p in (50, 99):
            cells = {t: stats.interval(point, draws, stats.diff_of(t, "direct", p))
                     for t in present if t != "direct"}
            d = stats.interval(point, draws, stats.diff_of("pgfront", "haproxy", p))
            text = None if d is None else "pgfront %s us" % fmt_stat("{:+.0f}", d)
            out.append(Row("  added p%d vs direct, us" % p, cells, False, "{:+.0f}",
                           hap_text=text))
    return out


def _per_thread_rows(sec, label):
    """TPS and proxy CPU per 1000 tx at 1 and 2 threads of a row in front of
    pgstub (SEC: its results); LABEL: the TPS line's, with %(clients)s and
    %(threads)s. Returns (rows, col), col(key, field) the runs of one cell."""
    def col(key, field):
        return [r.get(field) for r in sec.get(key, [])]

    clients = next((r.get("clients") for v in sec.values() for r in v if r.get("clients")), "?")
    out = []
    for n in (1, 2):
        cells = SCALING_CELLS[n]
        out.append(_repeat_row(label % {"clients": clients,
                                        "threads": "%d thread%s" % (n, "s" if n > 1 else "")},
                               {c: col(k, "tps") for c, k in cells}, True, "{:.0f}"))
        out.append(_repeat_row("  proxy CPU s per 1000 tx",
                               {c: col(k, "cpu_per_1000") for c, k in cells[1:]}, False, "{:.4f}"))
    return out, col


def scaling_rows(res):
    """The scaling row: pgfront threads = 1 and 2, HAProxy nbthread 1 and 2,
    against pgstub; TPS and proxy CPU per 1000 tx, and CPU per tx at two
    threads over one (paired by run)."""
    sc = res.get("scaling")
    if not sc:
        return []
    out, col = _per_thread_rows(sc, "pgstub backend, %(clients)s clients, proxy %(threads)s: TPS")
    growth = {c: stats.paired_ratios(col("%s-2" % c, "cpu_per_1000"),
                                     col("%s-1" % c, "cpu_per_1000")) for c in PROXIES}
    out.append(_repeat_row("  CPU per tx, 2 threads / 1 thread (pgfront: <= 1.15)", growth, False,
                           "{:.2f}"))
    return [r for r in out if r is not None]


def churn_rows(res):
    """The churn row: a connection per transaction against pgstub, the
    proxies at 1 and 2 threads; TPS (connections a second) and proxy CPU
    per 1000 connections."""
    ch = res.get("churn")
    if not ch:
        return []
    out, _ = _per_thread_rows(ch, "pgstub backend, connection per tx, %(clients)s clients,"
                                  " proxy %(threads)s: TPS")
    return [r for r in out if r is not None]


def rows_of(res, copy_mb, idle_n, lat_rounds=None, result_mb=8):
    """The table's Rows for every row measured."""
    out = []

    def add(label, row, key, higher, fmt, targets=TARGETS):
        if row in res:
            r = _repeat_row(label, {t: _runs(res, row, key, t) for t in targets}, higher, fmt)
            if r is not None:
                out.append(r)

    add("pgbench -S, 16 clients: TPS", "select", "tps", True, "{:.0f}")
    add("  proxy CPU s per 1000 tx", "select", "cpu_per_1000", False, "{:.3f}", PROXIES)
    add("pgbench TPC-B, 8 clients: TPS", "tpcb", "tps", True, "{:.0f}")
    add("  proxy CPU s per 1000 tx", "tpcb", "cpu_per_1000", False, "{:.3f}", PROXIES)
    add("pgbench -S -C (connection per tx), 8 clients: TPS", "connect", "tps", True, "{:.0f}")
    add("  proxy CPU s per 1000 tx", "connect", "cpu_per_1000", False, "{:.3f}", PROXIES)
    add("COPY out of a %d MB table: MB/s" % copy_mb, "copy", "mb_s", True, "{:.0f}")
    add("  proxy CPU s per GB", "copy", "cpu_per_gb", False, "{:.2f}", PROXIES)
    add("%d MB results, 1 client: queries/s" % result_mb, "result", "tps", True, "{:.2f}")
    add("  proxy CPU s per GB", "result", "cpu_per_gb", False, "{:.2f}", PROXIES)
    add("%d idle connections: proxy RSS per connection, bytes" % idle_n, "idle",
        "bytes_per_conn", False, "{:.0f}", PROXIES)
    out += latency_rows(lat_rounds or [])
    out += scaling_rows(res)
    out += churn_rows(res)
    return out


def _paired_ci(num_runs, den_runs, field):
    """FIELD of run i of one target over run i of another, for every i:
    (the median with its 95 % CI, or None when too few runs for one; how
    many pairs there were)."""
    ratios = stats.paired_ratios([r.get(field) for r in num_runs],
                                 [r.get(field) for r in den_runs])
    return stats.median_ci(ratios), len(ratios)


def scaling_ci_lines(res):
    """The scaling targets with a 95 % CI of the median over the paired
    rounds: CPU per tx at 2 threads over 1, and pgfront's TPS at 2 threads
    over HAProxy's."""
    sc = res.get("scaling")
    if not sc:
        return []

    parts = []
    for name, num, den, field in (
            ("pgfront CPU per tx, 2 threads / 1", "pgfront-2", "pgfront-1", "cpu_per_1000"),
            ("HAProxy CPU per tx, 2 threads / 1", "haproxy-2", "haproxy-1", "cpu_per_1000"),
            ("TPS at 2 threads, pgfront / HAProxy", "pgfront-2", "haproxy-2", "tps")):
        ci, _ = _paired_ci(sc.get(num, []), sc.get(den, []), field)
        if ci is not None:
            parts.append("%s %s" % (name, fmt_stat("{:.2f}", ci)))
    if not parts:
        return []
    n = len(sc.get("pgfront-2", []))
    return ["Scaling targets, the median of %d paired rounds [95 %% CI of the median,"
            " distribution-free]: %s." % (n, "; ".join(parts))]


# The PostgreSQL rows that run as short rounds (bench/run ROUND_ROWS), and
# the two ratios of each that say whether pgfront is ahead of HAProxy.
ROUND_RATIOS = (("select", "select-only", (("TPS", "tps"), ("CPU per tx", "cpu_per_1000"))),
                ("tpcb", "TPC-B", (("TPS", "tps"), ("CPU per tx", "cpu_per_1000"))),
                ("connect", "connection per tx", (("TPS", "tps"),
                                                  ("CPU per tx", "cpu_per_1000"))),
                ("result", "large results", (("queries/s", "tps"), ("CPU per GB", "cpu_per_gb"))))


def round_ci_lines(res):
    """pgfront over HAProxy on the PostgreSQL rows run as rounds: the median
    of the paired rounds with a 95 % CI of the median, per row and ratio."""
    parts, counts = [], set()
    for row, name, fields in ROUND_RATIOS:
        sec = res.get(row, {})
        said = []
        for label, field in fields:
            ci, pairs = _paired_ci(sec.get("pgfront", []), sec.get("haproxy", []), field)
            if ci is not None:
                said.append("%s %s" % (label, fmt_stat("{:.2f}", ci)))
                counts.add(pairs)
        if said:
            parts.append("%s: %s" % (name, ", ".join(said)))
    if not parts:
        return []
    n = "%d" % counts.pop() if len(counts) == 1 else "the"
    return ["pgfront / HAProxy on the PostgreSQL rows, the median of %s paired rounds [95 %% CI"
            " of the median, distribution-free]: %s." % (n, "; ".join(parts))]


def projection_lines(res, cores=(4, 8, 16)):
    """What an N-core balancer would sustain from the proxy CPU per tx
    measured at two threads: a paper figure, its assumption stated."""
    sc = res.get("scaling")
    if not sc:
        return []
    lines = []
    for name, key in (("pgfront threads = 2", "pgfront-2"), ("HAProxy nbthread 2", "haproxy-2")):
        s = stats.spread([r.get("cpu_per_1000") for r in sc.get(key, [])])
        if s is None:
            continue
        proj = {n: (stats.projection(s.mid, (n,))[n], stats.projection(s.hi, (n,))[n],
                    stats.projection(s.lo, (n,))[n]) for n in cores}
        lines.append("%s: %.4f CPU s per 1000 tx (%.4f-%.4f) -> %s" % (
            name, s.mid, s.lo, s.hi, "; ".join(
                "%d cores %s tx/s (%s-%s)" % (n, _k(m), _k(lo), _k(hi))
                for n, (m, lo, hi) in proj.items())))
    if lines:
        lines.insert(0, "Projection on paper (cores x 1 / proxy CPU per tx at two threads): assumes"
                        " the clients and the backend run elsewhere, the CPU per tx stays as"
                        " measured at two threads (no lock or cache contention beyond what two"
                        " threads showed), and nothing else (NIC, interrupts, the backend) limits"
                        " first. The CPU per tx is the proxy process's user + system time, so it"
                        " includes its share of the kernel's loopback TCP work. Not measured.")
    return lines


def _k(v):
    return "%.0fk" % (v / 1000.0) if v >= 10000 else "%.0f" % v


def fmt_stat(fmt, s):
    if s is None or s.mid is None:
        return "—"
    mid = fmt.format(s.mid)
    if s.lo is None or s.hi is None:
        return mid
    if s.kind == "range":
        if fmt.format(s.lo) == fmt.format(s.hi):
            return mid
        return "%s (%s–%s)" % (mid, fmt.format(s.lo), fmt.format(s.hi))
    return "%s [%s, %s]" % (mid, fmt.format(s.lo), fmt.format(s.hi))


def _columns(row):
    r_fmt = "{:.2f}"
    hap = row.hap_text if row.hap_text is not None else fmt_stat(r_fmt, row.r_hap)
    if row.behind:
        hap += " (behind)"
    label = row.label.strip() if not row.label.startswith("  ") else row.label
    return [label] + [fmt_stat(row.fmt, row.cells.get(t)) for t in TARGETS] + [
        hap, fmt_stat(r_fmt, row.r_dir)]


def table_lines(rows):
    lines = ["| row | direct | pgfront | HAProxy | pgfront/HAProxy | pgfront/direct |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        c = _columns(row)
        if c[0].startswith("  "):
            c[0] = "&nbsp;&nbsp;" + c[0].strip()
        lines.append("| " + " | ".join(c) + " |")
    return lines


LEGEND = ("Cells: median of the runs or rounds (min–max over them); ratios: run (round) i of"
          " pgfront over run (round) i of the other, median (min–max). Latency rows: the percentile of all the slices'"
          " transactions pooled [95 % confidence interval, bootstrap over the rounds of"
          " interleaved slices]; an interval holding 1.00 (ratio) or 0 (difference) is no"
          " evidence of a difference. \"(behind)\": pgfront's median (latency: pooled) ratio"
          " more than 3 % worse than HAProxy's.")


def text_table(rows):
    cols = [["row", "direct", "pgfront", "HAProxy", "pgf/HAP", "pgf/direct"]]
    cols += [_columns(r) for r in rows]
    w = [max(len(c[i]) for c in cols) for i in range(6)]
    lines = []
    for i, c in enumerate(cols):
        lines.append("%-*s  " % (w[0], c[0]) + "  ".join("%*s" % (w[j], c[j]) for j in range(1, 6)))
        if i == 0:
            lines.append("-" * len(lines[0]))
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
