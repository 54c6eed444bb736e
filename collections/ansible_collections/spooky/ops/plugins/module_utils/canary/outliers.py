# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Outlier removal applied to each sample before the judge compares canary and baseline.

* ``iqr`` (default, as Kayenta's NetflixACAJudge): drop values outside
  ``[Q1 - fence * IQR, Q3 + fence * IQR]``. With ``reduce_sensitivity`` (default, again as
  Kayenta) the fences are widened to at least the 1st / 99th percentiles, so a tight sample
  (IQR close to 0) does not lose its tails. Kayenta's factor is 3.0, Tukey's classic 1.5.
* ``mad``: drop values further than ``fence`` scaled MADs (1.4826 * MAD) from the median;
  nothing is dropped when the MAD is 0.
* ``none``: keep everything.

Percentiles use the Apache Commons Math definition Kayenta relies on
(position ``p (n + 1) / 100``, linear interpolation, clamped to the extremes).
Samples smaller than 4 values are returned unchanged.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import StatsError

METHODS = ('iqr', 'mad', 'none')
DEFAULT_METHOD = 'iqr'
DEFAULT_FENCE = 3.0
_MAD_SCALE = 1.4826
_MIN_SIZE = 4


def percentile(sorted_values, p):
    """The ``p``-th percentile (0 < p <= 100) of an ascending list, Commons Math style."""
    n = len(sorted_values)
    if n == 0:
        raise StatsError('percentile of an empty sample')
    pos = p * (n + 1) / 100.0
    if pos < 1:
        return sorted_values[0]
    if pos >= n:
        return sorted_values[-1]
    low = int(math.floor(pos))
    frac = pos - low
    return sorted_values[low - 1] + frac * (sorted_values[low] - sorted_values[low - 1])


def fences(sorted_values, method=DEFAULT_METHOD, fence=DEFAULT_FENCE, reduce_sensitivity=True):
    """``(low, high)`` bounds outside of which values are outliers (``(-inf, inf)`` for none)."""
    if method not in METHODS:
        raise StatsError('outlier method must be one of %s (got %r)' % (', '.join(METHODS), method))
    if fence is None or fence <= 0:
        raise StatsError('outlier fence must be greater than zero (got %r)' % (fence,))
    if method == 'none' or len(sorted_values) < _MIN_SIZE:
        return -math.inf, math.inf
    if method == 'iqr':
        q1 = percentile(sorted_values, 25)
        q3 = percentile(sorted_values, 75)
        low = q1 - fence * (q3 - q1)
        high = q3 + fence * (q3 - q1)
        if reduce_sensitivity:
            low = min(low, percentile(sorted_values, 1))
            high = max(high, percentile(sorted_values, 99))
        return low, high
    n = len(sorted_values)
    median = sorted_values[n // 2] if n % 2 else (sorted_values[n // 2 - 1] + sorted_values[n // 2]) / 2.0
    deviations = sorted(abs(v - median) for v in sorted_values)
    mad = deviations[n // 2] if n % 2 else (deviations[n // 2 - 1] + deviations[n // 2]) / 2.0
    if mad == 0:
        return -math.inf, math.inf
    return median - fence * _MAD_SCALE * mad, median + fence * _MAD_SCALE * mad


def remove_outliers(values, method=DEFAULT_METHOD, fence=DEFAULT_FENCE, reduce_sensitivity=True):
    """Return ``(kept, removed)``: the values inside the fences (original order) and how many were dropped.

    ``values`` must be finite numbers (drop NaN/Inf first).
    """
    data = list(values)
    low, high = fences(sorted(data), method, fence, reduce_sensitivity)
    kept = [v for v in data if low <= v <= high]
    return kept, len(data) - len(kept)
