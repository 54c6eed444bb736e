# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import random
import re

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary import judge as J
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError, StatsError
from ansible_collections.spooky.ops.plugins.module_utils.canary.outliers import fences, percentile, remove_outliers
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec

RAW = {
    'judge': {'enabled': True},
    'metrics': [
        {'name': 'latency_p95', 'query': 'l{track="$track"}', 'unit': 'ms', 'weight': 2},
        {'name': 'success_rate', 'query': 's{track="$track"}', 'direction': 'higher_is_better'},
        {'name': 'error_rate', 'query': 'e{track="$track"}', 'critical': True},
        {'name': 'cpu', 'query': 'c{track="$track"}', 'judge': False, 'threshold': 0.9},
    ],
    'phases': [{'weight': 10, 'duration': '1m'}],
}


def spec_with(**judge):
    raw = dict(RAW, judge=dict(RAW['judge'], **judge))
    return validate_spec(raw)


def normal(rng, mean, sd, n=60):
    return [rng.gauss(mean, sd) for dummy in range(n)]


def healthy(rng, n=60):
    return {
        'latency_p95': {'canary': normal(rng, 60, 3, n), 'baseline': normal(rng, 60, 3, n)},
        'success_rate': {'canary': normal(rng, 0.99, 0.002, n), 'baseline': normal(rng, 0.99, 0.002, n)},
        'error_rate': {'canary': normal(rng, 0.01, 0.001, n), 'baseline': normal(rng, 0.01, 0.001, n)},
    }


def by_name(result):
    return dict((m['name'], m) for m in result['metrics'])


def test_identical_distributions_pass_with_full_score():
    result = J.judge(spec_with(), healthy(random.Random(1)))
    assert result['classification'] == 'pass'
    assert result['score'] == 100.0
    assert [m['name'] for m in result['metrics']] == ['latency_p95', 'success_rate', 'error_rate']   # cpu: judge false
    assert all(m['classification'] == 'pass' for m in result['metrics'])
    json.dumps(result, allow_nan=False)


def test_latency_regression_is_high_with_readable_reason():
    rng = random.Random(2)
    samples = healthy(rng)
    samples['latency_p95'] = {'canary': normal(rng, 67, 3), 'baseline': normal(rng, 60, 3)}
    result = J.judge(spec_with(), samples)
    latency = by_name(result)['latency_p95']
    assert latency['classification'] == 'high' and latency['failed']
    assert re.match(r'^latency_p95: canary higher than baseline \(HL shift \+[67]\.\d+ ms, \+1[0-2]\.\d%, p=\S+ < 0\.02\)$',
                    latency['reason']), latency['reason']
    # weights: latency 2 of 4 -> 50
    assert result['score'] == 50.0 and result['classification'] == 'fail'
    assert 'failed: latency_p95' in result['reason']


def test_improvement_in_the_good_direction_passes():
    rng = random.Random(3)
    samples = healthy(rng)
    samples['latency_p95'] = {'canary': normal(rng, 40, 3), 'baseline': normal(rng, 60, 3)}
    samples['success_rate'] = {'canary': normal(rng, 0.999, 0.0005), 'baseline': normal(rng, 0.99, 0.002)}
    result = J.judge(spec_with(), samples)
    assert result['classification'] == 'pass'
    assert 'which is better' in by_name(result)['latency_p95']['reason']
    assert by_name(result)['latency_p95']['shift'] < -15


def test_significant_but_small_effect_passes():
    rng = random.Random(4)
    samples = healthy(rng, n=2000)
    # +3% latency: clearly significant with 2000 samples, but within allowed_increase 1.1
    samples['latency_p95'] = {'canary': normal(rng, 61.8, 3, 2000), 'baseline': normal(rng, 60, 3, 2000)}
    latency = by_name(J.judge(spec_with(), samples))['latency_p95']
    assert latency['pvalue'] < 1e-6
    assert latency['classification'] == 'pass'
    assert 'within the allowed effect' in latency['reason']
    # the same data fails when any significant increase is forbidden
    strict = by_name(J.judge(spec_with(effect_size={'allowed_increase': 1.0}), samples))['latency_p95']
    assert strict['classification'] == 'high'


def test_higher_is_better_drop_is_low():
    rng = random.Random(5)
    samples = healthy(rng)
    samples['success_rate'] = {'canary': normal(rng, 0.80, 0.01), 'baseline': normal(rng, 0.99, 0.002)}
    metric = by_name(J.judge(spec_with(), samples))['success_rate']
    assert metric['classification'] == 'low' and metric['failed']
    assert metric['reason'].startswith('success_rate: canary lower than baseline (HL shift -0.')


def test_either_direction_fails_both_ways():
    spec = validate_spec(dict(RAW, metrics=[{'name': 'rps', 'query': 'x', 'direction': 'either'}]))
    rng = random.Random(6)
    for mean in (50.0, 150.0):
        result = J.judge(spec, {'rps': {'canary': normal(rng, mean, 5), 'baseline': normal(rng, 100, 5)}})
        assert result['metrics'][0]['failed'] and result['classification'] == 'fail'


def test_critical_failure_zeroes_the_score():
    rng = random.Random(7)
    samples = healthy(rng)
    samples['error_rate'] = {'canary': normal(rng, 0.05, 0.001), 'baseline': normal(rng, 0.01, 0.001)}
    result = J.judge(spec_with(), samples)
    assert result['score'] == 0.0 and result['classification'] == 'fail'
    assert result['critical_failures'] == ['error_rate']


def test_marginal_score():
    rng = random.Random(8)
    samples = healthy(rng)
    samples['success_rate'] = {'canary': normal(rng, 0.80, 0.01), 'baseline': normal(rng, 0.99, 0.002)}
    result = J.judge(spec_with(), samples)       # 3 of 4 weight pass -> 75
    assert result['score'] == 75.0 and result['classification'] == 'marginal'
    assert J.judge(spec_with(marginal_score=80), samples)['classification'] == 'fail'


def test_too_few_samples_is_nodata_and_not_scored():
    rng = random.Random(9)
    samples = healthy(rng)
    samples['success_rate'] = {'canary': normal(rng, 0.99, 0.002, 5), 'baseline': normal(rng, 0.99, 0.002)}
    result = J.judge(spec_with(), samples)
    metric = by_name(result)['success_rate']
    assert metric['classification'] == 'nodata'
    assert metric['reason'] == 'success_rate: too few samples (canary 5, baseline 60; need 10 each)'
    assert result['classification'] == 'pass' and result['score'] == 100.0
    assert '1 metric(s) without data not scored' in result['reason']


def test_missing_values_are_dropped_before_counting():
    rng = random.Random(10)
    samples = healthy(rng)
    samples['latency_p95']['canary'] = ['NaN', None, '+Inf'] * 20 + [str(v) for v in normal(rng, 60, 3, 8)]
    metric = by_name(J.judge(spec_with(), samples))['latency_p95']
    assert metric['dropped']['canary'] == 60 and metric['classification'] == 'nodata'


def test_nodata_everywhere_or_on_a_critical_metric_never_passes():
    assert J.judge(spec_with(), {})['classification'] == 'nodata'
    rng = random.Random(11)
    samples = healthy(rng)
    del samples['error_rate']           # critical, not sampled
    result = J.judge(spec_with(), samples)
    assert result['classification'] == 'nodata'
    assert by_name(result)['error_rate']['reason'] == 'error_rate: not sampled'


def test_fetch_error_makes_the_judge_error():
    samples = healthy(random.Random(12))
    samples['latency_p95'] = {'error': 'prometheus: 503'}
    result = J.judge(spec_with(), samples)
    assert result['classification'] == 'error'
    assert by_name(result)['latency_p95']['reason'] == 'latency_p95: fetching samples failed: prometheus: 503'


def test_outliers_are_removed_before_the_test():
    rng = random.Random(13)
    samples = healthy(rng, n=1000)
    canary = normal(rng, 60, 3, 1000)
    canary[:3] = [5000.0] * 3           # 0.3% of wild spikes (the top 1% is always kept, as in Kayenta)
    samples['latency_p95'] = {'canary': canary, 'baseline': normal(rng, 60, 3, 1000)}
    metric = by_name(J.judge(spec_with(), samples))['latency_p95']
    assert metric['outliers']['canary'] == 3 and metric['n_canary'] == 997
    kept = by_name(J.judge(spec_with(outliers={'method': 'none'}), samples))['latency_p95']
    assert kept['outliers']['canary'] == 0 and kept['n_canary'] == 1000
    tukey = by_name(J.judge(spec_with(outliers={'fence': 1.5, 'reduce_sensitivity': False}), samples))['latency_p95']
    assert tukey['outliers']['canary'] > 3


def test_confidence_interval_reported_when_asked():
    rng = random.Random(14)
    samples = healthy(rng)
    metric = by_name(J.judge(spec_with(confidence_interval=True), samples))['latency_p95']
    low, high = metric['ci']
    assert low <= metric['shift'] <= high
    assert by_name(J.judge(spec_with(), samples))['latency_p95']['ci'] is None


def test_zero_baseline_median_uses_absolute_min_effect():
    spec = validate_spec(dict(RAW, metrics=[{'name': 'errors', 'query': 'x', 'min_effect': 2}]))
    base = [0.0] * 40 + [1.0] * 10
    result = J.judge(spec, {'errors': {'canary': [1.0] * 30 + [2.0] * 20, 'baseline': base}})['metrics'][0]
    assert result['pvalue'] < 0.02 and result['shift'] == 1.0
    assert result['classification'] == 'pass' and '(baseline median 0)' in result['reason']
    result = J.judge(spec, {'errors': {'canary': [5.0] * 50, 'baseline': base}})['metrics'][0]
    assert result['classification'] == 'high'


def test_bad_samples_rejected():
    with pytest.raises(SpecError, match='samples.nope: unknown metric'):
        J.judge(spec_with(), {'nope': {'canary': [], 'baseline': []}})
    with pytest.raises(SpecError, match='samples.latency_p95'):
        J.judge(spec_with(), {'latency_p95': [1, 2, 3]})


def test_percentile_follows_commons_math():
    data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.5, 100.0]
    assert percentile(data, 25) == 3.25 and percentile(data, 75) == 9.75
    assert percentile(data, 1) == 1 and percentile(data, 99) == 100.0


def test_iqr_fences_and_sensitivity_reduction():
    data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.5, 100.0]
    assert fences(sorted(data), 'iqr', 3.0, reduce_sensitivity=False) == (3.25 - 19.5, 9.75 + 19.5)
    assert remove_outliers(data, 'iqr', 3.0, reduce_sensitivity=False) == (data[:-1], 1)
    # widened to the 99th percentile (Kayenta): a small sample keeps its tail
    assert remove_outliers(data, 'iqr', 3.0, reduce_sensitivity=True) == (data, 0)


def test_mad_and_none_methods():
    data = [10.0, 11.0, 9.0, 10.5, 9.5, 10.0, 42.0]
    assert remove_outliers(data, 'mad', 3.0) == (data[:-1], 1)
    assert remove_outliers([1.0, 1.0, 1.0, 9.0], 'mad', 3.0) == ([1.0, 1.0, 1.0, 9.0], 0)   # MAD 0: keep
    assert remove_outliers(data, 'none') == (data, 0)
    assert remove_outliers([1.0, 500.0], 'iqr', 1.5) == ([1.0, 500.0], 0)                   # too small to judge
    with pytest.raises(StatsError):
        remove_outliers(data, 'zscore')
