# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the pure-Python canary judge statistics against scipy.stats.mannwhitneyu.

Run from the repository root::

    python bench/canary_judge_bench.py [--size 10000] [--repeat 7]

For a few pairs of 2 x ``size`` samples it prints the best-of-``repeat`` wall time of

* scipy   -- ``scipy.stats.mannwhitneyu(x, y, method='asymptotic', use_continuity=True)`` on numpy arrays;
* MWU     -- our Mann-Whitney U test alone (``mann_whitney.mann_whitney_u``);
* MWU+HL  -- our test plus the exact Hodges-Lehmann shift (``mann_whitney.compare_samples``);
* judge   -- the whole per-metric judge (NaN filtering, IQR outlier removal, MWU, HL, classification);

the ratios to scipy, and the largest absolute difference between our p-values and scipy's
over every pair and alternative. There are no timing assertions: timings depend on the machine.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import os
import platform
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'collections'))

from ansible_collections.spooky.ops.plugins.module_utils.canary.judge import judge_metric  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.mann_whitney import compare_samples, mann_whitney_u  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import DEFAULT_JUDGE  # noqa: E402

ALTERNATIVES = ('two-sided', 'less', 'greater')


def sample_pairs(size, seed=20240601):
    rng = random.Random(seed)
    yield 'normal, no shift', [rng.gauss(100, 10) for dummy in range(size)], [rng.gauss(100, 10) for dummy in range(size)]
    yield 'normal, +3% shift', [rng.gauss(103, 10) for dummy in range(size)], [rng.gauss(100, 10) for dummy in range(size)]
    yield 'lognormal latency', [rng.lognormvariate(4.1, 0.4) for dummy in range(size)], [rng.lognormvariate(4.0, 0.4) for dummy in range(size)]
    yield 'integer ms (ties)', [float(rng.randint(40, 80)) for dummy in range(size)], [float(rng.randint(40, 78)) for dummy in range(size)]


def best_of(repeat, func, *args, **kwargs):
    best = None
    for dummy in range(repeat):
        start = time.perf_counter()
        func(*args, **kwargs)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=10000, help='samples per side (default 10000)')
    parser.add_argument('--repeat', type=int, default=7, help='timing runs per measurement, best kept (default 7)')
    args = parser.parse_args()

    try:
        import numpy as np
        import scipy
        from scipy.stats import mannwhitneyu
    except ImportError:
        np = scipy = mannwhitneyu = None

    metric = {'name': 'latency_p95', 'direction': 'lower_is_better', 'unit': 'ms', 'critical': False, 'weight': 1.0,
              'effect_size': None, 'min_effect': 0.0}
    print('canary judge bench: 2 x %d samples, best of %d runs, Python %s, %s' % (
        args.size, args.repeat, platform.python_version(),
        'scipy %s / numpy %s' % (scipy.__version__, np.__version__) if scipy else 'scipy not installed'))
    print('%-20s %10s %10s %7s %10s %7s %10s %7s  %s' % (
        'pair', 'scipy', 'MWU', 'ratio', 'MWU+HL', 'ratio', 'judge', 'ratio', 'HL shift / p (two-sided) / judge'))
    max_diff = 0.0
    compared = 0
    totals = [0.0, 0.0, 0.0, 0.0]
    worst = 0.0
    for label, x, y in sample_pairs(args.size):
        t_mwu = best_of(args.repeat, mann_whitney_u, x, y)
        t_both = best_of(args.repeat, compare_samples, x, y)
        t_judge = best_of(args.repeat, judge_metric, metric, x, y, DEFAULT_JUDGE)
        both = compare_samples(x, y)
        verdict = judge_metric(metric, x, y, DEFAULT_JUDGE)['classification']
        if mannwhitneyu is not None:
            xa, ya = np.asarray(x), np.asarray(y)
            t_scipy = best_of(args.repeat, mannwhitneyu, xa, ya, alternative='two-sided', method='asymptotic', use_continuity=True)
            for alternative in ALTERNATIVES:
                ref = float(mannwhitneyu(xa, ya, alternative=alternative, method='asymptotic', use_continuity=True).pvalue)
                max_diff = max(max_diff, abs(mann_whitney_u(x, y, alternative).pvalue - ref))
                compared += 1
            ratios = tuple('%6.1fx' % (t / t_scipy) for t in (t_mwu, t_both, t_judge))
            worst = max(worst, t_mwu / t_scipy)
            scipy_ms = '%7.2f ms' % (t_scipy * 1e3)
        else:
            t_scipy = 0.0
            ratios = ('      -',) * 3
            scipy_ms = '         -'
        for index, value in enumerate((t_scipy, t_mwu, t_both, t_judge)):
            totals[index] += value
        print('%-20s %10s %7.2f ms %7s %7.2f ms %7s %7.2f ms %7s  %+.4g / %.3g / %s' % (
            label, scipy_ms, t_mwu * 1e3, ratios[0], t_both * 1e3, ratios[1], t_judge * 1e3, ratios[2],
            both.shift, both.test.pvalue, verdict))
    if mannwhitneyu is not None:
        print('%-20s %7.2f ms %7.2f ms %6.1fx %7.2f ms %6.1fx %7.2f ms %6.1fx' % (
            'total', totals[0] * 1e3, totals[1] * 1e3, totals[1] / totals[0], totals[2] * 1e3, totals[2] / totals[0],
            totals[3] * 1e3, totals[3] / totals[0]))
        print('p-values agree with scipy: max |p_ours - p_scipy| = %.3g over %d comparisons (%d pairs x %d alternatives)' % (
            max_diff, compared, compared // len(ALTERNATIVES), len(ALTERNATIVES)))
        ratio = totals[1] / totals[0]
        print('goal (issue 3) <= 2x scipy.stats.mannwhitneyu for the same test (MWU): %.2fx, worst pair %.2fx: %s' % (
            ratio, worst, 'MET' if ratio <= 2.0 else 'NOT MET'))
        print('the judge adds what scipy does not compute (exact Hodges-Lehmann shift, IQR outliers): %.1fx scipy, %.1f ms per metric' % (
            totals[3] / totals[0], totals[3] * 1e3 / (compared // len(ALTERNATIVES))))
    else:
        print('scipy is not installed: only our timings are shown (pip install scipy numpy to compare)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
