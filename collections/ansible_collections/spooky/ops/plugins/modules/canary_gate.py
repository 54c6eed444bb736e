#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: canary_gate
short_description: One analysis tick of a canary rollout - promote, continue, hold or rollback
version_added: 0.1.0
description:
  - Runs one tick of a canary analysis, as an Argo Rollouts AnalysisRun measurement or a Flagger check does.
    It queries Prometheus for every metric the current phase checks, grades each against the phase's thresholds,
    optionally runs a Kayenta-like statistical judge (Mann-Whitney U with a Hodges-Lehmann effect size)
    comparing the canary with the stable baseline, and returns a verdict with the reason for each metric.
  - No data, NaN or no traffic is C(inconclusive), never a pass; an unreachable Prometheus is an C(error).
    Both hold the rollout and roll it back past their limits. Nothing ever promotes on missing data.
  - The analysis state (phase, healthy time, failure counters) is returned in RV(state); pass it back as
    O(state) on the next tick.
  - The module only reads; it runs fully in check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.prometheus
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  analysis:
    description:
      - The analysis spec - C(metrics) (name, query, threshold, direction, weight, critical, interval, judge),
        C(phases) (weight, duration, thresholds; or C(step)/C(every)/C(until) for progressive steps), C(limits)
        (failure_limit, inconclusive_limit, error_limit), C(judge) (enabled, confidence, effect_size, outliers,
        pass_score, marginal_score, min_samples), C(interval), C(time_scale) and an optional C(traffic) query.
      - Queries are templates with the placeholders C($cluster), C($namespace), C($service), C($track) and
        C($interval); an unknown placeholder, unknown field, a weight outside 0-100 or phases whose weights do not
        increase are rejected before any query.
    type: dict
    required: true
  state:
    description:
      - The RV(state) of the previous tick. Omit it for the first tick.
    type: dict
  cluster:
    description:
      - Value of C($cluster) in the queries.
    type: str
    required: true
  namespace:
    description:
      - Value of C($namespace).
    type: str
    required: true
  service:
    description:
      - Value of C($service).
    type: str
    required: true
  canary_track:
    description:
      - Value of C($track) for the canary.
    type: str
    default: canary
  baseline_track:
    description:
      - Value of C($track) for the stable baseline the judge compares with.
    type: str
    default: stable
  judge_window:
    description:
      - How far back the judge samples both tracks (a Prometheus duration).
    type: str
    default: 10m
  judge_step:
    description:
      - Resolution of the judge's samples (a Prometheus duration).
    type: str
    default: 15s
  validate_only:
    description:
      - Only validate O(analysis) and return it normalized in RV(analysis) (phases expanded), without any query.
        A rollout does this before it changes anything.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Canary analysis tick
  spooky.ops.canary_gate:
    url: http://127.0.0.1:19090
    cluster: lab-east
    namespace: demo
    service: demo
    analysis:
      interval: 1m
      metrics:
        - name: error_rate
          query: >-
            sum(rate(http_requests_total{cluster="$cluster",track="$track",code=~"5.."}[$interval]))
            / sum(rate(http_requests_total{cluster="$cluster",track="$track"}[$interval]))
          direction: lower_is_better
      phases:
        - {weight: 5, duration: 10m, thresholds: {error_rate: 0.001}}
        - {weight: 20, duration: 15m, thresholds: {error_rate: 0.005}}
        - {step: 20, every: 5m, until: 100}
    state: "{{ previous.state | default(omit) }}"
  register: previous
"""

RETURN = r"""
verdict:
  description: V(promote), V(continue), V(hold) or V(rollback).
  returned: unless validate_only
  type: str
  sample: continue
reason:
  description: Why, in one line.
  returned: unless validate_only
  type: str
  sample: "phase 1 (5%): all checks passed"
weight:
  description: The canary weight the rollout should have now (the next phase's weight once a phase is complete).
  returned: unless validate_only
  type: int
  sample: 20
advanced:
  description: Whether this tick completed a phase.
  returned: unless validate_only
  type: bool
  sample: false
checks:
  description: Each metric's threshold check (status pass/fail/inconclusive/error, value, threshold, reason).
  returned: unless validate_only
  type: list
  elements: dict
judge:
  description: The statistical judge's result (classification, score, per-metric reasons), or null when off.
  returned: unless validate_only
  type: dict
table:
  description: For every metric, the canary and baseline values of this tick, its threshold and the query.
  returned: unless validate_only
  type: list
  elements: dict
state:
  description: The analysis state to pass to the next tick.
  returned: unless validate_only
  type: dict
analysis:
  description: The normalized analysis (every default filled in, progressive steps expanded into phases).
  returned: when validate_only
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import CanaryError, SpecError
from ansible_collections.spooky.ops.plugins.module_utils.canary.gate import run_tick
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusQueryError, PrometheusUnavailable
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.common import prometheus_client, prometheus_common_argument_spec


def _problems(exc):
    problems = getattr(exc, "problems", None)
    if problems:
        return "; ".join("%s: %s" % (path, message) if path else message for path, message in problems)
    return str(exc)


def main():
    argument_spec = prometheus_common_argument_spec()
    argument_spec.update(
        analysis=dict(type="dict", required=True),
        state=dict(type="dict"),
        cluster=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        service=dict(type="str", required=True),
        canary_track=dict(type="str", default="canary"),
        baseline_track=dict(type="str", default="stable"),
        judge_window=dict(type="str", default="10m"),
        judge_step=dict(type="str", default="15s"),
        validate_only=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        spec = validate_spec(params["analysis"])
        window, step = parse_duration(params["judge_window"]), parse_duration(params["judge_step"])
    except SpecError as exc:
        module.fail_json(msg="invalid analysis: %s" % _problems(exc))
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if window <= 0 or step <= 0:
        module.fail_json(msg="judge_window and judge_step must be positive")
    if params["validate_only"]:
        module.exit_json(changed=False, analysis=spec)
    labels = dict(cluster=params["cluster"], namespace=params["namespace"], service=params["service"])
    try:
        result = run_tick(prometheus_client(module), spec, params["state"], labels, PrometheusUnavailable,
                          judge_window=window, judge_step=step,
                          canary_track=params["canary_track"], baseline_track=params["baseline_track"])
    except PrometheusQueryError as exc:
        module.fail_json(msg="a query of the analysis was rejected: %s" % exc)
    except CanaryError as exc:
        module.fail_json(msg="canary analysis failed: %s" % _problems(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
