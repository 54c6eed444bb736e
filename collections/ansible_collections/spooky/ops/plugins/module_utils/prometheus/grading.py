# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A table of thresholds graded on Prometheus in one go: value, status, since when, and a trend.

The same grading as spooky.ops.metric_threshold (thresholds.Threshold: instant value, or the whole
`for` window like an alerting rule), for many checks at once with the queries in parallel, plus a
range query over the trend window (last 24 h by default) that gives the report its sparkline and
the finding its "since": the first sample of the breach that is still going on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.findings import iso
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import (
    PrometheusQueryError,
    finite,
    matrix_samples,
    vector_samples,
)
from ansible_collections.spooky.ops.plugins.module_utils.thresholds import OK, UNKNOWN, Threshold, worst

MAX_POINTS = 11000  # Prometheus refuses a range query with more points per series


def series_label(labels):
    return ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()) if k != "__name__") or "(no labels)"


def _fmt(value):
    return "%g" % value if value is not None else "no value"


def _pick(series, labels):
    """The trend series with the same labels as the graded one, else the first."""
    for item_labels, values in series:
        if item_labels == labels:
            return values
    return series[0][1] if series else []


def breach_start(threshold, points):
    """Timestamp of the first point of the breach still going on at the last point (None when the last is ok)."""
    start = None
    for timestamp, value in reversed(points):
        if threshold.evaluate(value) in (OK, UNKNOWN):
            break
        start = timestamp
    return start


def grade(client, check, now, trend_range=86400.0, trend_points=96, step=15.0):
    """Grade one check (a dict from profiles.host_checks); returns its result dict.

    Raises PrometheusUnavailable (the caller stops everything); a rejected query is a result of its own.
    """
    threshold = Threshold(check["direction"], warning=check.get("warning"), critical=check.get("critical"), name=check["name"])
    window = parse_duration(check["for"]) if check.get("for") else None
    result = dict(name=check["name"], metric=check.get("metric"), platform=check.get("platform"), unit=check.get("unit"),
                  query=check["query"], runbook=check.get("runbook"), severity=check.get("severity"),
                  thresholds=dict(direction=threshold.direction, warning=threshold.warning, critical=threshold.critical),
                  value=None, series=[], trend=[], since=None)
    if window:
        result["for"] = check["for"]
    if check.get("host") is not None:
        result["host"] = check["host"]
    try:
        if window is None:
            data, _warnings = client.instant(check["query"], time=now)
            graded = [(labels, value, threshold.evaluate(value)) for labels, value in vector_samples(data)]
        else:
            window_step = max(float(step), window / MAX_POINTS)
            data, _warnings = client.range(check["query"], now - window, now, window_step)
            graded = [(labels, values[-1] if values else None, threshold.evaluate_window(values))
                      for labels, values in matrix_samples(data)]
        trend_series = []
        if trend_points and trend_points > 1 and trend_range > 0:
            trend_step = max(float(trend_range) / (int(trend_points) - 1), 1.0)
            data, _warnings = client.range(check["query"], now - trend_range, now, trend_step)
            trend_series = _matrix_points(data)
    except PrometheusQueryError as exc:
        result.update(status=UNKNOWN, message="%s is unknown: %s" % (check["name"], exc))
        return result

    graded = [(labels, value if finite(value) else None, status) for labels, value, status in graded]
    result["series"] = [dict(labels=labels, value=value, status=status) for labels, value, status in graded]
    if not graded:
        status = check.get("no_data") or UNKNOWN
        result.update(status=status, message="%s is %s: the query returned no data (%s)" % (check["name"], status, threshold.describe()))
        return result
    status = worst(s for _l, _v, s in graded)
    labels, value, _s = next(item for item in graded if item[2] == status)
    held = " for %s" % check["for"] if window else ""
    message = "%s is %s: %s%s (%s) for %s" % (check["name"], status, _fmt(value), held, threshold.describe(), series_label(labels))
    result.update(status=status, value=value, subject=series_label(labels), message=message)
    points = _pick(trend_series, labels)
    result["trend"] = [[t, v] for t, v in points]
    if status != OK:
        start = breach_start(threshold, points)
        result["since"] = iso(start if start is not None else now)
    return result


def _matrix_points(data):
    """[(labels, [[ts, value or None], ...])] from a range query (NaN and infinities become None)."""
    out = []
    for labels, _values in matrix_samples(data):
        out.append(labels)
    result = []
    for item, labels in zip((data or {}).get("result") or [], out):
        points = []
        for ts, text in item.get("values", []):
            try:
                value = float(text)
            except (TypeError, ValueError):
                value = None
            if value is not None and (math.isnan(value) or math.isinf(value)):
                value = None
            points.append([float(ts), value])
        result.append((labels, points))
    return result


def grade_all(client, checks, now, trend_range=86400.0, trend_points=96, step=15.0, workers=8):
    """Grade every check, `workers` at a time; raises PrometheusUnavailable if Prometheus cannot be asked."""
    if not checks:
        return []
    workers = max(1, min(int(workers), len(checks)))
    if workers == 1:
        return [grade(client, c, now, trend_range, trend_points, step) for c in checks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(grade, client, c, now, trend_range, trend_points, step) for c in checks]
        return [f.result() for f in futures]
