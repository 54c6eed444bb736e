# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kayenta-like statistical judge: canary samples against baseline samples, per metric.

Per metric (``judge: true``):

1. drop missing / NaN / infinite samples, then outliers (IQR fence by default);
2. fewer than ``min_samples`` values left on either side -> ``nodata``;
3. Mann-Whitney U test (two-sided, tie-corrected, continuity-corrected) of canary vs
   baseline, and the Hodges-Lehmann shift ``median(canary_i - baseline_j)``;
4. the change is *significant* when ``p < 1 - confidence``. A significant change in the
   metric's bad direction fails the metric -- ``high`` (worse because higher) or ``low`` --
   only if the shift also exceeds the allowed effect size, relative to the baseline median:
   ``shift > (allowed_increase - 1) * |median_baseline|`` (1.1 -> more than 10% worse) or
   ``-shift > (1 - allowed_decrease) * |median_baseline|``, and ``min_effect`` in absolute
   terms. A change in the good direction passes. ``either`` treats both directions as bad.

Score = 100 * (weight of passing metrics) / (weight of metrics with data); a failed
``critical`` metric forces 0. The judge's classification is ``pass`` (score >=
``pass_score``), ``marginal`` (>= ``marginal_score``) or ``fail``; ``nodata`` when no
metric had data or a critical metric had none (the judge cannot vouch for it), ``error``
when a metric's samples could not be fetched. Every metric gets a readable ``reason``,
e.g. ``latency_p95: canary higher than baseline (HL shift +6.1 ms, +11%, p=0.0004 < 0.02)``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.spooky.ops.plugins.module_utils.canary.checks import EITHER, HIGHER_IS_BETTER, LOWER_IS_BETTER
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.mann_whitney import compare_samples
from ansible_collections.spooky.ops.plugins.module_utils.canary.outliers import remove_outliers

PASS = 'pass'
MARGINAL = 'marginal'
FAIL = 'fail'
NODATA = 'nodata'
ERROR = 'error'
HIGH = 'high'
LOW = 'low'


def _finite(values):
    """Keep finite numbers (Prometheus strings accepted); return ``(kept, dropped)``."""
    if values is None:
        return [], 0
    values = list(values)
    try:
        fast = list(map(float, values))     # the common case: plain numbers or numeric strings
    except (TypeError, ValueError):
        fast = None
    if fast is not None and not any(isinstance(v, bool) for v in values):
        kept = list(filter(math.isfinite, fast))
        return kept, len(fast) - len(kept)
    kept = []
    dropped = 0
    for raw in values:
        try:
            value = float(raw) if raw is not None and not isinstance(raw, bool) else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if math.isfinite(value):
            kept.append(value)
        else:
            dropped += 1
    return kept, dropped


def _num(value, unit=''):
    text = '%.3g' % value
    if 'e' not in text and abs(value) >= 1000:
        text = '%.0f' % value
    return '%s %s' % (text, unit) if unit else text


def _signed(value, unit=''):
    return ('+' if value > 0 else '') + _num(value, unit)


def _pvalue(p):
    return '%.2g' % p if p >= 1e-4 else '%.1e' % p


def judge_metric(metric, canary, baseline, settings):
    """Classify one metric; ``settings`` is the normalized spec's ``judge`` section.

    Returns a JSON-able dict with ``classification`` (pass/high/low/nodata), ``failed``,
    ``reason`` and the statistics behind it.
    """
    name = metric['name']
    unit = metric.get('unit') or ''
    direction = metric.get('direction', LOWER_IS_BETTER)
    effect = metric.get('effect_size') or settings['effect_size']
    min_effect = float(metric.get('min_effect') or 0.0)
    confidence = settings['confidence']
    alpha = 1.0 - confidence
    outliers = settings['outliers']
    result = {
        'name': name, 'classification': NODATA, 'failed': False, 'critical': bool(metric.get('critical')),
        'weight': float(metric.get('weight', 1.0)), 'direction': direction, 'reason': '',
        'pvalue': None, 'shift': None, 'relative_shift': None, 'ci': None,
        'canary_median': None, 'baseline_median': None, 'n_canary': 0, 'n_baseline': 0,
        'dropped': {'canary': 0, 'baseline': 0}, 'outliers': {'canary': 0, 'baseline': 0},
    }
    can, result['dropped']['canary'] = _finite(canary)
    base, result['dropped']['baseline'] = _finite(baseline)
    can, result['outliers']['canary'] = remove_outliers(can, outliers['method'], outliers['fence'], outliers['reduce_sensitivity'])
    base, result['outliers']['baseline'] = remove_outliers(base, outliers['method'], outliers['fence'], outliers['reduce_sensitivity'])
    result['n_canary'], result['n_baseline'] = len(can), len(base)
    need = settings['min_samples']
    if len(can) < need or len(base) < need:
        result['reason'] = '%s: too few samples (canary %d, baseline %d; need %d each)' % (name, len(can), len(base), need)
        return result

    cmp = compare_samples(can, base, confidence=confidence if settings.get('confidence_interval') else None)
    pvalue, shift, median = cmp.test.pvalue, cmp.shift, cmp.y_median
    result.update(pvalue=pvalue, shift=shift, canary_median=cmp.x_median, baseline_median=median,
                  ci=list(cmp.ci) if cmp.ci is not None else None)
    relative = shift / abs(median) if median != 0 else None
    result['relative_shift'] = relative
    significant = pvalue < alpha
    stats = 'HL shift %s%s, p=%s %s %s' % (
        _signed(shift, unit), ', %s%%' % _signed(100.0 * relative) if relative is not None else ' (baseline median 0)',
        _pvalue(pvalue), '<' if significant else '>=', _pvalue(alpha))

    allowed_up = max(min_effect, (effect['allowed_increase'] - 1.0) * abs(median))
    allowed_down = max(min_effect, (1.0 - effect['allowed_decrease']) * abs(median))
    worse_up = direction in (LOWER_IS_BETTER, EITHER)
    worse_down = direction in (HIGHER_IS_BETTER, EITHER)
    result['classification'] = PASS
    if not significant or shift == 0:
        result['reason'] = '%s: no significant difference (%s)' % (name, stats)
    elif shift > 0 and worse_up:
        if shift > allowed_up:
            result.update(classification=HIGH, failed=True)
            result['reason'] = '%s: canary higher than baseline (%s)' % (name, stats)
        else:
            result['reason'] = '%s: canary higher than baseline but within the allowed effect (+%s) (%s)' % (
                name, _num(allowed_up, unit), stats)
    elif shift < 0 and worse_down:
        if -shift > allowed_down:
            result.update(classification=LOW, failed=True)
            result['reason'] = '%s: canary lower than baseline (%s)' % (name, stats)
        else:
            result['reason'] = '%s: canary lower than baseline but within the allowed effect (-%s) (%s)' % (
                name, _num(allowed_down, unit), stats)
    else:
        result['reason'] = '%s: canary %s than baseline, which is better (%s)' % (name, 'higher' if shift > 0 else 'lower', stats)
    return result


def judge(spec, samples):
    """Judge every ``judge: true`` metric of a validated ``spec`` and score the canary.

    ``samples`` maps a metric name to ``{'canary': [...], 'baseline': [...]}`` (numbers or
    Prometheus strings; missing/NaN values are dropped) or to ``{'error': 'message'}`` when
    fetching failed. A judged metric absent from ``samples`` is ``nodata``.

    Returns a JSON-able dict: ``classification`` (pass/marginal/fail/nodata/error),
    ``score`` (0-100 or ``None``), ``reason``, ``metrics`` (per-metric results) and
    ``critical_failures``.
    """
    if not isinstance(samples, dict):
        raise SpecError(('samples', 'must be a mapping of metric name to {canary, baseline} (got %s)' % type(samples).__name__))
    known = dict((m['name'], m) for m in spec['metrics'])
    problems = []
    for name, entry in samples.items():
        if name not in known:
            problems.append(('samples.%s' % name, 'unknown metric'))
        elif not isinstance(entry, dict) or not (set(entry) <= set(('canary', 'baseline', 'error'))):
            problems.append(('samples.%s' % name, 'must be a mapping with canary and baseline lists (or error)'))
    if problems:
        raise SpecError(problems)
    settings = spec['judge']
    results = []
    for metric in spec['metrics']:
        if not metric.get('judge', True):
            continue
        entry = samples.get(metric['name'])
        if entry is None:
            res = judge_metric(metric, [], [], settings)
            res['reason'] = '%s: not sampled' % metric['name']
        elif entry.get('error') is not None:
            res = judge_metric(metric, [], [], settings)
            res['classification'] = ERROR
            res['reason'] = '%s: fetching samples failed: %s' % (metric['name'], entry['error'])
        else:
            res = judge_metric(metric, entry.get('canary'), entry.get('baseline'), settings)
        results.append(res)
    return score(results, settings)


def score(results, settings):
    """Combine per-metric results into the judge verdict (see module doc)."""
    pass_score, marginal_score = settings['pass_score'], settings['marginal_score']
    out = {'classification': NODATA, 'score': None, 'pass_score': pass_score, 'marginal_score': marginal_score,
           'reason': '', 'metrics': results, 'critical_failures': []}
    with_data = [r for r in results if r['classification'] in (PASS, HIGH, LOW)]
    critical_failures = [r['name'] for r in with_data if r['failed'] and r['critical']]
    errors = [r['name'] for r in results if r['classification'] == ERROR]
    critical_nodata = [r['name'] for r in results if r['classification'] == NODATA and r['critical']]
    out['critical_failures'] = critical_failures
    failed = [r['name'] for r in with_data if r['failed']]
    if with_data:
        total = sum(r['weight'] for r in with_data)
        passed = sum(r['weight'] for r in with_data if not r['failed'])
        out['score'] = 0.0 if critical_failures else round(100.0 * passed / total, 6)
    if critical_failures:
        out['classification'] = FAIL
        out['reason'] = 'critical metric failed: %s (score 0)' % ', '.join(critical_failures)
    elif errors:
        out['classification'] = ERROR
        out['reason'] = 'samples could not be fetched for: %s' % ', '.join(errors)
    elif critical_nodata:
        out['classification'] = NODATA
        out['reason'] = 'no usable samples for critical metric: %s' % ', '.join(critical_nodata)
    elif not with_data:
        out['classification'] = NODATA
        out['reason'] = 'no metric had enough samples to judge'
    else:
        value = out['score']
        if value >= pass_score:
            out['classification'] = PASS
        elif value >= marginal_score:
            out['classification'] = MARGINAL
        else:
            out['classification'] = FAIL
        nodata = len(results) - len(with_data)
        out['reason'] = 'score %s: %s (pass >= %s, marginal >= %s)%s%s' % (
            _num(value), out['classification'], _num(pass_score), _num(marginal_score),
            '; failed: %s' % ', '.join(failed) if failed else '',
            '; %d metric(s) without data not scored' % nodata if nodata else '')
    return out
