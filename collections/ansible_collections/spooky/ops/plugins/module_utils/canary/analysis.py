# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-tick verdict of a progressive rollout: promote / continue / hold / rollback.

One *tick* = the threshold checks of every metric the current phase checks, plus the
judge's result when there is one. The tick's outcome is, in this order of precedence:

* ``fail``         -- a check failed, or the judge classified the canary ``fail``;
* ``error``        -- a query failed (data source down) or the judge could not fetch samples;
* ``inconclusive`` -- a check had no data / NaN / no traffic / was not measured, the judge
                      said ``nodata`` or ``marginal``, or the judge is enabled but no result
                      was given;
* ``pass``         -- everything checked passed (at least one thing was checked).

Verdicts and limits (Argo Rollouts semantics: a limit N tolerates N, the N+1-th rolls back):

* ``pass``: ``continue``. The phase accumulates *healthy time*: the time since the previous
  tick, capped at one analysis interval (``interval * time_scale``), so a stalled playbook
  cannot earn a phase with one sample. When the healthy time reaches the phase duration
  (``duration * time_scale``) the analysis advances to the next phase (verdict still
  ``continue``, ``advanced: true``, ``weight`` = the new phase's weight); after the last
  phase it ``promote``s. Non-passing ticks add no healthy time.
* ``fail``: failures are counted over the whole rollout (like an Argo background analysis;
  they are not reset by passing ticks); ``hold`` while ``failures <= failure_limit``,
  ``rollback`` beyond. So ``failure_limit: 0`` rolls back on the first failure, and N+1
  consecutive failures always roll back. A failed threshold check of a ``critical`` metric
  rolls back at once, whatever the limit (the judge handles its critical metrics itself:
  their failure zeroes its score, which is a failure like any other).
* ``inconclusive``: ``hold``; ``rollback`` once ``consecutive_inconclusive > inconclusive_limit``.
* ``error``: ``hold``; ``rollback`` once ``consecutive_errors > error_limit``.

Each consecutive counter is reset by a tick with a different outcome. Only passing ticks
advance or promote, so a run of ticks without passing data can never promote.

The state is a plain JSON-able dict: a playbook can register it and pass it back on the
next tick. Once ``promoted`` or ``rolled_back`` the verdict sticks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import ERROR, FAIL, INCONCLUSIVE, NOT_MEASURED, PASS, STATUSES
from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import evaluate_checks
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.judge import judge as run_judge
from ansible_collections.spooky.ops.plugins.module_utils.canary.phases import scaled_duration
from ansible_collections.spooky.ops.plugins.module_utils.canary.validation import fmt_number

PROMOTE = 'promote'
CONTINUE = 'continue'
HOLD = 'hold'
ROLLBACK = 'rollback'
VERDICTS = (PROMOTE, CONTINUE, HOLD, ROLLBACK)

RUNNING = 'running'
PROMOTED = 'promoted'
ROLLED_BACK = 'rolled_back'

STATE_VERSION = 1
_JUDGE_OUTCOME = {'pass': PASS, 'fail': FAIL, 'error': ERROR, 'marginal': INCONCLUSIVE, 'nodata': INCONCLUSIVE}
_EPSILON = 1e-9

_INT_FIELDS = ('phase_index', 'phase_ticks', 'phase_passing_ticks', 'ticks', 'failures', 'consecutive_failures',
               'consecutive_inconclusive', 'consecutive_errors', 'phase_count')
_FLOAT_FIELDS = ('started_at', 'phase_started_at', 'last_tick_at', 'phase_healthy_seconds')


def _now(now):
    return time.time() if now is None else float(now)


def initial_state(spec, now=None):
    """The state before the first tick: first phase, all counters at zero."""
    now = _now(now)
    first = spec['phases'][0]
    return {
        'version': STATE_VERSION,
        'status': RUNNING,
        'phase_index': 0,
        'phase_name': first['name'],
        'phase_count': len(spec['phases']),
        'weight': first['weight'],
        'started_at': now,
        'phase_started_at': now,
        'last_tick_at': now,
        'phase_ticks': 0,
        'phase_passing_ticks': 0,
        'phase_healthy_seconds': 0.0,
        'ticks': 0,
        'failures': 0,
        'consecutive_failures': 0,
        'consecutive_inconclusive': 0,
        'consecutive_errors': 0,
        'metric_failures': {},
        'last_outcome': None,
        'last_verdict': None,
    }


def check_state(spec, state):
    """Validate a state dict carried by a playbook; return a copy. Raises :class:`SpecError`."""
    if not isinstance(state, dict):
        raise SpecError(('state', 'must be a mapping (got %s)' % type(state).__name__))
    problems = []
    expected = initial_state(spec, 0)
    for key in expected:
        if key not in state:
            problems.append(('state.%s' % key, 'is missing'))
    for key in state:
        if key not in expected:
            problems.append(('state.%s' % key, 'unknown field'))
    if problems:
        raise SpecError(problems)
    for key in _INT_FIELDS:
        if isinstance(state[key], bool) or not isinstance(state[key], int) or state[key] < 0:
            problems.append(('state.%s' % key, 'must be a non-negative integer (got %r)' % (state[key],)))
    for key in _FLOAT_FIELDS:
        if isinstance(state[key], bool) or not isinstance(state[key], (int, float)):
            problems.append(('state.%s' % key, 'must be a number (got %r)' % (state[key],)))
    if state['version'] != STATE_VERSION:
        problems.append(('state.version', 'unsupported state version %r (expected %d)' % (state['version'], STATE_VERSION)))
    if state['status'] not in (RUNNING, PROMOTED, ROLLED_BACK):
        problems.append(('state.status', 'must be one of running, promoted, rolled_back (got %r)' % (state['status'],)))
    if not isinstance(state['metric_failures'], dict):
        problems.append(('state.metric_failures', 'must be a mapping'))
    if problems:
        raise SpecError(problems)
    phases = spec['phases']
    if state['phase_count'] != len(phases) or state['phase_index'] >= len(phases) \
            or phases[state['phase_index']]['name'] != state['phase_name']:
        raise SpecError(('state.phase_index', 'the state (phase %r, %d of %d) does not belong to this spec (%d phases)'
                         % (state['phase_name'], state['phase_index'] + 1, state['phase_count'], len(phases))))
    out = dict(state)
    out['metric_failures'] = dict(state['metric_failures'])
    return out


def _checks_by_name(spec, checks):
    if checks is None:
        return {}
    if isinstance(checks, dict):
        items = []
        for name, check in checks.items():
            if isinstance(check, dict) and 'name' not in check:
                check = dict(check, name=name)
            items.append(check)
    elif isinstance(checks, list):
        items = checks
    else:
        raise SpecError(('checks', 'must be a list of check results or a mapping by metric name (got %s)' % type(checks).__name__))
    known = set(m['name'] for m in spec['metrics'])
    out = {}
    problems = []
    for index, check in enumerate(items):
        where = 'checks[%d]' % index
        if not isinstance(check, dict) or check.get('status') not in STATUSES:
            problems.append((where, 'must be a check result with a status among %s' % ', '.join(STATUSES)))
        elif check.get('name') not in known:
            problems.append((where, 'unknown metric %r' % (check.get('name'),)))
        elif check['name'] in out:
            problems.append((where, 'duplicate result for metric %r' % (check['name'],)))
        else:
            out[check['name']] = check
    if problems:
        raise SpecError(problems)
    return out


def classify_tick(spec, phase, checks, judge=None):
    """Outcome of one tick in ``phase``: ``(outcome, items)``.

    ``items`` is one ``{'name', 'status', 'reason', 'critical'}`` per metric the phase checks
    (plus ``{'name': 'judge', 'status', 'reason'}`` when relevant), in spec order.
    """
    by_name = _checks_by_name(spec, checks)
    items = []
    for metric in spec['metrics']:
        name = metric['name']
        if name not in phase['thresholds']:
            continue
        check = by_name.get(name)
        if check is None:
            items.append({'name': name, 'status': INCONCLUSIVE, 'reason': '%s: not measured this tick' % name})
        else:
            items.append({'name': name, 'status': check['status'], 'reason': check.get('reason') or '%s: %s' % (name, check['status'])})
        items[-1]['critical'] = bool(metric.get('critical'))
    if judge is not None:
        if not isinstance(judge, dict) or judge.get('classification') not in _JUDGE_OUTCOME:
            raise SpecError(('judge', 'must be a judge result with a classification among %s' % ', '.join(sorted(_JUDGE_OUTCOME))))
        items.append({'name': 'judge', 'status': _JUDGE_OUTCOME[judge['classification']],
                      'reason': 'judge: %s' % (judge.get('reason') or judge['classification'])})
    elif spec['judge']['enabled']:
        items.append({'name': 'judge', 'status': INCONCLUSIVE, 'reason': 'judge: enabled but no result this tick'})
    statuses = set(item['status'] for item in items)
    if not items:
        outcome = INCONCLUSIVE
    elif FAIL in statuses:
        outcome = FAIL
    elif ERROR in statuses:
        outcome = ERROR
    elif INCONCLUSIVE in statuses:
        outcome = INCONCLUSIVE
    else:
        outcome = PASS
    return outcome, items


def _phase_label(phase):
    return '%s (%s%%)' % (phase['name'], fmt_number(phase['weight']))


def next_verdict(spec, state, checks, judge=None, now=None):
    """Decide this tick. Returns a JSON-able dict.

    ``spec``: validated spec; ``state``: the previous state (``None`` for the first tick);
    ``checks``: this tick's threshold check results (list, or mapping by metric name) for
    the current phase; ``judge``: the judge's result dict or ``None``; ``now``: seconds
    (``time.time()`` when omitted -- pass it explicitly to replay or test).

    Result keys: ``verdict`` (promote/continue/hold/rollback), ``reason``, ``outcome``
    (pass/fail/inconclusive/error), ``metrics`` (reason per checked metric and the judge),
    ``phase`` (name of the phase the traffic should be at now), ``weight`` (canary traffic
    percent to apply now: the phase weight, 100 on promote, 0 on rollback), ``advanced``
    (a new phase starts), ``phase_elapsed`` (wall seconds since the current phase started,
    before this tick) and ``state`` (to carry to the next tick).
    """
    now = _now(now)
    state = initial_state(spec, now) if state is None else check_state(spec, state)
    phases = spec['phases']
    phase = phases[state['phase_index']]
    result = {'verdict': None, 'reason': '', 'outcome': None, 'metrics': [], 'phase': phase['name'],
              'weight': state['weight'], 'advanced': False, 'phase_elapsed': max(0.0, now - state['phase_started_at']),
              'state': state}
    if state['status'] == PROMOTED:
        result.update(verdict=PROMOTE, weight=100, reason='already promoted')
        return result
    if state['status'] == ROLLED_BACK:
        result.update(verdict=ROLLBACK, weight=0, reason='already rolled back')
        return result

    outcome, items = classify_tick(spec, phase, checks, judge)
    result['outcome'], result['metrics'] = outcome, items
    limits = spec['limits']
    delta = max(0.0, now - state['last_tick_at'])
    state['last_tick_at'] = now
    state['ticks'] += 1
    state['phase_ticks'] += 1
    state['last_outcome'] = outcome
    bad = '; '.join(item['reason'] for item in items if item['status'] == outcome)
    where = _phase_label(phase)

    if outcome == PASS:
        state['consecutive_failures'] = state['consecutive_inconclusive'] = state['consecutive_errors'] = 0
        state['phase_passing_ticks'] += 1
        state['phase_healthy_seconds'] += min(delta, spec['interval_seconds'] * spec['time_scale'])
        needed = scaled_duration(phase, spec['time_scale'])
        healthy = state['phase_healthy_seconds']
        if healthy + _EPSILON < needed:
            verdict = CONTINUE
            reason = '%s: %d check(s) passed; healthy %ss of %ss' % (
                where, len(items), fmt_number(round(healthy, 3)), fmt_number(round(needed, 3)))
        elif state['phase_index'] + 1 >= len(phases):
            verdict = PROMOTE
            state['status'] = PROMOTED
            state['weight'] = 100
            reason = 'last phase %s complete (healthy %ss); promoting' % (where, fmt_number(round(healthy, 3)))
        else:
            verdict = CONTINUE
            nxt = phases[state['phase_index'] + 1]
            reason = '%s complete (healthy %ss); advancing to %s' % (where, fmt_number(round(healthy, 3)), _phase_label(nxt))
            state.update(phase_index=nxt['index'], phase_name=nxt['name'], weight=nxt['weight'], phase_started_at=now,
                         phase_ticks=0, phase_passing_ticks=0, phase_healthy_seconds=0.0)
            result.update(advanced=True, phase=nxt['name'])
    elif outcome == FAIL:
        state['failures'] += 1
        state['consecutive_failures'] += 1
        state['consecutive_inconclusive'] = state['consecutive_errors'] = 0
        for item in items:
            if item['status'] == FAIL:
                state['metric_failures'][item['name']] = state['metric_failures'].get(item['name'], 0) + 1
        critical = [item['name'] for item in items if item['status'] == FAIL and item.get('critical')]
        if critical:
            verdict = ROLLBACK
            reason = 'critical metric %s failed at %s: %s' % (', '.join(critical), where, bad)
        elif state['failures'] > limits['failure_limit']:
            verdict = ROLLBACK
            reason = 'failures %d > failure_limit %d at %s: %s' % (state['failures'], limits['failure_limit'], where, bad)
        else:
            verdict = HOLD
            reason = 'failure %d of %d tolerated at %s: %s' % (state['failures'], limits['failure_limit'], where, bad)
    elif outcome == ERROR:
        state['consecutive_errors'] += 1
        state['consecutive_failures'] = state['consecutive_inconclusive'] = 0
        if state['consecutive_errors'] > limits['error_limit']:
            verdict = ROLLBACK
            reason = 'consecutive errors %d > error_limit %d at %s: %s' % (state['consecutive_errors'], limits['error_limit'], where, bad)
        else:
            verdict = HOLD
            reason = 'error %d of %d tolerated at %s: %s' % (state['consecutive_errors'], limits['error_limit'], where, bad)
    else:
        state['consecutive_inconclusive'] += 1
        state['consecutive_failures'] = state['consecutive_errors'] = 0
        if state['consecutive_inconclusive'] > limits['inconclusive_limit']:
            verdict = ROLLBACK
            reason = 'consecutive inconclusive ticks %d > inconclusive_limit %d at %s: %s' % (
                state['consecutive_inconclusive'], limits['inconclusive_limit'], where, bad or 'nothing checked')
        else:
            verdict = HOLD
            reason = 'inconclusive %d of %d tolerated at %s: %s' % (
                state['consecutive_inconclusive'], limits['inconclusive_limit'], where, bad or 'nothing checked')

    if verdict == ROLLBACK:
        state['status'] = ROLLED_BACK
        state['weight'] = 0
    state['last_verdict'] = verdict
    result.update(verdict=verdict, reason=reason, weight=state['weight'])
    return result


def evaluate_tick(spec, state, observations, samples=None, traffic=NOT_MEASURED, now=None):
    """Convenience for a module: checks + (optional) judge + verdict in one call.

    ``observations`` as for :func:`checks.evaluate_checks` (for the *current* phase),
    ``samples`` as for :func:`judge.judge` (``None`` skips the judge). The result of
    :func:`next_verdict` gains ``checks`` and ``judge`` (the detailed results).
    """
    now = _now(now)
    current = initial_state(spec, now) if state is None else check_state(spec, state)
    checks = []
    judged = None
    if current['status'] == RUNNING:
        checks = evaluate_checks(spec, current['phase_index'], observations, traffic)
        judged = run_judge(spec, samples) if samples is not None else None
    result = next_verdict(spec, current, checks, judged, now)
    result['checks'] = checks
    result['judge'] = judged
    return result
