"""The statistics of bench/run's table, pure Python (no numpy on the bench
machine): a cell's median and min-max over the runs, ratios paired by run,
percentiles of latency samples and their 95 % confidence intervals.

A Stat is (mid, lo, hi, kind): kind "range" when lo-hi is the min-max over
the runs, "ci" when it is a 95 % confidence interval."""

import bisect
import math
import random
import statistics
from collections import namedtuple

Stat = namedtuple("Stat", "mid lo hi kind")

Z95 = 1.959963984540054


def spread(values):
    """Median and min-max of VALUES (None ignored); None if there is none."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return Stat(statistics.median(values), min(values), max(values), "range")


def paired_ratios(num, den):
    """num[i] / den[i] for every run i both have (runs are paired by index:
    the targets rotate, so run i of each ran on the same machine state)."""
    out = []
    for a, b in zip(num, den):
        if a is not None and b is not None and b != 0:
            out.append(a / b)
    return out


def median_ci(values, level=0.95):
    """The median of VALUES (None ignored) with a distribution-free CI: the
    order statistics x(k) and x(n-k+1) for the largest k whose binomial
    tail P(Bin(n, 1/2) < k) is at most (1 - level) / 2. None when too few
    values for that (fewer than 6 at 95 %)."""
    values = sorted(v for v in values if v is not None)
    n = len(values)
    tail, k, below = (1 - level) / 2, 0, 0.0
    while k < n // 2:
        below += math.comb(n, k) / 2.0 ** n         # P(Bin(n, 1/2) = k)
        if below > tail:
            break
        k += 1
    if k == 0:
        return None
    return Stat(statistics.median(values), values[k - 1], values[n - k], "ci")


def percentile(sorted_values, p):
    """The P-th percentile of SORTED_VALUES: the value of rank round(P % of
    N) (1-based, at least 1), as bench/run always computed it."""
    if not sorted_values:
        return None
    return sorted_values[_rank(len(sorted_values), p) - 1]


def _rank(n, p):
    return max(1, min(n, int(round(p / 100.0 * n))))


def order_stat_ci(sorted_values, p, z=Z95):
    """A distribution-free 95 % CI of the P-th percentile of independent
    samples: the order statistics whose ranks are N p -/+ z sqrt(N p (1-p))
    (the normal approximation of the binomial count below the percentile).
    Samples from one client in one time slice are not quite independent:
    bench/run prefers the slice bootstrap below; this is the floor."""
    n = len(sorted_values)
    if not n:
        return None
    q = p / 100.0
    half = z * math.sqrt(n * q * (1 - q))
    lo = max(1, int(math.floor(n * q - half)))
    hi = min(n, int(math.ceil(n * q + half)))
    return Stat(percentile(sorted_values, p), sorted_values[lo - 1], sorted_values[hi - 1], "ci")


def pooled_percentile(slices, weights, p):
    """The P-th percentile (as percentile()) of the union of SLICES (each a
    sorted list), slice i counted WEIGHTS[i] times; without building it: a
    binary search on the value for the smallest v with rank(v) >= r."""
    n = sum(w * len(s) for s, w in zip(slices, weights))
    if not n:
        return None
    r = _rank(n, p)
    lo = min(s[0] for s, w in zip(slices, weights) if w and s)
    hi = max(s[-1] for s, w in zip(slices, weights) if w and s)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(w * bisect.bisect_right(s, mid) for s, w in zip(slices, weights) if w) >= r:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _pct_interval(values, level=0.95):
    values = sorted(values)
    k = len(values)
    a = (1 - level) / 2
    lo = max(0, int(math.floor(a * (k - 1))))
    hi = min(k - 1, int(math.ceil((1 - a) * (k - 1))))
    return values[lo], values[hi]


def slice_bootstrap(rounds, ps, b=2000, seed=1):
    """Pooled percentiles of every target, and their bootstrap replicates.

    ROUNDS is a list of {target: sorted latencies of that target's slice};
    in one round every target ran one slice, back to back, so the rounds are
    the independent units (a slice's samples share the machine's state of
    the moment; resampling single samples would pretend they did not).
    Returns (point, draws): point maps (target, p) for p in PS to the P-th
    percentile of all the target's samples; draws holds B such maps, each
    from the rounds resampled with replacement, the same rounds for every
    target (paired: a difference between targets keeps the pairing)."""
    if not rounds:
        return None, []
    targets = sorted(set().union(*rounds))
    per = {t: [r.get(t) or [] for r in rounds] for t in targets}

    def at(weights):
        return {(t, p): pooled_percentile(per[t], weights, p) for t in targets for p in ps}

    k = len(rounds)
    rng = random.Random(seed)
    draws = []
    for _ in range(b):
        w = [0] * k
        for _ in range(k):
            w[rng.randrange(k)] += 1
        draws.append(at(w))
    return at([1] * k), draws


def interval(point, draws, f, level=0.95):
    """Stat of F(point) with the percentile-bootstrap interval of F over
    DRAWS (F returns None where it is undefined: those draws are dropped)."""
    if point is None:
        return None
    mid = f(point)
    if mid is None:
        return None
    vals = [v for v in (f(d) for d in draws) if v is not None]
    if not vals:
        return Stat(mid, None, None, "ci")
    lo, hi = _pct_interval(vals, level)
    return Stat(mid, lo, hi, "ci")


def value_of(t, p):
    return lambda v: v.get((t, p))


def diff_of(a, b, p):
    """F for interval(): A's P-th percentile minus B's."""
    def f(v):
        x, y = v.get((a, p)), v.get((b, p))
        return None if x is None or y is None else x - y
    return f


def ratio_of(a, b, p):
    def f(v):
        x, y = v.get((a, p)), v.get((b, p))
        return None if x is None or not y else x / y
    return f


def projection(cpu_s_per_1000, cores=(4, 8, 16)):
    """Transactions per second a balancer of N cores would sustain, if its
    CPU per transaction stayed what was measured: N / (CPU s per tx)."""
    if not cpu_s_per_1000:
        return {}
    return {n: n * 1000.0 / cpu_s_per_1000 for n in cores}
