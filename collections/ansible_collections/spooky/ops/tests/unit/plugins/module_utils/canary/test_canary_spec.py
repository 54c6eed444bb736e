# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary.durations import parse_duration, promql_duration
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.phases import describe_plan
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec

ERRORS = ('sum(rate(http_requests_total{service="$service",track="$track",code=~"5.."}[$interval]))'
          ' / sum(rate(http_requests_total{service="$service",track="$track"}[$interval]))')
LATENCY = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service",track="$track"}[$interval])))'

PHOENIX = {
    'interval': '1m',
    'metrics': [
        {'name': 'error_rate', 'query': ERRORS, 'threshold': 0.001, 'critical': True},
        {'name': 'latency_p95', 'query': LATENCY, 'threshold': {'max': 100}, 'unit': 'ms'},
        {'name': 'accuracy', 'query': 'avg(model_accuracy{track="$track"})', 'direction': 'higher_is_better', 'judge': False},
    ],
    'phases': [
        {'weight': 5, 'duration': '10m', 'thresholds': {'error_rate': 0.001, 'latency_p95': 100}},
        {'weight': 20, 'duration': '15m', 'thresholds': {'error_rate': 0.005, 'latency_p95': 200}},
        {'step': 20, 'every': '5m', 'until': 100, 'thresholds': {'error_rate': 0.005, 'latency_p95': 200, 'accuracy': 0.9}},
    ],
}


def spec_with(**changes):
    raw = copy.deepcopy(PHOENIX)
    raw.update(changes)
    return raw


def problems_of(raw):
    with pytest.raises(SpecError) as exc:
        validate_spec(raw)
    return exc.value.problems


def test_phoenix_runbook_expands_to_explicit_phases():
    spec = validate_spec(PHOENIX)
    assert [p['weight'] for p in spec['phases']] == [5, 20, 40, 60, 80, 100]
    assert [p['duration'] for p in spec['phases']] == [600, 900, 300, 300, 300, 300]
    assert [p['index'] for p in spec['phases']] == list(range(6))
    assert spec['phases'][0]['thresholds'] == {'error_rate': {'min': None, 'max': 0.001}, 'latency_p95': {'min': None, 'max': 100.0}}
    assert spec['phases'][1]['thresholds']['error_rate'] == {'min': None, 'max': 0.005}
    assert spec['phases'][2]['thresholds']['accuracy'] == {'min': 0.9, 'max': None}
    assert 'accuracy' not in spec['phases'][0]['thresholds']      # no default threshold, no override
    assert spec['phases'][2]['source'] == 'phases[2]'
    json.dumps(spec, allow_nan=False)


def test_defaults_filled_in():
    spec = validate_spec(PHOENIX)
    assert spec['limits'] == {'failure_limit': 0, 'inconclusive_limit': 3, 'error_limit': 4}
    judge = spec['judge']
    assert (judge['confidence'], judge['pass_score'], judge['marginal_score']) == (0.98, 95.0, 75.0)
    assert judge['outliers'] == {'method': 'iqr', 'fence': 3.0, 'reduce_sensitivity': True}
    assert judge['effect_size'] == {'allowed_increase': 1.1, 'allowed_decrease': 0.9}
    metric = spec['metrics'][0]
    assert metric['direction'] == 'lower_is_better' and metric['weight'] == 1.0 and metric['interval'] == '1m'
    assert metric['threshold'] == {'min': None, 'max': 0.001}
    assert spec['time_scale'] == 1.0 and spec['interval_seconds'] == 60.0


def test_ramp_clips_last_step_and_starts_from_zero_when_first():
    spec = validate_spec(spec_with(phases=[{'step': 30, 'every': 60, 'until': 100, 'name': 'ramp'}]))
    assert [p['weight'] for p in spec['phases']] == [30, 60, 90, 100]
    assert [p['name'] for p in spec['phases']] == ['ramp-30', 'ramp-60', 'ramp-90', 'ramp-100']


def test_threshold_override_keeps_unmentioned_bound_and_null_removes():
    raw = spec_with(metrics=[{'name': 'lat', 'query': 'x', 'threshold': {'min': 1, 'max': 100}}],
                    phases=[{'weight': 10, 'duration': 0, 'thresholds': {'lat': {'max': 50}}},
                            {'weight': 50, 'duration': 0, 'thresholds': {'lat': {'min': None}}}])
    spec = validate_spec(raw)
    assert spec['phases'][0]['thresholds']['lat'] == {'min': 1.0, 'max': 50.0}
    assert spec['phases'][1]['thresholds']['lat'] == {'min': None, 'max': 100.0}


@pytest.mark.parametrize('weight', [-1, 100.5, 250])
def test_weight_outside_0_100_rejected(weight):
    problems = problems_of(spec_with(phases=[{'weight': weight, 'duration': '1m'}]))
    assert problems[0][0] == 'phases[0].weight'


def test_non_increasing_weights_rejected_with_path_and_values():
    problems = problems_of(spec_with(phases=[{'weight': 5, 'duration': '1m'}, {'weight': 20, 'duration': '1m'},
                                             {'weight': 20, 'duration': '1m'}, {'weight': 10, 'duration': '1m'}]))
    assert ('phases[2].weight', 'must increase (got 20 after 20)') in problems
    assert ('phases[3].weight', 'must increase (got 10 after 20)') in problems


def test_ramp_must_go_up():
    problems = problems_of(spec_with(phases=[{'weight': 50, 'duration': '1m'}, {'step': 10, 'every': '1m', 'until': 40}]))
    assert problems == [('phases[1].until', 'must be greater than the previous phase weight (got 40 after 50)')]


@pytest.mark.parametrize('phase', [{'step': 0, 'every': '1m'}, {'step': -5, 'every': '1m'}, {'step': 10}])
def test_bad_ramps_rejected(phase):
    problems = problems_of(spec_with(phases=[phase]))
    assert problems and all(path.startswith('phases[0]') for path, dummy in problems)


def test_weight_and_step_together_rejected():
    problems = problems_of(spec_with(phases=[{'weight': 10, 'step': 10, 'every': '1m', 'duration': '1m'}]))
    assert problems[0][0] == 'phases[0]' and 'not both' in problems[0][1]


@pytest.mark.parametrize('where,raw', [
    ('', spec_with(phasez=[])),
    ('metrics[0]', spec_with(metrics=[dict(PHOENIX['metrics'][0], treshold=1)])),
    ('phases[0]', spec_with(phases=[{'weight': 5, 'duration': '1m', 'thresholds': {}, 'pause': True}])),
    ('judge', spec_with(judge={'confidense': 0.9})),
    ('judge.outliers', spec_with(judge={'outliers': {'method': 'iqr', 'k': 2}})),
    ('limits', spec_with(limits={'failureLimit': 1})),
    ('traffic', spec_with(traffic={'query': 'sum(x)', 'min': 1})),
])
def test_unknown_fields_rejected(where, raw):
    problems = problems_of(raw)
    assert any(msg.startswith('unknown field') and path.rsplit('.', 1)[0] == where if where else msg.startswith('unknown field')
               for path, msg in problems), problems


def test_unknown_field_suggests_the_close_one():
    problems = problems_of(spec_with(metrics=[dict(PHOENIX['metrics'][0], treshold=1)] + PHOENIX['metrics'][1:]))
    assert problems == [('metrics[0].treshold', "unknown field (expected one of: critical, description, direction, effect_size, "
                                                "interval, judge, min_effect, name, query, threshold, unit, weight) -- did you mean 'threshold'?")]


def test_unknown_placeholder_in_query_rejected():
    problems = problems_of(spec_with(metrics=[{'name': 'x', 'query': 'up{pod="$pod"}', 'threshold': 1}]))
    assert problems[0][0] == 'metrics[0].query' and 'unknown placeholder $pod' in problems[0][1]


def test_unknown_placeholder_in_traffic_query_rejected():
    problems = problems_of(spec_with(traffic={'query': 'sum(x{a="$zone"})'}))
    assert problems[0][0] == 'traffic.query'


def test_threshold_problems():
    problems = problems_of(spec_with(metrics=[
        {'name': 'a', 'query': 'x', 'threshold': {'min': 5, 'max': 1}},
        {'name': 'b', 'query': 'x', 'threshold': 1, 'direction': 'either'},
        {'name': 'c', 'query': 'x', 'threshold': {'max': 'high'}},
        {'name': 'd', 'query': 'x', 'direction': 'down'},
    ]))
    paths = dict(problems)
    assert paths['metrics[0].threshold'] == 'min (5) is greater than max (1)'
    assert 'ambiguous' in paths['metrics[1].threshold']
    assert 'metrics[2].threshold.max' in paths
    assert paths['metrics[3].direction'].startswith('must be one of lower_is_better, higher_is_better, either')


def test_phase_threshold_for_unknown_metric_rejected():
    problems = problems_of(spec_with(phases=[{'weight': 5, 'duration': '1m', 'thresholds': {'latency_p99': 100}}]))
    assert problems[0][0] == 'phases[0].thresholds.latency_p99' and problems[0][1].startswith('unknown metric')


def test_phase_that_checks_nothing_rejected_unless_judge_enabled():
    raw = spec_with(metrics=[{'name': 'a', 'query': 'x'}], phases=[{'weight': 5, 'duration': '1m'}])
    problems = problems_of(raw)
    assert problems[0][0] == 'phases[0]' and 'checks nothing' in problems[0][1]
    raw['judge'] = {'enabled': True}
    assert validate_spec(raw)['phases'][0]['thresholds'] == {}


def test_duplicate_metric_and_phase_names_rejected():
    problems = problems_of(spec_with(metrics=[{'name': 'a', 'query': 'x', 'threshold': 1}, {'name': 'a', 'query': 'y', 'threshold': 1}]))
    assert problems[0][0] == 'metrics[1].name'
    problems = problems_of(spec_with(phases=[{'name': 'p', 'weight': 1, 'duration': 1}, {'name': 'p', 'weight': 2, 'duration': 1}]))
    assert problems[0][0] == 'phases[1].name'


def test_judge_settings_rejected():
    problems = dict(problems_of(spec_with(judge={'confidence': 1.0, 'pass_score': 70, 'marginal_score': 80, 'min_samples': 1,
                                                 'outliers': {'method': 'zscore', 'fence': 0},
                                                 'effect_size': {'allowed_increase': 0.9, 'allowed_decrease': 1.2}})))
    assert set(problems) == {'judge.confidence', 'judge.marginal_score', 'judge.min_samples', 'judge.outliers.method',
                             'judge.outliers.fence', 'judge.effect_size.allowed_increase', 'judge.effect_size.allowed_decrease'}


def test_limits_must_be_non_negative_integers():
    problems = dict(problems_of(spec_with(limits={'failure_limit': -1, 'inconclusive_limit': 1.5, 'error_limit': 'x'})))
    assert set(problems) == {'limits.failure_limit', 'limits.inconclusive_limit', 'limits.error_limit'}


def test_every_problem_reported_at_once():
    raw = spec_with(time_scale=0, interval='soon', phases=[{'weight': 200, 'duration': 'x'}])
    paths = [path for path, dummy in problems_of(raw)]
    assert paths == ['interval', 'time_scale', 'phases[0].weight', 'phases[0].duration']


def test_spec_must_be_a_mapping_with_metrics_and_phases():
    assert problems_of([]) == [('', 'must be a mapping (got list)')]
    assert sorted(problems_of({})) == [('metrics', 'is required'), ('phases', 'is required')]
    assert problems_of(spec_with(phases=[])) == [('phases', 'must be a non-empty list of phases')]


def test_message_format():
    with pytest.raises(SpecError) as exc:
        validate_spec(spec_with(phases=[{'weight': 20, 'duration': 1}, {'weight': 20, 'duration': 1}]))
    assert str(exc.value) == 'phases[1].weight: must increase (got 20 after 20)'


def test_describe_plan():
    lines = describe_plan(validate_spec(PHOENIX)['phases'])
    assert lines[0] == 'phase-5: 5% for 600s (error_rate <= 0.001, latency_p95 <= 100)'
    assert lines[-1] == 'step-100: 100% for 300s (accuracy >= 0.9, error_rate <= 0.005, latency_p95 <= 200)'


@pytest.mark.parametrize('text,seconds', [('10m', 600), ('1h30m', 5400), ('500ms', 0.5), ('2.5m', 150), (90, 90), ('1d', 86400)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize('bad', ['10 minutes', '-5m', 'm', '', None, True, [1], -1, float('inf')])
def test_parse_duration_rejects(bad):
    with pytest.raises(SpecError, match='^phases\\[0\\]\\.duration: '):
        parse_duration(bad, 'phases[0].duration')


def test_promql_duration_needs_millisecond_resolution():
    assert promql_duration(0.001) == '1ms'
    with pytest.raises(SpecError, match='millisecond'):
        promql_duration(0.0005)
