"""bench/lib/stats.py and the table of bench/lib/results.py: medians,
spreads, paired ratios, percentiles and their confidence intervals.
Run: /usr/bin/python3 -m pytest bench/tests/test_bench_stats.py"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import results, stats  # noqa: E402
from lib.stats import Stat  # noqa: E402


def test_spread_is_median_min_max_ignoring_none():
    assert stats.spread([3, None, 1, 2]) == Stat(2, 1, 3, "range")
    assert stats.spread([4, 1]) == Stat(2.5, 1, 4, "range")
    assert stats.spread([None]) is None
    assert stats.spread([]) is None


def test_paired_ratios_pair_by_index_and_skip_holes():
    assert stats.paired_ratios([10, 20, None, 9], [5, 10, 7, 0]) == [2.0, 2.0]
    # A longer list's extra runs have no partner.
    assert stats.paired_ratios([1, 2, 3], [1, 1]) == [1.0, 2.0]


def test_paired_ratio_differs_from_ratio_of_medians():
    # Run by run, pgfront is 10 % ahead; the medians alone would say 2x.
    pg, hap = [110, 220, 330], [100, 200, 300]
    s = stats.spread(stats.paired_ratios(pg, hap))
    assert abs(s.mid - 1.1) < 1e-9 and abs(s.lo - 1.1) < 1e-9 and abs(s.hi - 1.1) < 1e-9


def test_percentile_rank_rule():
    v = list(range(1, 101))                 # 1..100
    assert stats.percentile(v, 50) == 50
    assert stats.percentile(v, 99) == 99
    assert stats.percentile(v, 100) == 100
    assert stats.percentile([7], 99) == 7
    assert stats.percentile([], 99) is None


def test_order_stat_ci_brackets_the_percentile_and_narrows_with_n():
    rng = random.Random(3)
    small = sorted(rng.expovariate(1 / 100.0) for _ in range(1000))
    big = sorted(rng.expovariate(1 / 100.0) for _ in range(100000))
    a, b = stats.order_stat_ci(small, 99), stats.order_stat_ci(big, 99)
    assert a.lo <= a.mid <= a.hi and b.lo <= b.mid <= b.hi
    assert (b.hi - b.lo) < (a.hi - a.lo)
    # The exponential's true p99 (100 ln 100 = 460.5) is inside the big one.
    assert b.lo <= 460.5 <= b.hi


def test_order_stat_ci_covers_about_95_percent():
    rng = random.Random(5)
    hits = 0
    for _ in range(300):
        v = sorted(rng.random() for _ in range(2000))
        ci = stats.order_stat_ci(v, 99)
        hits += ci.lo <= 0.99 <= ci.hi
    assert 270 <= hits <= 299               # 95 % of 300 = 285


def test_pooled_percentile_equals_percentile_of_the_union():
    rng = random.Random(7)
    slices = [sorted(rng.randrange(50, 5000) for _ in range(rng.randrange(1, 400)))
              for _ in range(6)]
    for weights in ([1] * 6, [0, 2, 1, 0, 3, 0], [6, 0, 0, 0, 0, 0]):
        union = sorted(x for s, w in zip(slices, weights) for _ in range(w) for x in s)
        for p in (1, 50, 90, 99, 100):
            assert stats.pooled_percentile(slices, weights, p) == stats.percentile(union, p)


def test_pooled_percentile_of_nothing():
    assert stats.pooled_percentile([[], []], [1, 1], 99) is None
    assert stats.pooled_percentile([[5]], [0], 99) is None


def _rounds(rng, n_rounds, shifts, n=300):
    """N_ROUNDS rounds, each target's slice exponential(100 us) + its shift."""
    return [{t: sorted(int(rng.expovariate(1 / 100.0)) + s for _ in range(n))
             for t, s in shifts.items()} for _ in range(n_rounds)]


def test_bootstrap_difference_finds_a_real_shift_and_not_a_fake_one():
    rng = random.Random(11)
    rounds = _rounds(rng, 20, {"direct": 0, "pgfront": 200, "haproxy": 0})
    point, draws = stats.slice_bootstrap(rounds, (50, 99), b=300)
    real = stats.interval(point, draws, stats.diff_of("pgfront", "direct", 99))
    none = stats.interval(point, draws, stats.diff_of("haproxy", "direct", 99))
    assert real.kind == "ci" and real.lo <= real.mid <= real.hi
    assert real.lo > 0 and abs(real.mid - 200) < 120     # a 200 us shift: found
    assert none.lo <= 0 <= none.hi                        # no shift: CI holds 0


def test_bootstrap_sees_round_to_round_noise_that_samples_hide():
    # Every round shifts all its samples by a random amount (the machine's
    # state of the moment): the bootstrap over rounds must give a wider CI
    # than the order statistics of the pooled samples, which assume
    # independent samples.
    rng = random.Random(13)
    rounds = []
    for _ in range(12):
        drift = rng.choice([0, 0, 150])
        rounds.append({"direct": sorted(int(rng.expovariate(1 / 100.0)) + drift
                                        for _ in range(500))})
    point, draws = stats.slice_bootstrap(rounds, (99,), b=400)
    boot = stats.interval(point, draws, stats.value_of("direct", 99))
    pooled = sorted(x for r in rounds for x in r["direct"])
    order = stats.order_stat_ci(pooled, 99)
    assert boot.mid == order.mid == stats.percentile(pooled, 99)
    assert (boot.hi - boot.lo) > (order.hi - order.lo)


def test_bootstrap_is_reproducible():
    rng = random.Random(17)
    rounds = _rounds(rng, 5, {"direct": 0, "pgfront": 30})
    a = stats.slice_bootstrap(rounds, (99,), b=50)
    b = stats.slice_bootstrap(rounds, (99,), b=50)
    assert a == b


def test_interval_drops_undefined_draws():
    point = {("a", 99): 10, ("b", 99): 5}
    draws = [{("a", 99): 10, ("b", 99): 0}, {("a", 99): 12, ("b", 99): 6}]
    s = stats.interval(point, draws, stats.ratio_of("a", "b", 99))
    assert s.mid == 2 and s.lo == s.hi == 2


def test_projection():
    p = stats.projection(0.02)                      # 20 us of CPU per tx
    assert round(p[4]) == 200000 and round(p[8]) == 400000 and round(p[16]) == 800000
    assert stats.projection(None) == {}


def test_table_marks_behind_on_the_median_ratio():
    res = {"select": {"direct": [{"tps": 100}] * 3,
                      "pgfront": [{"tps": 90}, {"tps": 99}, {"tps": 95}],
                      "haproxy": [{"tps": 100}, {"tps": 100}, {"tps": 100}]}}
    rows = results.rows_of(res, 100, 10)
    assert rows[0].r_hap == Stat(0.95, 0.9, 0.99, "range")
    assert rows[0].behind
    line = results.table_lines(rows)[2]
    assert "95 (90–99)" in line and "0.95 (0.90–0.99) (behind)" in line
    res["select"]["pgfront"] = [{"tps": 98}, {"tps": 99}, {"tps": 97}]
    assert not results.rows_of(res, 100, 10)[0].behind


def test_table_lower_is_better_rows():
    res = {"select": {t: [{"tps": 1, "cpu_per_1000": c}] for t, c in
                      (("direct", None), ("pgfront", 0.0104), ("haproxy", 0.01))}}
    cpu = results.rows_of(res, 100, 10)[1]
    assert cpu.behind                               # 4 % more CPU than HAProxy


def stub_runs(tps, cpu, clients=None):
    """Runs of a pgstub row: TPS and CPU per 1000 tx, run by run."""
    return [{"tps": t, "cpu_per_1000": c, "clients": clients} for t, c in zip(tps, cpu)]


def test_scaling_rows_and_growth():
    def runs(tps, cpu):
        return stub_runs(tps, cpu, 64)
    res = {"scaling": {
        "direct": runs([60000] * 2, [None] * 2),
        "pgfront-1": runs([30000, 32000], [0.020, 0.022]),
        "pgfront-2": runs([40000, 41000], [0.022, 0.0253]),
        "haproxy-1": runs([29000, 31000], [0.021, 0.021]),
        "haproxy-2": runs([39000, 40000], [0.021, 0.021])}}
    rows = results.scaling_rows(res)
    labels = [r.label for r in rows]
    assert labels[0].startswith("pgstub backend, 64 clients, proxy 1 thread")
    growth = rows[-1]
    assert abs(growth.cells["pgfront"].mid - 1.125) < 1e-9    # (1.10 + 1.15) / 2
    assert abs(growth.cells["pgfront"].hi - 1.15) < 1e-9
    assert growth.cells["haproxy"].mid == 1.0
    two = rows[2]
    assert abs(two.r_hap.mid - (40000 / 39000 + 41000 / 40000) / 2) < 1e-9
    proj = results.projection_lines(res)
    assert proj[0].startswith("Projection on paper") and "pgfront threads = 2" in proj[1]


def test_churn_rows():
    def runs(tps, cpu):
        return stub_runs(tps, cpu, 16)
    res = {"churn": {
        "direct": runs([4000] * 2, [None] * 2),
        "pgfront-1": runs([3000, 2800], [0.20, 0.22]),
        "pgfront-2": runs([3100, 2900], [0.21, 0.21]),
        "haproxy-1": runs([2500, 2800], [0.25, 0.22]),
        "haproxy-2": runs([2600, 2900], [0.26, 0.24])}}
    rows = results.churn_rows(res)
    assert [r.label for r in rows] == [
        "pgstub backend, connection per tx, 16 clients, proxy 1 thread: TPS",
        "  proxy CPU s per 1000 tx",
        "pgstub backend, connection per tx, 16 clients, proxy 2 threads: TPS",
        "  proxy CPU s per 1000 tx"]
    assert abs(rows[0].r_hap.mid - (3000 / 2500 + 2800 / 2800) / 2) < 1e-9
    assert abs(rows[3].r_hap.lo - 0.21 / 0.26) < 1e-9
    assert results.churn_rows({}) == []
    assert results.rows_of(res, 100, 100)[-1].label == "  proxy CPU s per 1000 tx"


def test_median_ci_is_the_binomial_order_statistics():
    assert stats.median_ci([1, 2, 3, 4, 5]) is None        # 2 / 2^5 > 5 %: no 95 % CI
    assert stats.median_ci([6, 1, 5, 2, 4, 3]) == Stat(3.5, 1, 6, "ci")
    # n = 9: P(Bin(9, 1/2) <= 1) = 10/512 <= 2.5 % < P(<= 2): x(2) and x(8).
    assert stats.median_ci(list(range(9, 0, -1)) + [None]) == Stat(5, 2, 8, "ci")
    assert stats.median_ci(list(range(1, 16))) == Stat(8, 4, 12, "ci")


def test_median_ci_covers_about_95_percent():
    rng = random.Random(7)
    hits = 0
    for _ in range(2000):
        ci = stats.median_ci([rng.gauss(0, 1) for _ in range(9)])
        hits += ci.lo <= 0 <= ci.hi
    assert 0.93 < hits / 2000 < 0.99                  # 96.1 % in theory


def test_scaling_ci_lines():
    runs = stub_runs
    n = 9
    res = {"scaling": {
        "pgfront-1": runs([100] * n, [0.020] * n),
        "pgfront-2": runs([110] * n, [0.020 * (1 + i / 100) for i in range(n)]),
        "haproxy-1": runs([100] * n, [0.030] * n),
        "haproxy-2": runs([100] * n, [0.030] * n)}}
    line, = results.scaling_ci_lines(res)
    assert line.startswith("Scaling targets, the median of 9 paired rounds")
    assert "pgfront CPU per tx, 2 threads / 1 1.04 [1.01, 1.07]" in line
    assert "HAProxy CPU per tx, 2 threads / 1 1.00" in line
    assert "TPS at 2 threads, pgfront / HAProxy 1.10" in line
    assert results.scaling_ci_lines({"scaling": {k: v[:3] for k, v in res["scaling"].items()}}) == []


def test_round_ci_lines():
    def runs(tps, cpu, field="cpu_per_1000"):
        return [{"tps": t, field: c} for t, c in zip(tps, cpu)]
    n = 9
    res = {"select": {"direct": runs([200] * n, [None] * n),
                      "pgfront": runs([100 + i for i in range(n)], [0.08] * n),
                      "haproxy": runs([100] * n, [0.10] * n)},
           "result": {"pgfront": runs([10] * n, [0.5] * n, "cpu_per_gb"),
                      "haproxy": runs([10] * (n - 1) + [None], [1.0] * n, "cpu_per_gb")}}
    line, = results.round_ci_lines({"select": res["select"]})
    assert line.startswith("pgfront / HAProxy on the PostgreSQL rows, the median of 9 paired"
                           " rounds [95 % CI of the median"), line
    assert line.endswith(": select-only: TPS 1.04 [1.01, 1.07], CPU per tx 0.80 [0.80, 0.80]."), line
    # A hole in one run leaves 8 pairs there: no single count is claimed.
    line, = results.round_ci_lines(res)
    assert "the median of the paired rounds" in line, line
    assert "; large results: queries/s 1.00 [1.00, 1.00], CPU per GB 0.50 [0.50, 0.50]." in line
    assert "TPC-B" not in line
    short = {"select": {k: v[:5] for k, v in res["select"].items()}}
    assert results.round_ci_lines(short) == []          # 5 pairs: no 95 % CI


def test_fmt_stat():
    assert results.fmt_stat("{:.0f}", Stat(5, 5, 5, "range")) == "5"
    assert results.fmt_stat("{:.0f}", Stat(5, 4, 6, "range")) == "5 (4–6)"
    assert results.fmt_stat("{:+.0f}", Stat(5, -4, 6, "ci")) == "+5 [-4, +6]"
    assert results.fmt_stat("{:.0f}", None) == "—"
