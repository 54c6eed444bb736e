# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-metric threshold checks: one measured value against a threshold range.

Outcomes:

* ``pass``         -- a finite value within ``[min, max]`` (bounds inclusive, like Flagger's
                      ``thresholdRange``) while there was traffic;
* ``fail``         -- a finite value outside the range;
* ``inconclusive`` -- no data (empty result / ``None``), NaN, +/-Inf, an unparseable value,
                      or no traffic (the traffic measurement is missing, empty or below
                      ``min_requests``; ``traffic=0`` is the explicit "requests == 0" marker).
                      Missing data is never a pass;
* ``error``        -- the data source failed (Prometheus unreachable, query rejected...).
                      Distinct from inconclusive so the analysis can apply ``error_limit``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.validation import fmt_number

PASS = 'pass'
FAIL = 'fail'
INCONCLUSIVE = 'inconclusive'
ERROR = 'error'
STATUSES = (PASS, FAIL, INCONCLUSIVE, ERROR)

LOWER_IS_BETTER = 'lower_is_better'
HIGHER_IS_BETTER = 'higher_is_better'
EITHER = 'either'
DIRECTIONS = (LOWER_IS_BETTER, HIGHER_IS_BETTER, EITHER)

# "traffic was not measured" (as opposed to traffic=None: "measured, but the query came back empty")
NOT_MEASURED = object()


def normalize_threshold(value, direction, path='threshold', base=None):
    """Return ``{'min': float|None, 'max': float|None}`` for a threshold given as data.

    ``value`` is a dict with ``min`` and/or ``max`` (a ``None`` bound removes it), or a
    bare number meaning the bound on the *bad* side: ``max`` for ``lower_is_better``,
    ``min`` for ``higher_is_better`` (ambiguous, hence rejected, for ``either``).
    ``base`` is the threshold being overridden (per-phase overrides keep the bounds they
    do not mention); ``None`` removes the threshold. Returns ``None`` when no bound is left.
    """
    if value is None:
        return None     # e.g. a phase override ``latency_p95: null``: not checked in that phase
    result = {'min': None, 'max': None}
    if base:
        result.update(base)
    if isinstance(value, bool):
        raise SpecError((path, 'must be a number or a mapping with min and/or max (got %r)' % (value,)))
    if isinstance(value, (int, float)):
        if direction == EITHER:
            raise SpecError((path, "a bare number is ambiguous for direction 'either'; give {min: ..., max: ...}"))
        value = {'max': value} if direction == LOWER_IS_BETTER else {'min': value}
    if not isinstance(value, dict):
        raise SpecError((path, 'must be a number or a mapping with min and/or max (got %s)' % type(value).__name__))
    problems = []
    for key in value:
        if key not in ('min', 'max'):
            problems.append(('%s.%s' % (path, key), 'unknown field (expected one of: max, min)'))
    for key in ('min', 'max'):
        if key not in value:
            continue
        bound = value[key]
        if bound is None:
            result[key] = None
        elif isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
            problems.append(('%s.%s' % (path, key), 'must be a finite number or null (got %r)' % (bound,)))
        else:
            result[key] = float(bound)
    if not problems and result['min'] is not None and result['max'] is not None and result['min'] > result['max']:
        problems.append((path, 'min (%s) is greater than max (%s)' % (fmt_number(result['min']), fmt_number(result['max']))))
    if problems:
        raise SpecError(problems)
    if result['min'] is None and result['max'] is None:
        return None
    return result


def coerce_value(raw):
    """Turn a measurement into ``(float or None, why_not)``.

    Accepts ``None``, numbers and Prometheus' string encoding (``"0.25"``, ``"NaN"``, ``"+Inf"``).
    Returns ``(value, None)`` for a finite value, otherwise ``(None, reason)``.
    """
    if raw is None:
        return None, 'no data'
    if isinstance(raw, bool):
        return None, 'unusable value %r' % (raw,)
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            return None, 'unparseable value %r' % (raw,)
    if not isinstance(raw, (int, float)):
        return None, 'unusable value of type %s' % type(raw).__name__
    value = float(raw)
    if math.isnan(value):
        return None, 'value is NaN (e.g. a ratio over zero requests)'
    if math.isinf(value):
        return None, 'value is %sInf' % ('+' if value > 0 else '-')
    return value, None


def _fmt(value, unit):
    text = fmt_number(value)
    return '%s %s' % (text, unit) if unit else text


def describe_threshold(threshold, unit=''):
    if not threshold:
        return 'no threshold'
    parts = []
    if threshold.get('min') is not None:
        parts.append('>= %s' % _fmt(threshold['min'], unit))
    if threshold.get('max') is not None:
        parts.append('<= %s' % _fmt(threshold['max'], unit))
    return ' and '.join(parts)


def evaluate_check(metric, value=None, threshold=None, traffic=NOT_MEASURED, min_requests=1.0, error=None):
    """Judge one measurement of ``metric`` for this tick.

    ``metric`` is a normalized metric dict (``name``, ``direction``, ``threshold``,
    optionally ``unit`` and ``critical``); ``threshold`` overrides ``metric['threshold']``
    (the phase's effective threshold). ``traffic`` is the request count/rate measured for
    the canary over the same window, ``NOT_MEASURED`` when no traffic query is configured.
    ``error`` is the data-source error message, if the query failed.

    Returns a JSON-able dict: ``name``, ``status``, ``value`` (``None`` unless finite),
    ``raw`` (repr of a non-finite/unusable value), ``threshold``, ``critical``, ``reason``.
    """
    name = metric.get('name', '?')
    unit = metric.get('unit') or ''
    if threshold is None:
        threshold = metric.get('threshold')
    result = {'name': name, 'status': None, 'value': None, 'raw': None, 'threshold': threshold,
              'critical': bool(metric.get('critical', False)), 'reason': ''}

    def done(status, reason):
        result['status'] = status
        result['reason'] = '%s: %s' % (name, reason)
        return result

    if error is not None:
        return done(ERROR, 'query failed: %s' % (error,))
    if not threshold or (threshold.get('min') is None and threshold.get('max') is None):
        return done(INCONCLUSIVE, 'no threshold to check against')
    number, why = coerce_value(value)
    if number is None:
        result['raw'] = None if value is None else str(value)
        return done(INCONCLUSIVE, why)
    result['value'] = number
    if traffic is not NOT_MEASURED:
        requests, why = coerce_value(traffic)
        if requests is None:
            return done(INCONCLUSIVE, 'no traffic (traffic measurement: %s)' % why)
        if requests <= 0 or requests < min_requests:
            return done(INCONCLUSIVE, 'no traffic (%s requests, need at least %s)' % (fmt_number(requests), fmt_number(min_requests)))
    low, high = threshold.get('min'), threshold.get('max')
    shown = _fmt(number, unit)
    if high is not None and number > high:
        return done(FAIL, '%s above max %s' % (shown, _fmt(high, unit)))
    if low is not None and number < low:
        return done(FAIL, '%s below min %s' % (shown, _fmt(low, unit)))
    return done(PASS, '%s within threshold (%s)' % (shown, describe_threshold(threshold, unit)))


def evaluate_checks(spec, phase_index, observations, traffic=NOT_MEASURED):
    """Evaluate every metric that has a threshold in phase ``phase_index`` of a validated ``spec``.

    ``observations`` maps a metric name to its measured value, or to a dict with
    ``value`` and optionally ``error`` and ``traffic`` (per-metric traffic overrides the
    tick-wide ``traffic`` argument). A metric with a threshold but no observation is
    inconclusive ("not measured"). When the spec has a ``traffic`` query, a tick without
    a traffic measurement is inconclusive too.

    Returns the list of check results, in metric order.
    """
    if not isinstance(observations, dict):
        raise SpecError(('observations', 'must be a mapping of metric name to value (got %s)' % type(observations).__name__))
    known = set(m['name'] for m in spec['metrics'])
    unknown = sorted(set(observations) - known)
    if unknown:
        raise SpecError([('observations.%s' % key, 'unknown metric') for key in unknown])
    phase = spec['phases'][phase_index]
    traffic_spec = spec.get('traffic')
    min_requests = traffic_spec['min_requests'] if traffic_spec else 1.0
    results = []
    for metric in spec['metrics']:
        threshold = phase['thresholds'].get(metric['name'])
        if threshold is None:
            continue
        obs = observations.get(metric['name'], NOT_MEASURED)
        metric_traffic = traffic
        error = None
        if isinstance(obs, dict):
            metric_traffic = obs.get('traffic', traffic)
            error = obs.get('error')
            obs = obs.get('value')
        if traffic_spec and metric_traffic is NOT_MEASURED:
            metric_traffic = None  # a traffic query is configured: not measuring it is "no traffic data"
        if obs is NOT_MEASURED and error is None:
            res = evaluate_check(metric, None, threshold)
            res['reason'] = '%s: not measured this tick' % metric['name']
            results.append(res)
            continue
        results.append(evaluate_check(metric, obs, threshold, metric_traffic, min_requests, error))
    return results
