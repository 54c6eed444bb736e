# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests of the per-tick verdict (hypothesis)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.spooky.ops.plugins.module_utils.canary import analysis as A  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec  # noqa: E402

METRICS = ('error_rate', 'latency_p95')
NOT_PASS = ('fail', 'inconclusive', 'error', 'missing')
JUDGE_NOT_PASS = ('nodata', 'marginal', 'fail', 'error')


def build_spec(failure_limit, inconclusive_limit, error_limit, judge_enabled, durations, time_scale, critical):
    phases = [{'weight': w, 'duration': d} for w, d in zip((10, 40, 100), durations)]
    return validate_spec({
        'interval': '30s',
        'time_scale': time_scale,
        'metrics': [{'name': name, 'query': 'm{track="$track"}', 'threshold': 1, 'critical': name == critical} for name in METRICS],
        'limits': {'failure_limit': failure_limit, 'inconclusive_limit': inconclusive_limit, 'error_limit': error_limit},
        'judge': {'enabled': judge_enabled},
        'phases': phases,
    })


specs = st.builds(
    build_spec,
    failure_limit=st.integers(0, 4), inconclusive_limit=st.integers(0, 4), error_limit=st.integers(0, 4),
    judge_enabled=st.booleans(),
    durations=st.lists(st.sampled_from([0, 30, 60, 300, '1m', '2m30s']), min_size=3, max_size=3),
    time_scale=st.sampled_from([1.0, 0.1, 1.0 / 60]),
    critical=st.sampled_from((None,) + METRICS),
)

gaps = st.floats(min_value=0.0, max_value=400.0, allow_nan=False)


def make_checks(statuses):
    return [{'name': name, 'status': status, 'reason': '%s: %s' % (name, status)}
            for name, status in zip(METRICS, statuses) if status != 'missing']


def make_judge(classification):
    return None if classification is None else {'classification': classification, 'reason': classification}


# a tick that is not fully passing: at least one metric or the judge did not pass
non_passing_ticks = st.one_of(
    st.tuples(st.tuples(st.sampled_from(NOT_PASS + ('pass',)), st.sampled_from(NOT_PASS)),
              st.sampled_from((None, 'pass') + JUDGE_NOT_PASS), gaps),
    st.tuples(st.tuples(st.sampled_from(NOT_PASS), st.sampled_from(NOT_PASS + ('pass',))),
              st.sampled_from((None, 'pass') + JUDGE_NOT_PASS), gaps),
    st.tuples(st.just(('pass', 'pass')), st.sampled_from(JUDGE_NOT_PASS), gaps),
)
any_ticks = st.tuples(st.tuples(st.sampled_from(NOT_PASS + ('pass',) * 3), st.sampled_from(NOT_PASS + ('pass',) * 3)),
                      st.sampled_from((None, 'pass', 'pass') + JUDGE_NOT_PASS), gaps)


def drive(spec, ticks, start=0.0, state=None):
    now = start
    state = A.initial_state(spec, now) if state is None else state
    results = []
    for statuses, judged, gap in ticks:
        now += gap
        result = A.next_verdict(spec, json.loads(json.dumps(state, allow_nan=False)), make_checks(statuses), make_judge(judged), now)
        json.dumps(result, allow_nan=False)
        results.append(result)
        state = result['state']
    return state, results


@settings(max_examples=300, deadline=None)
@given(spec=specs, ticks=st.lists(non_passing_ticks, max_size=40))
def test_never_promote_or_advance_without_passing_data(spec, ticks):
    state, results = drive(spec, ticks)
    for result in results:
        assert result['verdict'] in ('hold', 'rollback')
        assert not result['advanced']
    assert state['phase_index'] == 0 and state['phase_healthy_seconds'] == 0
    assert state['status'] != 'promoted'


@settings(max_examples=300, deadline=None)
@given(spec=specs, prefix=st.lists(any_ticks, max_size=30), failures=st.lists(st.tuples(
    st.sampled_from((('fail', 'pass'), ('pass', 'fail'), ('fail', 'fail'), ('fail', 'error'), ('fail', 'missing'))),
    st.sampled_from((None, 'pass', 'fail', 'nodata')), gaps), min_size=5, max_size=5))
def test_rollback_within_failure_limit_plus_one_consecutive_failures(spec, prefix, failures):
    state, dummy = drive(spec, prefix)
    assume(state['status'] == 'running')
    limit = spec['limits']['failure_limit']
    state, results = drive(spec, failures[:limit + 1], state['last_tick_at'], state)
    assert results[-1]['verdict'] == 'rollback' and results[-1]['weight'] == 0
    assert all(r['verdict'] in ('hold', 'rollback') for r in results)


@settings(max_examples=300, deadline=None)
@given(spec=specs, ticks=st.lists(any_ticks, max_size=60))
def test_invariants_of_any_run(spec, ticks):
    state, results = drive(spec, ticks)
    passing = 0
    weight = spec['phases'][0]['weight']
    failures = 0
    finished = False
    for result in results:
        st_ = result['state']
        assert result['verdict'] in A.VERDICTS
        if finished:
            assert result['verdict'] == results[-1]['verdict']      # terminal verdicts stick
            continue
        if result['outcome'] == 'pass':
            passing += 1
        if result['verdict'] == 'promote':
            # only a passing tick can promote, after at least one passing tick per phase
            assert result['outcome'] == 'pass' and passing >= len(spec['phases']) and result['weight'] == 100
        if result['advanced']:
            assert result['outcome'] == 'pass'
        if result['verdict'] == 'rollback':
            assert result['weight'] == 0 and result['outcome'] != 'pass'
        else:
            assert result['weight'] >= weight       # traffic only goes up while running
            weight = result['weight']
        assert st_['failures'] >= failures
        failures = st_['failures']
        assert st_['phase_healthy_seconds'] <= st_['last_tick_at'] - st_['phase_started_at'] + 1e-9
        finished = result['verdict'] in ('promote', 'rollback')


@settings(max_examples=100, deadline=None)
@given(spec=specs, n=st.integers(1, 200), gap=st.floats(min_value=0.5, max_value=120.0))
def test_steady_passing_ticks_eventually_promote(spec, n, gap):
    state, results = drive(spec, [(('pass', 'pass'), 'pass', gap)] * n)
    # credit per tick = min(gap, interval * scale); every phase needs ceil(duration * scale / credit) ticks (at least 1)
    credit = min(gap, spec['interval_seconds'] * spec['time_scale'])
    needed = 0
    for phase in spec['phases']:
        ticks = max(1, -(-phase['duration'] * spec['time_scale'] // credit))
        needed += int(ticks)
    verdicts = [r['verdict'] for r in results]
    if n >= needed + len(spec['phases']):      # one tick of slack per phase for float rounding
        assert 'promote' in verdicts
    if 'promote' in verdicts:
        assert verdicts.index('promote') >= len(spec['phases']) - 1
    assert 'rollback' not in verdicts and 'hold' not in verdicts
