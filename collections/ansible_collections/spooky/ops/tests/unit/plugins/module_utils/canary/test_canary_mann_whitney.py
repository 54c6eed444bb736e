# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mann-Whitney / Hodges-Lehmann without third-party references (see test_canary_mann_whitney_scipy.py for scipy)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import random

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary import mann_whitney as mw
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import StatsError


def brute_differences(x, y):
    return sorted(float(a) - float(b) for a in x for b in y)


def brute_median(values):
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2.0


@contextlib.contextmanager
def forced_selection(sample=64, enumerate_limit=40, sigma=None):
    """Make the selection algorithm run many rounds on small inputs (no brute-force shortcut).

    ``sigma=0`` makes the sampled brackets miss the target often, exercising the recovery paths.
    """
    saved = (mw._BRUTE_FORCE_PAIRS, mw._ENUMERATE_LIMIT, mw._SAMPLE_SIZE, mw._SIGMA_MARGIN)
    mw._BRUTE_FORCE_PAIRS, mw._ENUMERATE_LIMIT, mw._SAMPLE_SIZE = 0, enumerate_limit, sample
    if sigma is not None:
        mw._SIGMA_MARGIN = sigma
    try:
        yield
    finally:
        mw._BRUTE_FORCE_PAIRS, mw._ENUMERATE_LIMIT, mw._SAMPLE_SIZE, mw._SIGMA_MARGIN = saved


# Reference values printed by scipy 1.17 (mannwhitneyu, method='asymptotic', use_continuity=True).
@pytest.mark.parametrize('x,y,alternative,statistic,pvalue', [
    ([1, 2, 3], [4, 5, 6], 'two-sided', 0.0, 0.08085559837005224),
    ([1, 2, 3], [4, 5, 6], 'less', 0.0, 0.04042779918502612),
    ([1, 2, 3], [4, 5, 6], 'greater', 0.0, 0.9854518341293739),
    ([1.5, 2, 2, 3, 7], [2, 4, 4, 5], 'two-sided', 6.0, 0.38116022651163173),
    ([1.5, 2, 2, 3, 7], [2, 4, 4, 5], 'less', 6.0, 0.19058011325581586),
    ([1.5, 2, 2, 3, 7], [2, 4, 4, 5], 'greater', 6.0, 0.8699125495082258),
])
def test_known_values(x, y, alternative, statistic, pvalue):
    result = mw.mann_whitney_u(x, y, alternative)
    assert result.statistic == statistic
    assert abs(result.pvalue - pvalue) < 1e-12


def test_u1_plus_u2_and_tie_term():
    result = mw.mann_whitney_u([1, 2, 2, 3], [2, 3, 3, 3, 9])
    assert result.u1 + result.u2 == 20
    # pooled ties: 2 x3, 3 x4 -> (27 - 3) + (64 - 4)
    assert result.tie_term == 84


def test_direction_of_one_sided_tests():
    low = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    high = [v + 10 for v in low]
    assert mw.mann_whitney_u(high, low, 'greater').pvalue < 0.001
    assert mw.mann_whitney_u(high, low, 'less').pvalue > 0.999
    assert mw.mann_whitney_u(low, high, 'less').pvalue < 0.001


def test_all_values_tied():
    result = mw.mann_whitney_u([5, 5, 5], [5, 5])
    assert result.pvalue == 1.0
    assert mw.mann_whitney_u([5, 5, 5], [5, 5], 'greater', use_continuity=False).pvalue == 0.5


@pytest.mark.parametrize('x,y', [([], [1]), ([1], []), ([float('nan'), 1], [1]), ([1], [float('inf')]), (['a'], [1])])
def test_invalid_samples(x, y):
    with pytest.raises(StatsError):
        mw.mann_whitney_u(x, y)
    with pytest.raises(StatsError):
        mw.hodges_lehmann(x, y)


def test_invalid_alternative():
    with pytest.raises(StatsError, match='alternative'):
        mw.mann_whitney_u([1, 2], [3, 4], 'bigger')


def test_rank_data_midranks():
    assert mw.rank_data([10, 20, 20, 30, 5]) == [2.0, 3.5, 3.5, 5.0, 1.0]
    assert mw.rank_data([1, 1, 1]) == [2.0, 2.0, 2.0]


def test_u_from_ranks_matches_definition_with_ties():
    rng = random.Random(11)
    for dummy in range(30):
        x = [rng.randint(0, 6) for dummy in range(rng.randint(1, 25))]
        y = [rng.randint(0, 6) for dummy in range(rng.randint(1, 25))]
        # U1 = number of pairs with x > y, plus half the ties
        expected = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
        assert mw.mann_whitney_u(x, y).u1 == expected


def test_hodges_lehmann_small_exact():
    assert mw.hodges_lehmann([1, 2, 3], [0]) == 2.0
    assert mw.hodges_lehmann([10, 20], [1, 2]) == 13.5      # differences 8 9 18 19
    assert mw.hodges_lehmann([0, 0, 0], [0, 0]) == 0.0


@pytest.mark.parametrize('seed', range(6))
def test_hodges_lehmann_matches_brute_force_on_the_selection_path(seed):
    rng = random.Random(seed)
    n, m = rng.randint(40, 160), rng.randint(40, 160)
    if seed % 2:
        x = [rng.randint(0, 8) for dummy in range(n)]          # heavy ties
        y = [rng.randint(0, 9) for dummy in range(m)]
    else:
        x = [rng.lognormvariate(3.0, 0.6) for dummy in range(n)]
        y = [rng.lognormvariate(3.1, 0.6) for dummy in range(m)]
    diffs = brute_differences(x, y)
    with forced_selection():
        assert mw.hodges_lehmann(x, y) == brute_median(diffs)
        for k in (0, 1, len(diffs) // 4, len(diffs) // 2, len(diffs) - 2, len(diffs) - 1):
            assert mw.pairwise_difference_rank(x, y, k) == diffs[k]


@pytest.mark.parametrize('seed', range(8))
def test_selection_recovers_from_brackets_that_miss(seed):
    rng = random.Random(100 + seed)
    n, m = rng.randint(30, 90), rng.randint(30, 90)
    if seed % 2:
        x = [rng.randint(0, 4) for dummy in range(n)]
        y = [rng.randint(0, 4) for dummy in range(m)]
    else:
        x = [rng.gauss(0, 1) for dummy in range(n)]
        y = [rng.gauss(0, 3) for dummy in range(m)]
    diffs = brute_differences(x, y)
    with forced_selection(sample=16, enumerate_limit=8, sigma=0.0):
        assert mw.hodges_lehmann(x, y) == brute_median(diffs)
        for k in (0, len(diffs) // 3, len(diffs) - 1):
            assert mw.pairwise_difference_rank(x, y, k) == diffs[k]


def test_hodges_lehmann_all_tied_on_the_selection_path():
    with forced_selection():
        assert mw.hodges_lehmann([3.0] * 50, [1.0] * 70) == 2.0
        assert mw.hodges_lehmann([3.0] * 50 + [4.0] * 49, [1.0] * 70) == 2.0
        assert mw.hodges_lehmann([3.0] * 50 + [4.0] * 50, [1.0] * 70) == 2.5


def test_hodges_lehmann_default_path_matches_brute_force_above_the_shortcut():
    rng = random.Random(7)
    x = [rng.gauss(100, 15) for dummy in range(260)]
    y = [rng.gauss(96, 15) for dummy in range(240)]
    assert len(x) * len(y) > mw._BRUTE_FORCE_PAIRS
    assert mw.hodges_lehmann(x, y) == brute_median(brute_differences(x, y))


def test_hodges_lehmann_is_antisymmetric_and_shift_equivariant():
    rng = random.Random(5)
    x = [rng.expovariate(0.1) for dummy in range(300)]
    y = [rng.expovariate(0.1) for dummy in range(350)]
    base = mw.hodges_lehmann(x, y)
    assert mw.hodges_lehmann(y, x) == -base  # pylint: disable=arguments-out-of-order
    assert abs(mw.hodges_lehmann([v + 7.0 for v in x], y) - (base + 7.0)) < 1e-9


def test_pairwise_difference_rank_bounds():
    with pytest.raises(StatsError, match='out of range'):
        mw.pairwise_difference_rank([1, 2], [3], 2)


def test_confidence_interval_contains_estimate_and_uses_order_statistics():
    rng = random.Random(3)
    x = [rng.gauss(5, 2) for dummy in range(120)]
    y = [rng.gauss(4, 2) for dummy in range(150)]
    low, high = mw.hodges_lehmann_ci(x, y, 0.95)
    diffs = brute_differences(x, y)
    assert low <= mw.hodges_lehmann(x, y) <= high
    assert low in diffs and high in diffs
    # symmetric order statistics: as many differences strictly below low as strictly above high
    below = sum(1 for d in diffs if d < low)
    above = sum(1 for d in diffs if d > high)
    assert below == above
    narrower = mw.hodges_lehmann_ci(x, y, 0.80)
    assert low <= narrower[0] <= narrower[1] <= high


def test_confidence_interval_coverage():
    # 95% interval for a true shift of 1.0 should cover it about 95% of the time
    rng = random.Random(2024)
    trials = 300
    covered = 0
    for dummy in range(trials):
        x = [rng.gauss(1.0, 1.0) for dummy in range(30)]
        y = [rng.gauss(0.0, 1.0) for dummy in range(25)]
        low, high = mw.hodges_lehmann_ci(x, y, 0.95)
        covered += low <= 1.0 <= high
    assert 0.91 * trials <= covered <= 0.99 * trials


def test_confidence_interval_rejects_bad_confidence():
    with pytest.raises(StatsError):
        mw.hodges_lehmann_ci([1, 2], [3, 4], 1.0)


def test_compare_samples_bundles_everything():
    rng = random.Random(9)
    x = [rng.gauss(110, 5) for dummy in range(200)]
    y = [rng.gauss(100, 5) for dummy in range(180)]
    cmp = mw.compare_samples(x, y, confidence=0.98)
    assert cmp.test == mw.mann_whitney_u(x, y)
    assert cmp.shift == mw.hodges_lehmann(x, y)
    assert cmp.ci == mw.hodges_lehmann_ci(x, y, 0.98)
    assert cmp.x_median == brute_median(sorted(x)) and cmp.y_median == brute_median(sorted(y))
    assert (cmp.n1, cmp.n2) == (200, 180)
    assert 8 < cmp.shift < 12 and cmp.test.pvalue < 1e-12
