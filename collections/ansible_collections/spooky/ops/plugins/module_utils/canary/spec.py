# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalization of a canary analysis spec (a plain dict from a playbook).

::

    interval: 1m                 # analysis tick; a passing tick credits at most this much phase time
    time_scale: 1.0              # multiply every duration (0.0166 replays minutes as seconds)
    traffic:                     # optional: canary request volume over the tick window
      query: sum(increase(http_requests_total{service="$service",track="$track"}[$interval]))
      min_requests: 1            # fewer requests -> every check is inconclusive
    metrics:
      - name: error_rate
        query: >-
          sum(rate(http_requests_total{service="$service",track="$track",code=~"5.."}[$interval]))
          / sum(rate(http_requests_total{service="$service",track="$track"}[$interval]))
        threshold: {max: 0.001}  # or a bare number: the bound on the bad side
        direction: lower_is_better   # | higher_is_better | either
        weight: 1                # judge score weight
        critical: true           # a judged regression zeroes the score
        interval: 1m             # value of $interval for this metric
        unit: ''                 # for messages
        judge: true              # include in the statistical judge
        effect_size: {allowed_increase: 1.1, allowed_decrease: 0.9}   # overrides judge.effect_size
        min_effect: 0            # absolute shift the judge always tolerates
    limits: {failure_limit: 0, inconclusive_limit: 3, error_limit: 4}
    judge:
      enabled: false
      confidence: 0.98
      effect_size: {allowed_increase: 1.1, allowed_decrease: 0.9}
      outliers: {method: iqr, fence: 3.0, reduce_sensitivity: true}
      pass_score: 95
      marginal_score: 75
      min_samples: 10
      confidence_interval: false
    phases:
      - {weight: 5, duration: 10m, thresholds: {error_rate: 0.001, latency_p95: 100}}
      - {weight: 20, duration: 15m, thresholds: {error_rate: 0.005, latency_p95: 200}}
      - {step: 20, every: 5m, until: 100}

Unknown fields are rejected everywhere (with a "did you mean" hint); every problem is
reported at once, each prefixed with its path (``phases[2].weight: must increase (got 20
after 20)``). The normalized result is a JSON-able dict that the other helpers take as
``spec``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import DIRECTIONS, LOWER_IS_BETTER, normalize_threshold
from ansible_collections.spooky.ops.plugins.module_utils.canary.durations import parse_duration, promql_duration
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.outliers import METHODS as OUTLIER_METHODS
from ansible_collections.spooky.ops.plugins.module_utils.canary.phases import build_phase_plan
from ansible_collections.spooky.ops.plugins.module_utils.canary.promql import template_placeholders
from ansible_collections.spooky.ops.plugins.module_utils.canary.validation import Problems, boolean, choice, join, mapping, number, string

SPEC_FIELDS = ('metrics', 'phases', 'limits', 'judge', 'interval', 'time_scale', 'traffic')
METRIC_FIELDS = ('name', 'query', 'threshold', 'direction', 'weight', 'critical', 'interval', 'unit', 'judge',
                 'effect_size', 'min_effect', 'description')
LIMIT_FIELDS = ('failure_limit', 'inconclusive_limit', 'error_limit')
JUDGE_FIELDS = ('enabled', 'confidence', 'effect_size', 'outliers', 'pass_score', 'marginal_score', 'min_samples',
                'confidence_interval')
EFFECT_FIELDS = ('allowed_increase', 'allowed_decrease')
OUTLIER_FIELDS = ('method', 'fence', 'reduce_sensitivity')
TRAFFIC_FIELDS = ('query', 'min_requests')

# Argo Rollouts: failureLimit 0, consecutiveErrorLimit 4. inconclusive_limit 3 (Argo: 0) so that a
# quiet first minute (no requests yet) holds the rollout for a few ticks instead of aborting it.
DEFAULT_LIMITS = {'failure_limit': 0, 'inconclusive_limit': 3, 'error_limit': 4}
DEFAULT_EFFECT_SIZE = {'allowed_increase': 1.1, 'allowed_decrease': 0.9}
DEFAULT_JUDGE = {
    'enabled': False,
    'confidence': 0.98,            # Kayenta's NetflixACAJudge
    'effect_size': DEFAULT_EFFECT_SIZE,
    'outliers': {'method': 'iqr', 'fence': 3.0, 'reduce_sensitivity': True},   # Kayenta's IQR detector
    'pass_score': 95.0,            # Kayenta / Spinnaker canary stage defaults
    'marginal_score': 75.0,
    'min_samples': 10,
    'confidence_interval': False,
}
DEFAULT_INTERVAL = '1m'

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_.:-]*$')


def _template(raw, key, where, problems):
    """A PromQL template field: a non-empty string whose placeholders are all known."""
    query = string(raw, key, where, problems, default=None)
    if query is not None:
        try:
            template_placeholders(query, join(where, key))
        except SpecError as exc:
            problems.extend(exc)
    return query


def _effect_size(raw, where, problems, default):
    if raw is None:
        return dict(default) if default is not None else None
    if mapping(raw, where, problems, EFFECT_FIELDS) is None:
        return dict(default or DEFAULT_EFFECT_SIZE)
    base = default or DEFAULT_EFFECT_SIZE
    return {
        'allowed_increase': float(number(raw, 'allowed_increase', where, problems, default=base['allowed_increase'], minimum=1.0)),
        'allowed_decrease': float(number(raw, 'allowed_decrease', where, problems, default=base['allowed_decrease'],
                                         minimum=0.0, min_exclusive=True, maximum=1.0)),
    }


def _metric(raw, where, problems, default_interval):
    if mapping(raw, where, problems, METRIC_FIELDS, required=('name', 'query')) is None:
        return None
    name = string(raw, 'name', where, problems, default=None, pattern=_NAME, pattern_hint='letters, digits and _.:-, starting with a letter or _')
    query = _template(raw, 'query', where, problems)
    direction = choice(raw, 'direction', where, problems, DIRECTIONS, LOWER_IS_BETTER)
    threshold = None
    if raw.get('threshold') is not None:
        try:
            threshold = normalize_threshold(raw['threshold'], direction, join(where, 'threshold'))
        except SpecError as exc:
            problems.extend(exc)
    interval = raw.get('interval', default_interval)
    try:
        interval = promql_duration(interval, join(where, 'interval'))
    except SpecError as exc:
        problems.extend(exc)
        interval = default_interval
    return {
        'name': name,
        'query': query,
        'threshold': threshold,
        'direction': direction,
        'weight': float(number(raw, 'weight', where, problems, default=1.0, minimum=0.0, min_exclusive=True)),
        'critical': boolean(raw, 'critical', where, problems, default=False),
        'interval': interval,
        'interval_seconds': parse_duration(interval),
        'unit': _unit(raw, where, problems),
        'judge': boolean(raw, 'judge', where, problems, default=True),
        'effect_size': _effect_size(raw.get('effect_size'), join(where, 'effect_size'), problems, None),
        'min_effect': float(number(raw, 'min_effect', where, problems, default=0.0, minimum=0.0)),
        'description': string(raw, 'description', where, problems, default=''),
    }


def _unit(raw, where, problems):
    unit = raw.get('unit')
    if unit is None:
        return ''
    if not isinstance(unit, str):
        problems.add(join(where, 'unit'), 'must be a string (got %r)' % (unit,))
        return ''
    return unit


def _limits(raw, problems):
    where = 'limits'
    if raw is None:
        return dict(DEFAULT_LIMITS)
    if mapping(raw, where, problems, LIMIT_FIELDS) is None:
        return dict(DEFAULT_LIMITS)
    return dict((key, number(raw, key, where, problems, default=DEFAULT_LIMITS[key], minimum=0, integer=True))
                for key in LIMIT_FIELDS)


def _judge(raw, problems):
    where = 'judge'
    out = copy.deepcopy(DEFAULT_JUDGE)
    if raw is None:
        return out
    if mapping(raw, where, problems, JUDGE_FIELDS) is None:
        return out
    out['enabled'] = boolean(raw, 'enabled', where, problems, default=False)
    out['confidence'] = float(number(raw, 'confidence', where, problems, default=out['confidence'], minimum=0.5, maximum=1.0,
                                     max_exclusive=True))
    out['effect_size'] = _effect_size(raw.get('effect_size'), join(where, 'effect_size'), problems, DEFAULT_EFFECT_SIZE)
    outliers = raw.get('outliers')
    if outliers is not None:
        owhere = join(where, 'outliers')
        if mapping(outliers, owhere, problems, OUTLIER_FIELDS) is not None:
            out['outliers'] = {
                'method': choice(outliers, 'method', owhere, problems, OUTLIER_METHODS, 'iqr'),
                'fence': float(number(outliers, 'fence', owhere, problems, default=3.0, minimum=0.0, min_exclusive=True)),
                'reduce_sensitivity': boolean(outliers, 'reduce_sensitivity', owhere, problems, default=True),
            }
    out['pass_score'] = float(number(raw, 'pass_score', where, problems, default=out['pass_score'], minimum=0, maximum=100))
    out['marginal_score'] = float(number(raw, 'marginal_score', where, problems, default=out['marginal_score'], minimum=0, maximum=100))
    if out['marginal_score'] > out['pass_score']:
        problems.add(join(where, 'marginal_score'), 'must not exceed pass_score (%g > %g)' % (out['marginal_score'], out['pass_score']))
    out['min_samples'] = number(raw, 'min_samples', where, problems, default=out['min_samples'], minimum=3, integer=True)
    out['confidence_interval'] = boolean(raw, 'confidence_interval', where, problems, default=False)
    return out


def _traffic(raw, problems):
    where = 'traffic'
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {'query': raw}
    if mapping(raw, where, problems, TRAFFIC_FIELDS, required=('query',)) is None:
        return None
    return {
        'query': _template(raw, 'query', where, problems),
        'min_requests': float(number(raw, 'min_requests', where, problems, default=1.0, minimum=0.0)),
    }


def validate_spec(spec):
    """Validate a raw analysis spec and return the normalized dict (defaults filled in, phases expanded).

    Raises :class:`SpecError` listing every problem as ``path: message``.
    """
    problems = Problems()
    if mapping(spec, '', problems, SPEC_FIELDS, required=('metrics', 'phases')) is None:
        problems.raise_if_any()
    interval = spec.get('interval', DEFAULT_INTERVAL)
    try:
        interval = promql_duration(interval, 'interval')
    except SpecError as exc:
        problems.extend(exc)
        interval = DEFAULT_INTERVAL
    time_scale = float(number(spec, 'time_scale', '', problems, default=1.0, minimum=0.0, min_exclusive=True) or 1.0)

    metrics = []
    raw_metrics = spec.get('metrics')
    if not isinstance(raw_metrics, list) or not raw_metrics:
        if 'metrics' in spec:
            problems.add('metrics', 'must be a non-empty list of metrics')
    else:
        seen = {}
        for index, raw in enumerate(raw_metrics):
            where = join('metrics', index)
            metric = _metric(raw, where, problems, interval)
            if metric is None:
                continue
            if metric['name'] in seen:
                problems.add(join(where, 'name'), 'duplicate metric name %r (also %s)' % (metric['name'], seen[metric['name']]))
            elif metric['name']:
                seen[metric['name']] = where
            metrics.append(metric)

    judge = _judge(spec.get('judge'), problems)
    if judge['enabled'] and metrics and not any(m['judge'] for m in metrics):
        problems.add('judge.enabled', 'the judge is enabled but every metric has judge: false')
    out = {
        'interval': interval,
        'interval_seconds': parse_duration(interval),
        'time_scale': time_scale,
        'traffic': _traffic(spec.get('traffic'), problems),
        'metrics': metrics,
        'limits': _limits(spec.get('limits'), problems),
        'judge': judge,
        'phases': [],
    }
    if 'phases' in spec and not problems.items:
        try:
            out['phases'] = build_phase_plan(spec['phases'], metrics, 'phases', judge_enabled=judge['enabled'])
        except SpecError as exc:
            problems.extend(exc)
    elif 'phases' in spec:
        # still report phase problems, against whatever metrics validated
        try:
            build_phase_plan(spec['phases'], [m for m in metrics if m['name']], 'phases', judge_enabled=True)
        except SpecError as exc:
            problems.extend(exc)
    problems.raise_if_any()
    return out


def metric_by_name(spec, name):
    """The normalized metric called ``name`` (``KeyError`` if unknown)."""
    for metric in spec['metrics']:
        if metric['name'] == name:
            return metric
    raise KeyError(name)
