# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mann-Whitney U test and Hodges-Lehmann shift estimate, in plain Python.

Mann-Whitney U
--------------
Normal approximation with the exact tie correction of the variance and an optional
continuity correction -- the same computation as
``scipy.stats.mannwhitneyu(x, y, alternative=..., method='asymptotic', use_continuity=True)``:

    U1 = R1 - n1 (n1 + 1) / 2                      (R1: sum of the mid-ranks of x)
    sd = sqrt(n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))))
    z  = (U - n1 n2 / 2 - 0.5) / sd,   p = P(Z >= z)   (times 2, capped at 1, if two-sided)

with ``U = U1`` for ``greater`` (x tends to be larger than y), ``U = U2 = n1 n2 - U1`` for
``less`` and ``U = max(U1, U2)`` for ``two-sided``. ``statistic`` is ``U1``, like scipy.

Ranks cost O(N log N): one sort of the pooled sample, then a dict maps each distinct
value to its highest 1-based rank (how many values are <= it); the previous distinct
value's entry gives how many are < it, hence the tie group size and the mid-rank. All
the per-element work runs inside C builtins (``sorted``, ``dict``, ``map``, ``sum``).

Degenerate case: when every value is tied the variance is 0; scipy then returns p = 1
with the continuity correction (and NaN without); we return p = 1 (two-sided) or
p = 0.5 (one-sided, no continuity correction) and ``z = 0``.

Hodges-Lehmann
--------------
The two-sample Hodges-Lehmann estimate of the shift of x relative to y is the median of
the n1*n2 pairwise differences ``x_i - y_j``. It is computed *exactly* (the same value
as sorting all differences, up to floating-point rounding of a few ulps) without
materializing them: with x and y sorted, the differences form an n-by-m matrix whose
rows are sorted, so ``#{d <= t}`` is ``sum(bisect_right(x, y_j + t))`` -- one C-level
``bisect`` per row. The k-th difference is then found by Floyd-Rivest style selection:
draw 2000 differences uniformly from the current candidate window, take the sample order
statistics 3 standard deviations below and above the target rank, count to check that
they bracket the target, and shrink every row's candidate column range to the bracket
(bisections limited to the previous range). Each round keeps ~7% of the candidates: for
2 x 10k samples (10^8 differences) four rounds leave a few thousand candidates, which
are then sorted directly. A bracket that misses (rare) only costs a round; runs of tied
differences are detected (no progress) and settled by a three-way split on one pivot.
The shorter sample indexes the rows, so a round costs O(min(n, m) log max(n, m)) plus
the sample sort. The random draws only affect speed, never the result.

The confidence interval is the classical distribution-free one (Lehmann's "Nonparametrics",
Hollander & Wolfe): the order statistics ``D(C)`` and ``D(n1 n2 + 1 - C)`` of the differences with
``C = floor(n1 n2 / 2 - z_(1 - alpha/2) * sd_U)``, ``sd_U`` the tie-corrected standard deviation
of U (normal approximation of the distribution of U).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import random
from bisect import bisect_left, bisect_right
from collections import namedtuple
from itertools import accumulate, chain, repeat
from operator import add, sub
from statistics import NormalDist

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import StatsError

ALTERNATIVES = ('two-sided', 'less', 'greater')

MannWhitneyResult = namedtuple('MannWhitneyResult', ['statistic', 'u1', 'u2', 'z', 'pvalue', 'n1', 'n2', 'tie_term', 'alternative'])

_SQRT2 = math.sqrt(2.0)
_BRUTE_FORCE_PAIRS = 40000   # below this many pairs just sort every difference
_ENUMERATE_LIMIT = 20000     # enumerate and sort the candidate window once it is this small
_SAMPLE_SIZE = 2000          # differences sampled per selection round
_SIGMA_MARGIN = 3.0          # bracket half-width, in binomial standard deviations
_MAX_ROUNDS = 200
_SEED = 0x5EED               # selection randomness only affects speed, never the result


def as_sample(values, name='sample'):
    """``values`` as a list of floats; :class:`StatsError` if empty or not all finite."""
    try:
        out = list(map(float, values))
    except (TypeError, ValueError) as exc:
        raise StatsError('%s must contain numbers only (%s)' % (name, exc))
    if not out:
        raise StatsError('%s is empty' % name)
    if not all(map(math.isfinite, out)):
        raise StatsError('%s contains NaN or infinite values; drop them first' % name)
    return out


def rank_data(values):
    """Mid-ranks (1-based, ties averaged) of ``values``, in their original order. O(N log N)."""
    data = as_sample(values, 'values')
    order = sorted(range(len(data)), key=data.__getitem__)
    ranks = [0.0] * len(data)
    start = 0
    total = len(order)
    while start < total:
        stop = start + 1
        value = data[order[start]]
        while stop < total and data[order[stop]] == value:
            stop += 1
        midrank = (start + 1 + stop) / 2.0
        for pos in range(start, stop):
            ranks[order[pos]] = midrank
        start = stop
    return ranks


def _u1_and_ties(xs, ys):
    """``(U1, sum(t^3 - t))`` for samples ``xs`` and ``ys`` (finite floats, any order)."""
    pooled = xs + ys
    pooled.sort()
    total = len(pooled)
    # distinct value -> its highest 1-based rank, i.e. how many pooled values are <= it;
    # keys stay in ascending order (first insertion), values end up at the last occurrence
    highest = dict(zip(pooled, range(1, total + 1)))
    n1 = len(xs)
    if len(highest) == total:   # no ties at all: ranks are the positions
        return sum(map(highest.__getitem__, xs)) - n1 * (n1 + 1) // 2, 0
    tops = list(highest.values())
    bottoms = [0]
    bottoms.extend(tops[:-1])    # how many pooled values are < each distinct value
    # twice the mid-rank: lowest + highest rank = (bottom + 1) + top
    twice_midrank = dict(zip(highest, map(add, map(add, tops, bottoms), repeat(1))))
    twice_r1 = sum(map(twice_midrank.__getitem__, xs))
    tie_term = sum(map(pow, map(sub, tops, bottoms), repeat(3))) - total    # sum(t^3) - sum(t)
    return (twice_r1 - n1 * (n1 + 1)) / 2.0, tie_term


def _result(u1, n1, n2, tie_term, alternative, use_continuity):
    if alternative not in ALTERNATIVES:
        raise StatsError('alternative must be one of %s (got %r)' % (', '.join(ALTERNATIVES), alternative))
    u2 = n1 * n2 - u1
    if alternative == 'greater':
        u_stat, factor = u1, 1
    elif alternative == 'less':
        u_stat, factor = u2, 1
    else:
        u_stat, factor = max(u1, u2), 2
    total = n1 + n2
    sd = math.sqrt(n1 * n2 / 12.0 * ((total + 1) - tie_term / (total * (total - 1))))
    numerator = u_stat - n1 * n2 / 2.0 - (0.5 if use_continuity else 0.0)
    if sd > 0:
        z = numerator / sd
    else:
        z = -math.inf if numerator < 0 else 0.0
    pvalue = min(1.0, max(0.0, factor * 0.5 * math.erfc(z / _SQRT2)))
    return MannWhitneyResult(float(u1), float(u1), float(u2), z, pvalue, n1, n2, tie_term, alternative)


def mann_whitney_u(x, y, alternative='two-sided', use_continuity=True):
    """Mann-Whitney U test of ``x`` against ``y`` (asymptotic, tie-corrected).

    ``alternative='greater'`` tests whether x tends to be larger than y. Returns a
    :data:`MannWhitneyResult` (``statistic`` = U1 of x, ``pvalue``, ``z``...).
    """
    xs = as_sample(x, 'x')
    ys = as_sample(y, 'y')
    u1, tie_term = _u1_and_ties(xs, ys)
    return _result(u1, len(xs), len(ys), tie_term, alternative, use_continuity)


# --------------------------------------------------------------------------- selection


def _enumerate(rows, cols, lo, hi, below, ranks):
    # every candidate (r, c) with lo[r] <= c < hi[r], built by C-level iterators only
    sizes = [max(0, size) for size in map(sub, hi, lo)]
    col_idx = list(chain.from_iterable(map(range, lo, hi)))
    row_idx = list(chain.from_iterable(map(repeat, range(len(rows)), sizes)))
    values = list(map(sub, map(cols.__getitem__, col_idx), map(rows.__getitem__, row_idx)))
    values.sort()
    last = len(values) - 1
    return [values[min(max(k - below, 0), last)] for k in ranks]


def _sample(rows, cols, lo, hi, size, rng):
    # ``size`` candidates drawn uniformly (with replacement) from the window, sorted
    cum = list(accumulate(map(sub, hi, lo)))
    active = cum[-1]
    rand = rng.random
    picks = [int(rand() * active) for dummy in range(size)]
    row_idx = list(map(bisect_right, repeat(cum, size), picks))
    # column = hi[r] - (cum[r] - pick): the pick's offset counted back from the row's end
    col_idx = map(sub, map(hi.__getitem__, row_idx), map(sub, map(cum.__getitem__, row_idx), picks))
    out = list(map(sub, map(cols.__getitem__, col_idx), map(rows.__getitem__, row_idx)))
    out.sort()
    return out


def _select(rows, cols, ranks, rng):
    """Values at the 0-based ``ranks`` (sorted, close together) of ``cols[c] - rows[r]``.

    ``rows`` and ``cols`` are sorted lists of floats. The candidate window is row-wise
    ``lo[r] <= c < hi[r]``; ``below`` = sum(lo) candidates are known to be smaller than
    every target, ``top`` = sum(hi).
    """
    n, m = len(rows), len(cols)
    if n * m <= _BRUTE_FORCE_PAIRS:
        return _enumerate(rows, cols, [0] * n, [m] * n, 0, ranks)
    return _select_window(rows, cols, ranks, [0] * n, [m] * n, 0, n * m, rng)


def _select_window(rows, cols, ranks, lo, hi, below, top, rng):
    n = len(rows)
    kmin, kmax = ranks[0], ranks[-1]
    stalled = False
    for dummy in range(_MAX_ROUNDS):
        active = top - below
        if active <= _ENUMERATE_LIMIT:
            break
        size = _SAMPLE_SIZE
        sample = _sample(rows, cols, lo, hi, size, rng)
        if stalled:
            # three-way split on one pivot: settles runs of tied differences
            pivot = sample[min(size - 1, int((kmin - below + 0.5) * size / active))]
            keys = list(map(pivot.__add__, rows))
            lt = list(map(bisect_left, repeat(cols, n), keys, lo, hi))
            le = list(map(bisect_right, repeat(cols, n), keys, lt, hi))
            n_lt, n_le = sum(lt), sum(le)
            if n_lt <= kmin and kmax < n_le:
                return [pivot] * len(ranks)
            if n_le <= kmin:
                lo, below = le, n_le
            elif kmax < n_lt:
                hi, top = lt, n_lt
            else:   # the targets straddle the pivot's run: settle each side separately
                out = []
                for k in ranks:
                    if k < n_lt:
                        out.extend(_select_window(rows, cols, [k], lo, lt, below, n_lt, rng))
                    elif k < n_le:
                        out.append(pivot)
                    else:
                        out.extend(_select_window(rows, cols, [k], le, hi, n_le, top, rng))
                return out
            stalled = False
            continue
        spread = _SIGMA_MARGIN * math.sqrt(size * 0.25) + 1.0
        i_lo = int(math.floor((kmin - below) * size / active - spread))
        i_hi = int(math.ceil((kmax - below + 1) * size / active + spread))
        above_all = False
        if i_lo >= 0:
            p_lo = sample[i_lo]
            new = list(map(bisect_left, repeat(cols, n), map(p_lo.__add__, rows), lo, hi))
            count = sum(new)
            if count <= kmin:
                lo, below = new, count
            elif count > kmax:   # every target is below p_lo: p_hi is useless
                hi, top = new, count
                above_all = True
        if i_hi < size and not above_all:
            p_hi = sample[i_hi]
            new = list(map(bisect_right, repeat(cols, n), map(p_hi.__add__, rows), lo, hi))
            count = sum(new)
            if count > kmax:
                hi, top = new, count
            elif count <= kmin:
                lo, below = new, count
        stalled = (top - below) >= active
    return _enumerate(rows, cols, lo, hi, below, ranks)


def _sorted_pair_ranks(xs, ys, ranks):
    """Values at 0-based ``ranks`` of the sorted differences ``x_i - y_j`` (xs, ys sorted)."""
    total = len(xs) * len(ys)
    rng = random.Random(_SEED)
    if len(ys) <= len(xs):
        return _select(ys, xs, ranks, rng)        # rows: y, columns: x -> x - y
    # fewer rows is cheaper: select among y_j - x_i and mirror the ranks
    mirrored = _select(xs, ys, [total - 1 - k for k in reversed(ranks)], rng)
    return [-v for v in reversed(mirrored)]


def _hl_sorted(xs, ys):
    total = len(xs) * len(ys)
    if total % 2:
        return _sorted_pair_ranks(xs, ys, [total // 2])[0]
    low, high = _sorted_pair_ranks(xs, ys, [total // 2 - 1, total // 2])
    return (low + high) / 2.0


def _ci_sorted(xs, ys, confidence, tie_term):
    n1, n2 = len(xs), len(ys)
    total = n1 + n2
    sd = math.sqrt(n1 * n2 / 12.0 * ((total + 1) - tie_term / (total * (total - 1))))
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    c_alpha = int(math.floor(n1 * n2 / 2.0 - z * sd))
    c_alpha = min(max(c_alpha, 1), (n1 * n2 + 1) // 2)
    low = _sorted_pair_ranks(xs, ys, [c_alpha - 1])[0]
    high = _sorted_pair_ranks(xs, ys, [n1 * n2 - c_alpha])[0]
    return low, high


def pairwise_difference_rank(x, y, k):
    """The k-th smallest (0-based) of the ``len(x) * len(y)`` differences ``x_i - y_j``."""
    xs = sorted(as_sample(x, 'x'))
    ys = sorted(as_sample(y, 'y'))
    if not 0 <= k < len(xs) * len(ys):
        raise StatsError('rank %r out of range [0, %d)' % (k, len(xs) * len(ys)))
    return _sorted_pair_ranks(xs, ys, [k])[0]


def hodges_lehmann(x, y):
    """Hodges-Lehmann estimate of the shift of ``x`` relative to ``y``: median of ``x_i - y_j``."""
    return _hl_sorted(sorted(as_sample(x, 'x')), sorted(as_sample(y, 'y')))


def hodges_lehmann_ci(x, y, confidence=0.95):
    """Distribution-free confidence interval ``(low, high)`` of the Hodges-Lehmann shift."""
    if not 0.0 < confidence < 1.0:
        raise StatsError('confidence must be strictly between 0 and 1 (got %r)' % (confidence,))
    xs = sorted(as_sample(x, 'x'))
    ys = sorted(as_sample(y, 'y'))
    dummy, tie_term = _u1_and_ties(xs, ys)
    return _ci_sorted(xs, ys, confidence, tie_term)


TwoSampleComparison = namedtuple('TwoSampleComparison', ['test', 'shift', 'ci', 'x_median', 'y_median', 'n1', 'n2'])


def compare_samples(x, y, alternative='two-sided', confidence=None):
    """Mann-Whitney test, Hodges-Lehmann shift (x - y) and medians in one pass over sorted data.

    ``confidence`` (e.g. 0.98) also computes the shift's confidence interval (two extra
    selections); ``None`` skips it (``ci`` is then ``None``).
    """
    xs = sorted(as_sample(x, 'x'))
    ys = sorted(as_sample(y, 'y'))
    u1, tie_term = _u1_and_ties(xs, ys)
    test = _result(u1, len(xs), len(ys), tie_term, alternative, True)
    shift = _hl_sorted(xs, ys)
    ci = _ci_sorted(xs, ys, confidence, tie_term) if confidence is not None else None
    return TwoSampleComparison(test, shift, ci, _median_sorted(xs), _median_sorted(ys), len(xs), len(ys))


def _median_sorted(values):
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return (values[mid - 1] + values[mid]) / 2.0
