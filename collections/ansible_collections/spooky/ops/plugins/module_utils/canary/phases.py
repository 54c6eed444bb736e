# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout phase plan: explicit phases, step ramps, per-phase thresholds.

A phase is either explicit::

    {weight: 5, duration: 10m, thresholds: {error_rate: {max: 0.001}, latency_p95: 100}}

or a ramp that expands into explicit phases, starting after the previous phase's weight
(0 when it comes first)::

    {step: 20, every: 5m, until: 100}     # after a 20% phase: 40, 60, 80, 100 -- 5 min each

(the last step is clipped to ``until``: 30 -> step 20 -> until 100 gives 50, 70, 90, 100).

Weights (percent of traffic on the canary, 0-100) must strictly increase. A phase's
``thresholds`` override the metric defaults key by key: ``{max: 0.005}`` keeps the
default ``min``; ``{max: null}`` removes the bound, ``null`` the whole check; a bare number sets the bound on the
metric's bad side (``max`` when lower is better). Overrides are *not* inherited by the
following phases -- each phase states its own deviations from the metric defaults; a
ramp's thresholds apply to every phase it expands to.

Every phase must check something -- at least one metric with a threshold, or the judge --
otherwise a phase could be passed without looking at any data.

After the last phase the analysis promotes (traffic goes to 100% on the new version),
whether or not the last phase itself ran at 100%.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import describe_threshold, normalize_threshold
from ansible_collections.spooky.ops.plugins.module_utils.canary.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.validation import Problems, fmt_number, join, mapping, number, string

PHASE_FIELDS = ('name', 'weight', 'duration', 'thresholds')
STEP_FIELDS = ('name', 'step', 'every', 'until', 'thresholds')
MAX_PHASES = 1000


def _clean(value):
    """Integral floats become ints so weights render as ``20`` rather than ``20.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _overrides(raw, metrics_by_name, path, problems):
    """Validate a phase's ``thresholds`` mapping; return ``{metric: raw override}``."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(path, 'must be a mapping of metric name to threshold (got %s)' % type(raw).__name__)
        return {}
    out = {}
    for name, value in raw.items():
        metric = metrics_by_name.get(name)
        if metric is None:
            problems.add(join(path, name), 'unknown metric (defined: %s)' % (', '.join(sorted(metrics_by_name)) or 'none'))
            continue
        try:
            normalize_threshold(value, metric['direction'], join(path, name), base=metric.get('threshold'))
        except SpecError as exc:
            problems.extend(exc)
            continue
        out[name] = value
    return out


def _effective(metrics, overrides, path):
    thresholds = {}
    for metric in metrics:
        if metric['name'] in overrides:
            value = normalize_threshold(overrides[metric['name']], metric['direction'], join(path, metric['name']),
                                        base=metric.get('threshold'))
        else:
            value = metric.get('threshold')
        if value is not None:
            thresholds[metric['name']] = dict(value)
    return thresholds


def build_phase_plan(raw_phases, metrics, path='phases', judge_enabled=False):
    """Validate ``raw_phases`` against normalized ``metrics`` and return the explicit plan.

    Each phase of the plan is a dict: ``index``, ``name``, ``weight``, ``duration``
    (seconds, before time scaling), ``thresholds`` (effective ``{metric: {min, max}}`` for
    every metric checked in that phase) and ``source`` (the spec path it came from).
    Raises :class:`SpecError` listing every problem.
    """
    problems = Problems()
    if not isinstance(raw_phases, list) or not raw_phases:
        raise SpecError((path, 'must be a non-empty list of phases'))
    by_name = dict((m['name'], m) for m in metrics)
    plan = []
    names = {}
    previous = None     # weight of the previous phase
    for index, raw in enumerate(raw_phases):
        where = join(path, index)
        if not isinstance(raw, dict):
            problems.add(where, 'must be a mapping (got %s)' % type(raw).__name__)
            continue
        if 'step' in raw and 'weight' in raw:
            problems.add(where, "give either 'weight' (one phase) or 'step' (a ramp), not both")
            continue
        is_ramp = 'step' in raw
        if is_ramp:
            mapping(raw, where, problems, STEP_FIELDS, required=('step', 'every'))
        else:
            mapping(raw, where, problems, PHASE_FIELDS, required=('weight', 'duration'))
        name = string(raw, 'name', where, problems, default=None)
        overrides = _overrides(raw.get('thresholds'), by_name, join(where, 'thresholds'), problems)
        if is_ramp:
            step = number(raw, 'step', where, problems, minimum=0, min_exclusive=True, maximum=100)
            until = number(raw, 'until', where, problems, default=100, minimum=0, maximum=100)
            every = _duration(raw, 'every', where, problems)
            start = previous if previous is not None else 0
            if step is None or until is None or not 0 < step <= 100 or not 0 <= until <= 100:
                continue    # already reported
            if until <= start:
                problems.add(join(where, 'until'), 'must be greater than the previous phase weight (got %s after %s)'
                             % (fmt_number(until), fmt_number(start)))
                continue
            if (until - start) / step > MAX_PHASES:
                problems.add(join(where, 'step'), 'expands to more than %d phases' % MAX_PHASES)
                continue
            weight = start
            while weight < until:
                weight = min(weight + step, until)
                plan.append({'name': '%s-%s' % (name or 'step', fmt_number(weight)), 'weight': _clean(weight),
                             'duration': every, 'overrides': overrides, 'source': where})
            previous = until
        else:
            weight = number(raw, 'weight', where, problems, minimum=0, maximum=100)
            duration = _duration(raw, 'duration', where, problems)
            if weight is None:
                continue
            if previous is not None and not weight > previous:
                problems.add(join(where, 'weight'), 'must increase (got %s after %s)' % (fmt_number(weight), fmt_number(previous)))
            plan.append({'name': name or 'phase-%s' % fmt_number(weight), 'weight': _clean(weight),
                         'duration': duration, 'overrides': overrides, 'source': where})
            if weight > (previous if previous is not None else -1):
                previous = weight
        if name is not None:
            if name in names:
                problems.add(join(where, 'name'), 'duplicate phase name %r (also %s)' % (name, names[name]))
            names[name] = where
    if len(plan) > MAX_PHASES:
        problems.add(path, 'more than %d phases' % MAX_PHASES)
    problems.raise_if_any()
    out = []
    for index, phase in enumerate(plan):
        thresholds = _effective(metrics, phase.pop('overrides'), join(phase['source'], 'thresholds'))
        if not thresholds and not judge_enabled:
            problems.add(phase['source'], 'phase %r checks nothing: give a metric a threshold or enable the judge' % phase['name'])
        phase['index'] = index
        phase['thresholds'] = thresholds
        out.append(phase)
    problems.raise_if_any()
    return out


def _duration(raw, key, where, problems):
    if key not in raw:
        return 0.0
    try:
        return parse_duration(raw[key], join(where, key))
    except SpecError as exc:
        problems.extend(exc)
        return 0.0


def scaled_duration(phase, time_scale):
    """A phase's duration in (lab) seconds: its nominal duration times ``time_scale``."""
    return phase['duration'] * time_scale


def describe_plan(plan):
    """One human line per phase, e.g. ``"phase-5: 5% for 600s (error_rate <= 0.001)"``."""
    lines = []
    for phase in plan:
        checks = ', '.join('%s %s' % (name, describe_threshold(th)) for name, th in sorted(phase['thresholds'].items()))
        lines.append('%s: %s%% for %ss%s' % (
            phase['name'], fmt_number(phase['weight']), fmt_number(phase['duration']), ' (%s)' % checks if checks else ''))
    return lines
