# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import math

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import (
    ERROR, FAIL, INCONCLUSIVE, PASS, evaluate_check, evaluate_checks, normalize_threshold,
)
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec

ERRORS = {'name': 'error_rate', 'direction': 'lower_is_better', 'threshold': {'min': None, 'max': 0.001}}
ACCURACY = {'name': 'accuracy', 'direction': 'higher_is_better', 'threshold': {'min': 0.9, 'max': None}, 'critical': True}
LATENCY = {'name': 'latency_p95', 'direction': 'lower_is_better', 'threshold': {'min': None, 'max': 100.0}, 'unit': 'ms'}


@pytest.mark.parametrize('metric,value,status', [
    (ERRORS, 0.0, PASS), (ERRORS, 0.001, PASS), (ERRORS, 0.0011, FAIL), (ERRORS, '0.0005', PASS), (ERRORS, 5, FAIL),
    (ACCURACY, 0.95, PASS), (ACCURACY, 0.9, PASS), (ACCURACY, 0.89, FAIL), (ACCURACY, 1, PASS),
])
def test_value_against_threshold(metric, value, status):
    assert evaluate_check(metric, value)['status'] == status


@pytest.mark.parametrize('value', [None, float('nan'), float('inf'), float('-inf'), 'NaN', '+Inf', '-Inf', 'n/a', True, [0.1], {}])
def test_missing_or_non_finite_data_is_inconclusive_never_pass(value):
    for metric in (ERRORS, ACCURACY):
        result = evaluate_check(metric, value)
        assert result['status'] == INCONCLUSIVE
        assert result['value'] is None


def test_reasons_are_readable():
    assert evaluate_check(LATENCY, 130.5)['reason'] == 'latency_p95: 130.5 ms above max 100 ms'
    assert evaluate_check(ACCURACY, 0.8)['reason'] == 'accuracy: 0.8 below min 0.9'
    assert evaluate_check(LATENCY, 42)['reason'] == 'latency_p95: 42 ms within threshold (<= 100 ms)'
    assert evaluate_check(ERRORS, float('nan'))['reason'] == 'error_rate: value is NaN (e.g. a ratio over zero requests)'
    assert evaluate_check(ERRORS, None)['reason'] == 'error_rate: no data'


def test_both_bounds():
    metric = {'name': 'cpu', 'direction': 'either', 'threshold': {'min': 0.2, 'max': 0.8}}
    assert [evaluate_check(metric, v)['status'] for v in (0.1, 0.2, 0.5, 0.8, 0.9)] == [FAIL, PASS, PASS, PASS, FAIL]


def test_threshold_argument_overrides_metric_default():
    assert evaluate_check(ERRORS, 0.003)['status'] == FAIL
    assert evaluate_check(ERRORS, 0.003, threshold={'min': None, 'max': 0.005})['status'] == PASS


def test_no_threshold_is_inconclusive():
    assert evaluate_check({'name': 'x'}, 1.0)['status'] == INCONCLUSIVE


@pytest.mark.parametrize('traffic', [0, 0.0, '0', None, float('nan'), 'NaN', 0.5])
def test_no_traffic_is_inconclusive_even_with_a_good_value(traffic):
    result = evaluate_check(ERRORS, 0.0, traffic=traffic, min_requests=1)
    assert result['status'] == INCONCLUSIVE
    assert 'no traffic' in result['reason']


def test_zero_traffic_is_inconclusive_even_when_min_requests_is_zero():
    assert evaluate_check(ERRORS, 0.0, traffic=0, min_requests=0)['status'] == INCONCLUSIVE
    assert evaluate_check(ERRORS, 0.0, traffic=3, min_requests=0)['status'] == PASS


def test_traffic_present_lets_the_value_decide():
    assert evaluate_check(ERRORS, 0.0, traffic=120)['status'] == PASS
    assert evaluate_check(ERRORS, 0.5, traffic='120')['status'] == FAIL


def test_query_error_is_error_not_inconclusive():
    result = evaluate_check(ERRORS, None, error='dial tcp 10.0.0.1:9090: connect: connection refused')
    assert result['status'] == ERROR
    assert result['reason'] == 'error_rate: query failed: dial tcp 10.0.0.1:9090: connect: connection refused'
    # an error wins even if a stale value came along
    assert evaluate_check(ERRORS, 0.0, error='timeout')['status'] == ERROR


def test_result_is_json_able_even_for_nan():
    result = evaluate_check(ERRORS, float('nan'), traffic=5)
    assert result['raw'] == 'nan'
    json.dumps(result, allow_nan=False)


def test_normalize_threshold_shorthands():
    assert normalize_threshold(0.5, 'lower_is_better') == {'min': None, 'max': 0.5}
    assert normalize_threshold(0.5, 'higher_is_better') == {'min': 0.5, 'max': None}
    assert normalize_threshold({'max': None}, 'lower_is_better', base={'min': None, 'max': 1.0}) is None
    with pytest.raises(SpecError, match='t.min: must be a finite number'):
        normalize_threshold({'min': math.nan}, 'lower_is_better', 't')
    with pytest.raises(SpecError, match='unknown field'):
        normalize_threshold({'maximum': 1}, 'lower_is_better', 't')


SPEC = {
    'traffic': {'query': 'sum(increase(http_requests_total{track="$track"}[$interval]))', 'min_requests': 10},
    'metrics': [
        {'name': 'error_rate', 'query': 'e{track="$track"}', 'threshold': 0.01},
        {'name': 'latency_p95', 'query': 'l{track="$track"}', 'threshold': 100, 'unit': 'ms'},
        {'name': 'saturation', 'query': 's{track="$track"}'},
    ],
    'phases': [{'weight': 10, 'duration': '1m'}, {'weight': 50, 'duration': '1m', 'thresholds': {'latency_p95': None}}],
}


def test_evaluate_checks_for_a_phase():
    spec = validate_spec(SPEC)
    results = evaluate_checks(spec, 0, {'error_rate': 0.001, 'latency_p95': {'value': '250'}, 'saturation': 0.3}, traffic=100)
    assert [(r['name'], r['status']) for r in results] == [('error_rate', PASS), ('latency_p95', FAIL)]


def test_evaluate_checks_respects_phase_override_removing_a_threshold():
    spec = validate_spec(dict(SPEC, phases=[{'weight': 10, 'duration': '1m',
                                             'thresholds': {'latency_p95': {'max': None}}}]))
    results = evaluate_checks(spec, 0, {'error_rate': 0.001, 'latency_p95': 999}, traffic=100)
    assert [r['name'] for r in results] == ['error_rate']


def test_evaluate_checks_not_measured_and_traffic_rules():
    spec = validate_spec(SPEC)
    results = evaluate_checks(spec, 0, {'error_rate': 0.001}, traffic=100)
    assert results[1]['status'] == INCONCLUSIVE and 'not measured' in results[1]['reason']
    # a traffic query is configured: no traffic measurement at all -> inconclusive
    results = evaluate_checks(spec, 0, {'error_rate': 0.001, 'latency_p95': 50})
    assert [r['status'] for r in results] == [INCONCLUSIVE, INCONCLUSIVE]
    # below min_requests
    results = evaluate_checks(spec, 0, {'error_rate': 0.001, 'latency_p95': 50}, traffic=9)
    assert [r['status'] for r in results] == [INCONCLUSIVE, INCONCLUSIVE]
    # per-metric error and traffic override the tick-wide traffic
    results = evaluate_checks(spec, 0, {'error_rate': {'error': 'timeout'}, 'latency_p95': {'value': 50, 'traffic': 0}}, traffic=100)
    assert [r['status'] for r in results] == [ERROR, INCONCLUSIVE]


def test_evaluate_checks_rejects_unknown_metrics():
    spec = validate_spec(SPEC)
    with pytest.raises(SpecError, match='observations.latency_p99: unknown metric'):
        evaluate_checks(spec, 0, {'latency_p99': 1})
