# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout chart (PNG): per cluster, every metric per tick for canary and stable with its threshold,
and the weight steps. matplotlib is imported only here, and only when a chart is drawn."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io

from ansible_collections.spooky.ops.plugins.module_utils.canary.history import chart_series


def render_png(report):
    """PNG bytes of the chart; raises ImportError when matplotlib is missing."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    clusters = sorted(report['clusters'])
    metric_names = []
    for cluster in clusters:
        series, _weights = chart_series(report['clusters'][cluster].get('history') or [])
        for name in series:
            if name not in metric_names:
                metric_names.append(name)
    rows = len(metric_names) + 1
    fig, axes = pyplot.subplots(rows, max(1, len(clusters)), figsize=(4.5 * max(1, len(clusters)), 2.4 * rows), squeeze=False)
    fig.suptitle('Canary rollout of %s: %s' % (report['version'], report['outcome'].replace('_', ' ')))
    for col, cluster in enumerate(clusters):
        info = report['clusters'][cluster]
        series, weights = chart_series(info.get('history') or [])
        for row, name in enumerate(metric_names):
            ax = axes[row][col]
            data = series.get(name)
            if data:
                ax.plot(data['tick'], data['canary'], marker='o', markersize=3, label='canary', color='tab:orange')
                ax.plot(data['tick'], data['baseline'], marker='.', markersize=3, label='stable', color='tab:blue')
                ax.step(data['tick'], data['threshold'], where='post', linestyle='--', color='tab:red', label='threshold')
            ax.set_title('%s: %s' % (cluster, name), fontsize=9)
            ax.tick_params(labelsize=7)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
        ax = axes[rows - 1][col]
        ax.step(weights['tick'], weights['weight'], where='post', color='tab:green')
        ax.set_ylim(-5, 105)
        ax.set_title('%s: canary weight %% (%s)' % (cluster, info.get('outcome', '?').replace('_', ' ')), fontsize=9)
        ax.set_xlabel('tick', fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format='png', dpi=90, metadata={'Software': None})
    pyplot.close(fig)
    return out.getvalue()
