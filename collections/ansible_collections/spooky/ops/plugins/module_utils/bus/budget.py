# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Burn rate of spend counters against a daily budget, and queue saturation from depth and lag."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DAY = 86400.0


def burn_rate(samples, daily_budget):
    """Spend rate from monotonic spend counters (dicts with ts and total, in currency units).

    Counter resets (a total lower than the one before) start over from the new value, as Prometheus'
    increase() does. Returns dict(spent, seconds, per_day, burn_rate (per_day / daily_budget), exhausted).
    """
    if daily_budget <= 0:
        raise ValueError("daily_budget must be positive, got %r" % (daily_budget,))
    points = sorted(((float(s["ts"]), float(s["total"])) for s in samples), key=lambda p: p[0])
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return dict(spent=0.0, seconds=0.0, per_day=None, burn_rate=None, exhausted=False)
    spent = 0.0
    for (_t0, a), (_t1, b) in zip(points, points[1:]):
        spent += b - a if b >= a else b
    seconds = points[-1][0] - points[0][0]
    per_day = spent * DAY / seconds
    rate = per_day / daily_budget
    return dict(spent=spent, seconds=seconds, per_day=per_day, burn_rate=rate, exhausted=rate > 1.0)


def queue_saturation(depth_ratios, lags, depth_threshold=0.8, min_lag_rise=0.0):
    """Saturated when the latest depth ratio is above the threshold and the cursor lag rises.

    `depth_ratios` and `lags` are oldest-first samples; the lag rises when its last sample is above its
    first by more than `min_lag_rise` seconds and it never fell back in between by more than that.
    """
    if not 0 < depth_threshold <= 1:
        raise ValueError("depth_threshold must be within (0, 1], got %r" % (depth_threshold,))
    depth = depth_ratios[-1] if depth_ratios else None
    rising = len(lags) >= 2 and lags[-1] - lags[0] > min_lag_rise
    full = depth is not None and depth > depth_threshold
    return dict(depth_ratio=depth, lag_seconds=lags[-1] if lags else None, lag_rising=rising,
                saturated=bool(full and rising), over_depth=bool(full))
