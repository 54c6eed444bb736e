# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One analysis tick against Prometheus: the queries, then checks, judge and verdict.

The client is anything with ``instant(query)`` and ``range(query, start, end, step)`` returning
``(data, warnings)`` and raising ``unavailable`` errors for a server it cannot reach (the
collection's PrometheusClient). A query the server rejects is a mistake in the spec and is raised;
an unreachable server is data: the metric's observation carries the error (ERROR, never a pass).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.spooky.ops.plugins.module_utils.canary.analysis import check_state, evaluate_tick, initial_state
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import QueryResultError
from ansible_collections.spooky.ops.plugins.module_utils.canary.promql import parse_instant_value, parse_range_values, render_query

CANARY, BASELINE = 'canary', 'stable'


def _instant(client, query, unavailable):
    """(value, error): the one value of an instant query, or why there is none."""
    try:
        data, _warnings = client.instant(query)
    except unavailable as exc:
        return None, str(exc)
    try:
        return parse_instant_value(data), None
    except QueryResultError as exc:
        return None, 'query %s: %s' % (query, exc)


def _range(client, query, start, end, step, unavailable):
    try:
        data, _warnings = client.range(query, start, end, step)
    except unavailable as exc:
        return None, str(exc)
    try:
        return parse_range_values(data), None
    except QueryResultError as exc:
        return None, 'query %s: %s' % (query, exc)


def _values(labels, track, interval):
    values = dict(labels)
    values.update(track=track, interval=interval)
    return values


def run_tick(client, spec, state, labels, unavailable, now=None, judge_window=600.0, judge_step=15.0,
             canary_track=CANARY, baseline_track=BASELINE):
    """Query what the current phase checks (and the judge needs) and return the tick's verdict.

    ``labels`` fills the label placeholders (cluster, namespace, service). The result is the
    analysis result (verdict, reason, state, checks, judge, ...) plus ``table``: for every metric,
    the canary and baseline values of this tick and the query used, for reports and charts.
    """
    now = time.time() if now is None else now
    current = initial_state(spec, now) if state is None else check_state(spec, state)
    if current['status'] != 'running':  # promoted or rolled back: the verdict sticks, nothing to query
        result = evaluate_tick(spec, current, {}, None, now=now)
        result.update(table=[], phase_weight=current['weight'])
        return result
    phase = spec['phases'][current['phase_index']]
    judged = spec['judge']['enabled']
    observations, table, samples = {}, [], ({} if judged else None)
    traffic = None
    if spec.get('traffic'):
        query = render_query(spec['traffic']['query'], _values(labels, canary_track, spec['interval']), 'traffic.query')
        traffic, error = _instant(client, query, unavailable)
        if error:
            traffic = None
    for metric in spec['metrics']:
        name = metric['name']
        checked = name in phase['thresholds']
        if not checked and not (judged and metric.get('judge', True)):
            continue
        canary_query = render_query(metric['query'], _values(labels, canary_track, metric['interval']), 'metrics.%s.query' % name)
        baseline_query = render_query(metric['query'], _values(labels, baseline_track, metric['interval']), 'metrics.%s.query' % name)
        value, error = _instant(client, canary_query, unavailable)
        baseline, baseline_error = _instant(client, baseline_query, unavailable)
        if checked:
            observations[name] = {'value': value, 'error': error}
        table.append({'name': name, 'canary': value, 'baseline': baseline, 'error': error or baseline_error,
                      'threshold': phase['thresholds'].get(name), 'query': canary_query})
        if judged and metric.get('judge', True):
            # Only samples of this analysis: the window never reaches back before it started (an earlier
            # rollout's canary, or a canary that had no traffic yet, is not evidence about this one).
            start = max(now - judge_window, current['started_at'])
            can, can_err = _range(client, canary_query, start, now, judge_step, unavailable)
            base, base_err = _range(client, baseline_query, start, now, judge_step, unavailable)
            samples[name] = {'error': can_err or base_err} if (can_err or base_err) else {'canary': can, 'baseline': base}
    kwargs = {'traffic': traffic} if spec.get('traffic') else {}
    result = evaluate_tick(spec, current, observations, samples, now=now, **kwargs)
    result['table'] = table
    result['phase_weight'] = phase['weight']
    return result
