# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import random

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary import analysis as A
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec

PHOENIX = {
    'interval': '1m',
    'time_scale': 1.0 / 60,     # the lab: one minute of the runbook = one second
    'metrics': [
        {'name': 'error_rate', 'query': 'e{track="$track"}', 'threshold': 0.001, 'critical': True},
        {'name': 'latency_p95', 'query': 'l{track="$track"}', 'threshold': 100, 'unit': 'ms'},
    ],
    'limits': {'failure_limit': 0, 'inconclusive_limit': 3, 'error_limit': 4},
    'phases': [
        {'weight': 5, 'duration': '10m', 'thresholds': {'error_rate': 0.001, 'latency_p95': 100}},
        {'weight': 20, 'duration': '15m', 'thresholds': {'error_rate': 0.005, 'latency_p95': 200}},
        {'step': 20, 'every': '5m', 'until': 100, 'thresholds': {'error_rate': 0.005, 'latency_p95': 200}},
    ],
}


def make_spec(**changes):
    raw = copy.deepcopy(PHOENIX)
    raw.update(changes)
    return validate_spec(raw)


def checks(*statuses):
    names = ('error_rate', 'latency_p95')
    return [{'name': name, 'status': status, 'reason': '%s: %s' % (name, status)} for name, status in zip(names, statuses)]


GOOD = checks('pass', 'pass')


class Run:
    """Drive next_verdict tick by tick, one ``step`` seconds apart, through a JSON round-trip.

    The rollout starts (phase 0 at its weight) at ``now``; the first tick comes one step later.
    """

    def __init__(self, spec, step=1.0):
        self.spec, self.step, self.now, self.results = spec, step, 1000.0, []
        self.state = A.initial_state(spec, now=self.now)

    def tick(self, tick_checks=GOOD, judge=None, dt=None):
        self.now += self.step if dt is None else dt
        state = json.loads(json.dumps(self.state, allow_nan=False))
        result = A.next_verdict(self.spec, state, tick_checks, judge, now=self.now)
        json.dumps(result, allow_nan=False)
        self.state = result['state']
        self.results.append(result)
        return result


def test_phoenix_rollout_promotes_through_every_phase():
    run = Run(make_spec())
    advanced = []
    for dummy in range(100):
        result = run.tick()
        if result['advanced']:
            advanced.append((len(run.results), result['weight']))
        if result['verdict'] == 'promote':
            break
    # 10 + 15 + 4 * 5 passing one-second ticks
    assert advanced == [(10, 20), (25, 40), (30, 60), (35, 80), (40, 100)]
    assert len(run.results) == 45
    assert run.results[-1]['weight'] == 100 and run.state['status'] == 'promoted'
    assert set(r['verdict'] for r in run.results[:-1]) == {'continue'}
    assert run.results[-1]['reason'] == 'last phase step-100 (100%) complete (healthy 5s); promoting'


def test_first_failure_rolls_back_with_failure_limit_zero():
    run = Run(make_spec())
    run.tick()
    result = run.tick(checks('pass', 'fail'))
    assert result['verdict'] == 'rollback' and result['weight'] == 0
    assert result['reason'] == 'failures 1 > failure_limit 0 at phase-5 (5%): latency_p95: fail'
    assert run.state['metric_failures'] == {'latency_p95': 1}


def test_failure_of_a_critical_metric_rolls_back_whatever_the_limit():
    run = Run(make_spec(limits={'failure_limit': 5}))
    assert run.tick(checks('pass', 'fail'))['verdict'] == 'hold'        # latency_p95 is not critical
    result = run.tick(checks('fail', 'pass'))                            # error_rate is
    assert result['verdict'] == 'rollback'
    assert result['reason'] == 'critical metric error_rate failed at phase-5 (5%): error_rate: fail'


def test_failure_limit_counts_all_failures_argo_style():
    raw = copy.deepcopy(PHOENIX)
    raw['metrics'][0]['critical'] = False
    raw['limits'] = {'failure_limit': 2}
    run = Run(validate_spec(raw))
    verdicts = [run.tick(c)['verdict'] for c in (checks('fail', 'pass'), GOOD, checks('pass', 'fail'), GOOD, checks('fail', 'fail'))]
    assert verdicts == ['hold', 'continue', 'hold', 'continue', 'rollback']
    assert run.state['failures'] == 3
    assert run.state['metric_failures'] == {'error_rate': 2, 'latency_p95': 2}


def test_inconclusive_limit_is_consecutive():
    run = Run(make_spec())
    inconclusive = checks('pass', 'inconclusive')
    assert [run.tick(inconclusive)['verdict'] for dummy in range(3)] == ['hold'] * 3
    assert run.tick()['verdict'] == 'continue'                 # resets the streak
    assert [run.tick(inconclusive)['verdict'] for dummy in range(4)] == ['hold', 'hold', 'hold', 'rollback']
    assert 'consecutive inconclusive ticks 4 > inconclusive_limit 3' in run.results[-1]['reason']


def test_error_limit_is_consecutive_and_broken_by_other_outcomes():
    run = Run(make_spec())
    error = checks('error', 'pass')
    assert [run.tick(error)['verdict'] for dummy in range(4)] == ['hold'] * 4
    assert run.tick(checks('inconclusive', 'pass'))['verdict'] == 'hold'
    assert [run.tick(error)['verdict'] for dummy in range(5)] == ['hold'] * 4 + ['rollback']
    assert run.results[-1]['reason'].startswith('consecutive errors 5 > error_limit 4 at phase-5 (5%): error_rate: error')


@pytest.mark.parametrize('statuses,outcome', [
    (('fail', 'error'), 'fail'), (('error', 'inconclusive'), 'error'), (('inconclusive', 'pass'), 'inconclusive'),
    (('pass', 'pass'), 'pass'), (('fail', 'inconclusive'), 'fail'),
])
def test_outcome_precedence(statuses, outcome):
    spec = make_spec()
    assert A.classify_tick(spec, spec['phases'][0], checks(*statuses))[0] == outcome


def test_missing_check_is_inconclusive_never_pass():
    spec = make_spec()
    outcome, items = A.classify_tick(spec, spec['phases'][0], checks('pass'))
    assert outcome == 'inconclusive'
    assert items[1] == {'name': 'latency_p95', 'status': 'inconclusive', 'reason': 'latency_p95: not measured this tick',
                        'critical': False}
    assert A.classify_tick(spec, spec['phases'][0], [])[0] == 'inconclusive'
    assert A.classify_tick(spec, spec['phases'][0], None)[0] == 'inconclusive'


def test_checks_may_be_a_mapping_by_metric():
    spec = make_spec()
    mapping = {'error_rate': {'status': 'pass'}, 'latency_p95': {'status': 'pass', 'reason': 'fine'}}
    outcome, items = A.classify_tick(spec, spec['phases'][0], mapping)
    assert outcome == 'pass' and items[1]['reason'] == 'fine'


@pytest.mark.parametrize('bad', [[{'name': 'error_rate', 'status': 'ok'}], [{'name': 'nope', 'status': 'pass'}],
                                 checks('pass', 'pass') + checks('pass'), 'pass'])
def test_malformed_checks_rejected(bad):
    spec = make_spec()
    with pytest.raises(SpecError):
        A.next_verdict(spec, None, bad, now=0)


@pytest.mark.parametrize('classification,outcome', [('pass', 'pass'), ('marginal', 'inconclusive'), ('nodata', 'inconclusive'),
                                                    ('fail', 'fail'), ('error', 'error')])
def test_judge_outcomes(classification, outcome):
    spec = make_spec(judge={'enabled': True})
    judged = {'classification': classification, 'reason': 'score ...'}
    assert A.classify_tick(spec, spec['phases'][0], GOOD, judged)[0] == outcome


def test_enabled_judge_without_result_is_inconclusive():
    spec = make_spec(judge={'enabled': True})
    outcome, items = A.classify_tick(spec, spec['phases'][0], GOOD)
    assert outcome == 'inconclusive' and items[-1]['reason'] == 'judge: enabled but no result this tick'
    with pytest.raises(SpecError, match='judge'):
        A.classify_tick(spec, spec['phases'][0], GOOD, {'classification': 'great'})


def test_healthy_time_is_capped_at_one_interval_per_tick():
    run = Run(make_spec())           # interval 1m * 1/60 -> at most 1s of credit per passing tick
    result = run.tick(dt=3600)
    assert result['verdict'] == 'continue' and not result['advanced']
    assert run.state['phase_healthy_seconds'] == 1.0
    assert result['reason'] == 'phase-5 (5%): 2 check(s) passed; healthy 1s of 10s'


def test_non_passing_ticks_earn_no_healthy_time():
    run = Run(make_spec(limits={'inconclusive_limit': 100}))
    for dummy in range(30):
        run.tick(checks('inconclusive', 'pass'))
    assert run.state['phase_healthy_seconds'] == 0 and run.state['phase_index'] == 0
    assert run.state['phase_ticks'] == 30 and run.state['phase_passing_ticks'] == 0


def test_ticks_faster_than_the_interval_earn_their_real_time():
    run = Run(make_spec(), step=0.25)
    for dummy in range(39):
        assert not run.tick()['advanced']
    assert run.tick()['advanced']      # 40 * 0.25s = 10s


def test_time_scale_one_uses_real_minutes():
    run = Run(make_spec(time_scale=1.0), step=60.0)
    results = [run.tick() for dummy in range(10)]
    assert [r['advanced'] for r in results] == [False] * 9 + [True]


def test_zero_duration_phase_still_needs_a_passing_tick():
    spec = make_spec(phases=[{'weight': 50, 'duration': 0}, {'weight': 100, 'duration': 0}])
    run = Run(spec)
    assert run.tick(checks('inconclusive', 'pass'))['verdict'] == 'hold'
    assert run.tick()['advanced']
    assert run.tick()['verdict'] == 'promote'


def test_terminal_states_stick():
    run = Run(make_spec())
    run.tick(checks('fail', 'pass'))
    for tick_checks in (GOOD, checks('error', 'error')):
        result = run.tick(tick_checks)
        assert result['verdict'] == 'rollback' and result['weight'] == 0 and result['reason'] == 'already rolled back'
    spec = make_spec(phases=[{'weight': 100, 'duration': 0}])
    run = Run(spec)
    assert run.tick()['verdict'] == 'promote'
    assert run.tick(checks('fail', 'fail'))['verdict'] == 'promote'


def test_state_validation():
    spec = make_spec()
    state = A.initial_state(spec, now=0)
    with pytest.raises(SpecError, match='state: must be a mapping'):
        A.next_verdict(spec, 'x', GOOD, now=1)
    broken = dict(state)
    del broken['failures']
    with pytest.raises(SpecError, match='state.failures: is missing'):
        A.next_verdict(spec, broken, GOOD, now=1)
    with pytest.raises(SpecError, match='state.extra: unknown field'):
        A.next_verdict(spec, dict(state, extra=1), GOOD, now=1)
    with pytest.raises(SpecError, match='state.failures: must be a non-negative integer'):
        A.next_verdict(spec, dict(state, failures=-1), GOOD, now=1)
    with pytest.raises(SpecError, match='state.status'):
        A.next_verdict(spec, dict(state, status='paused'), GOOD, now=1)
    other = validate_spec(dict(PHOENIX, phases=[{'weight': 50, 'duration': 60}]))
    with pytest.raises(SpecError, match='does not belong to this spec'):
        A.next_verdict(other, state, GOOD, now=1)


def test_state_is_not_mutated():
    spec = make_spec()
    state = A.initial_state(spec, now=0)
    before = json.dumps(state, sort_keys=True)
    A.next_verdict(spec, state, checks('fail', 'pass'), now=1)
    assert json.dumps(state, sort_keys=True) == before


def test_evaluate_tick_end_to_end_with_the_judge():
    raw = copy.deepcopy(PHOENIX)
    raw['judge'] = {'enabled': True}
    spec = validate_spec(raw)
    rng = random.Random(1)

    def samples(shift):
        return dict((m, {'canary': [rng.gauss(50 + shift, 2) for dummy in range(50)],
                         'baseline': [rng.gauss(50, 2) for dummy in range(50)]}) for m in ('error_rate', 'latency_p95'))

    observations = {'error_rate': 0.0001, 'latency_p95': 42}
    result = A.evaluate_tick(spec, None, observations, samples(0), now=0)
    assert result['verdict'] == 'continue' and result['judge']['classification'] == 'pass'
    assert [c['status'] for c in result['checks']] == ['pass', 'pass']
    result = A.evaluate_tick(spec, result['state'], observations, samples(20), now=1)
    assert result['verdict'] == 'rollback' and result['outcome'] == 'fail'
    assert 'critical metric failed: error_rate' in result['reason']
    result = A.evaluate_tick(spec, result['state'], observations, samples(0), now=2)
    assert result['verdict'] == 'rollback' and result['checks'] == []


def test_first_tick_without_state_starts_the_rollout_now():
    spec = make_spec()
    result = A.next_verdict(spec, None, GOOD)
    assert result['state']['last_tick_at'] > 1e9          # the clock, when ``now`` is omitted
    assert result['state']['phase_healthy_seconds'] == 0  # no time has passed in the phase yet
    assert result['verdict'] == 'continue' and result['weight'] == 5


def test_module_author_flow_render_parse_check_decide():
    from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import evaluate_checks
    from ansible_collections.spooky.ops.plugins.module_utils.canary.promql import parse_instant_value, render_query

    raw = copy.deepcopy(PHOENIX)
    raw['metrics'][0]['query'] = 'sum(rate(errors_total{namespace="$namespace",service="$service",track="$track"}[$interval]))'
    spec = validate_spec(raw)
    answers = {
        'sum(rate(errors_total{namespace="shop",service="api",track="canary"}[1m]))':
            {'status': 'success', 'data': {'resultType': 'vector', 'result': [{'metric': {}, 'value': [0, '0.0004']}]}},
        'l{track="canary"}': {'status': 'success', 'data': {'resultType': 'vector', 'result': []}},
    }
    state = A.initial_state(spec, now=0)
    observations = {}
    for metric in spec['metrics']:
        query = render_query(metric['query'], {'namespace': 'shop', 'service': 'api', 'track': 'canary', 'interval': metric['interval']})
        observations[metric['name']] = parse_instant_value(answers[query])
    results = evaluate_checks(spec, state['phase_index'], observations)
    assert [r['status'] for r in results] == ['pass', 'inconclusive']       # empty latency answer: no data
    verdict = A.next_verdict(spec, state, results, now=1)
    assert verdict['verdict'] == 'hold' and verdict['outcome'] == 'inconclusive'
    assert verdict['reason'] == 'inconclusive 1 of 3 tolerated at phase-5 (5%): latency_p95: no data'
