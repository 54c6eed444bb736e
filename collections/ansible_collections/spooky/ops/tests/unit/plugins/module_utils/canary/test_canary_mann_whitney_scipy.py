# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure-Python statistics against scipy / numpy on shared vectors (skipped only without scipy)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

import pytest

np = pytest.importorskip('numpy')
stats = pytest.importorskip('scipy.stats')

from ansible_collections.spooky.ops.plugins.module_utils.canary import mann_whitney as mw  # noqa: E402

ALTERNATIVES = ('two-sided', 'less', 'greater')


def scipy_mwu(x, y, alternative, use_continuity=True):
    return stats.mannwhitneyu(x, y, alternative=alternative, method='asymptotic', use_continuity=use_continuity)


def vectors(seed):
    """Pairs of samples: continuous, shifted, skewed, unequal sizes, heavy ties, mixed ties, tiny."""
    rng = random.Random(seed)
    yield [rng.gauss(0, 1) for dummy in range(50)], [rng.gauss(0, 1) for dummy in range(60)]
    yield [rng.gauss(0.4, 1) for dummy in range(200)], [rng.gauss(0, 1.5) for dummy in range(150)]
    yield [rng.lognormvariate(4, 0.5) for dummy in range(500)], [rng.lognormvariate(4.05, 0.5) for dummy in range(700)]
    yield [rng.randint(0, 5) for dummy in range(300)], [rng.randint(0, 6) for dummy in range(250)]
    yield [rng.choice([1.5, 2.0, 2.0, 7.25]) for dummy in range(40)], [rng.gauss(2.5, 2) for dummy in range(30)] + [2.0] * 7
    yield [float(rng.randint(90, 110)) for dummy in range(1000)], [float(rng.randint(92, 112)) for dummy in range(1200)]
    yield [1.0, 2.0], [3.0]
    yield [rng.random() for dummy in range(3)], [rng.random() for dummy in range(4)]


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('alternative', ALTERNATIVES)
def test_pvalue_and_statistic_match_scipy(seed, alternative):
    for x, y in vectors(seed):
        ours = mw.mann_whitney_u(x, y, alternative)
        ref = scipy_mwu(x, y, alternative)
        assert ours.statistic == float(ref.statistic)
        assert abs(ours.pvalue - float(ref.pvalue)) < 1e-9, (len(x), len(y), ours.pvalue, float(ref.pvalue))


@pytest.mark.parametrize('alternative', ALTERNATIVES)
def test_pvalue_matches_scipy_without_continuity_correction(alternative):
    for x, y in vectors(42):
        ours = mw.mann_whitney_u(x, y, alternative, use_continuity=False)
        ref = scipy_mwu(x, y, alternative, use_continuity=False)
        assert abs(ours.pvalue - float(ref.pvalue)) < 1e-9


def test_pvalue_matches_scipy_on_2x10k_samples():
    rng = random.Random(8)
    x = [rng.gauss(100, 10) for dummy in range(10000)]
    y = [rng.gauss(100.3, 10) for dummy in range(10000)]
    for alternative in ALTERNATIVES:
        assert abs(mw.mann_whitney_u(x, y, alternative).pvalue - float(scipy_mwu(x, y, alternative).pvalue)) < 1e-9


def test_rank_data_matches_scipy():
    rng = random.Random(1)
    values = [rng.randint(0, 20) for dummy in range(500)] + [rng.random() for dummy in range(100)]
    assert mw.rank_data(values) == [float(v) for v in stats.rankdata(values)]


@pytest.mark.parametrize('seed', range(3))
def test_hodges_lehmann_matches_numpy_brute_force(seed):
    rng = random.Random(seed)
    samples = [
        ([rng.gauss(50, 8) for dummy in range(1500)], [rng.gauss(52, 9) for dummy in range(1300)]),
        ([float(rng.randint(0, 40)) for dummy in range(1400)], [float(rng.randint(2, 44)) for dummy in range(1600)]),
    ]
    for x, y in samples:
        diffs = np.sort(np.subtract.outer(np.asarray(x), np.asarray(y)).ravel())
        assert mw.hodges_lehmann(x, y) == float(np.median(diffs))
        for k in (0, len(diffs) // 10, len(diffs) // 2 + 1, len(diffs) - 1):
            assert mw.pairwise_difference_rank(x, y, k) == float(diffs[k])
