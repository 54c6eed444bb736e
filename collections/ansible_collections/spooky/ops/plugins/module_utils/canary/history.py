# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's history, tick by tick, and its report (JSON, Markdown, and the data of the chart)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math


def _num(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def tick_summary(result):
    """What a report needs of one canary_gate result: when, where, the weight, the verdict, the values."""
    state = result.get('state') or {}
    return {
        'tick': state.get('ticks'),
        'time': state.get('last_tick_at'),
        'phase': (result.get('phase') or {}).get('name') if isinstance(result.get('phase'), dict) else result.get('phase'),
        'weight': result.get('phase_weight', result.get('weight')),
        'next_weight': result.get('weight'),
        'verdict': result.get('verdict'),
        'outcome': result.get('outcome'),
        'reason': result.get('reason'),
        'metrics': dict((row['name'], {'canary': _num(row.get('canary')), 'baseline': _num(row.get('baseline')),
                                       'threshold': row.get('threshold'), 'error': row.get('error')})
                        for row in result.get('table') or []),
        'checks': [dict((k, c.get(k)) for k in ('name', 'status', 'reason')) for c in result.get('checks') or []],
        'judge': None if not result.get('judge') else {
            'classification': result['judge'].get('classification'), 'score': result['judge'].get('score'),
            'reason': result['judge'].get('reason')},
    }


def summarize(version, clusters):
    """The report document: `clusters` maps a cluster to {'outcome': ..., 'history': [...ticks]}."""
    outcomes = dict((name, info.get('outcome', 'unknown')) for name, info in clusters.items())
    if any(o == 'rolled_back' for o in outcomes.values()):
        overall = 'rolled_back'
    elif outcomes and all(o in ('promoted', 'unchanged') for o in outcomes.values()):
        overall = 'promoted' if any(o == 'promoted' for o in outcomes.values()) else 'unchanged'
    else:
        overall = 'incomplete'
    return {'version': version, 'outcome': overall, 'clusters': clusters}


def markdown(report):
    lines = ['# Canary rollout of %s: %s' % (report['version'], report['outcome'].replace('_', ' ')), '']
    for cluster in sorted(report['clusters']):
        info = report['clusters'][cluster]
        history = info.get('history') or []
        lines += ['## %s: %s' % (cluster, info.get('outcome', 'unknown').replace('_', ' ')), '']
        if info.get('reason'):
            lines += ['%s' % info['reason'], '']
        if not history:
            lines += ['No analysis ran on this cluster.', '']
            continue
        names = []
        for tick in history:
            for name in tick.get('metrics') or {}:
                if name not in names:
                    names.append(name)
        header = ['tick', 'weight', 'verdict'] + ['%s canary / stable' % n for n in names] + ['reason']
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '---|' * len(header))
        for tick in history:
            cells = [str(tick.get('tick')), '%s%%' % tick.get('weight'), str(tick.get('verdict'))]
            for name in names:
                m = (tick.get('metrics') or {}).get(name) or {}
                cells.append('%s / %s' % (_fmt(m.get('canary')), _fmt(m.get('baseline'))))
            cells.append(str(tick.get('reason') or '').replace('|', '\\|'))
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
    return '\n'.join(lines)


def _fmt(value):
    return '-' if value is None else '%.4g' % value


def chart_series(history):
    """Per metric: ticks, canary values, baseline values, thresholds; plus the weight steps."""
    series = {}
    for tick in history:
        for name, m in (tick.get('metrics') or {}).items():
            entry = series.setdefault(name, {'tick': [], 'canary': [], 'baseline': [], 'threshold': []})
            entry['tick'].append(tick.get('tick'))
            entry['canary'].append(m.get('canary'))
            entry['baseline'].append(m.get('baseline'))
            threshold = m.get('threshold')
            if isinstance(threshold, dict):
                threshold = threshold.get('max') if threshold.get('max') is not None else threshold.get('min')
            entry['threshold'].append(_num(threshold))
    weights = {'tick': [t.get('tick') for t in history], 'weight': [t.get('weight') for t in history]}
    return series, weights
