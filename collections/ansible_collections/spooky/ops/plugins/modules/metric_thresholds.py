#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: metric_thresholds
short_description: Check a table of Prometheus metrics against warning and critical thresholds in one go
version_added: 0.1.0
description:
  - The table version of P(spooky.ops.metric_threshold#module), for a health check with many thresholds per cluster
    (the daily check) - the same grading, one task, the queries run in parallel.
  - Each check's PromQL query is graded as V(ok), V(warning), V(critical) or V(unknown); with C(for), over the whole
    window as an alerting rule's C(for) does it.
  - For each check, a range query over O(trend_range) gives the trend (for a report's sparkline) and the time
    the breach still going on started (RV(results[].since)).
  - Every check is validated before any query; a bad one fails the task and names it.
  - An unreachable Prometheus is reported as data (RV(prometheus_available=false)), not a failure.
  - The module only reads; it never changes anything and runs fully in check mode.
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
  checks:
    description:
      - The thresholds, for example the output of P(spooky.ops.daily_check_thresholds#filter).
      - Keys of each check are C(name) and C(query) (required), C(direction) (V(above) or V(below), required),
        C(warning) and/or C(critical) (numbers), C(for) (a duration), C(no_data) (status without data, default
        V(unknown)), and C(severity), C(runbook), C(platform), C(metric), C(unit) and C(host), which are passed through
        to the result (C(host) lets one task grade the thresholds of many clusters sharing a Prometheus).
    type: list
    elements: dict
    required: true
  trend_range:
    description:
      - The window of the trend ending now, a Prometheus duration. V(0) turns the trend off.
    type: str
    default: 24h
  trend_points:
    description:
      - Number of points of the trend.
    type: int
    default: 96
  step:
    description:
      - Resolution of the C(for) windows (a Prometheus duration).
    type: str
    default: 15s
  parallel:
    description:
      - How many checks are queried at the same time.
    type: int
    default: 8
"""

EXAMPLES = r"""
- name: Euystacio's metric thresholds (seed 001) on one cluster
  spooky.ops.metric_thresholds:
    url: http://127.0.0.1:19090
    checks:
      - name: QEK
        query: euystacio_qek{cluster="lab-west"}
        direction: below
        warning: 0.88
        critical: 0.85
      - name: Accuracy
        query: spooky_canary_accuracy{cluster="lab-west"}
        direction: below
        critical: 0.7
        for: 30m
  register: thresholds

- name: Fail on a critical value
  ansible.builtin.assert:
    that: thresholds.results | selectattr('status', 'eq', 'critical') | list | length == 0
    fail_msg: "{{ thresholds.results | selectattr('status', 'eq', 'critical') | map(attribute='message') | join('; ') }}"
"""

RETURN = r"""
results:
  description: One entry per check, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The check's name.
      type: str
    status:
      description: V(ok), V(warning), V(critical) or V(unknown) (the worst series).
      type: str
    value:
      description: The value of the worst series, or null.
      type: float
    message:
      description: One line naming the check, the value and the thresholds.
      type: str
    since:
      description: When the breach still going on started (ISO 8601, UTC, at the trend's resolution); null when ok.
      type: str
    trend:
      description: The worst series over the trend window, as C([timestamp, value]) pairs (null for no value).
      type: list
    thresholds:
      description: The thresholds as checked (direction, warning, critical).
      type: dict
    series:
      description: Every series with its labels, value and status.
      type: list
  sample: [{"name": "QEK", "status": "critical", "value": 0.82, "since": "2026-01-31T02:00:00Z",
            "message": "QEK is critical: 0.82 (warning < 0.88, critical < 0.85) for cluster=lab-west"}]
prometheus_available:
  description: Whether Prometheus answered. When false, RV(results) is empty and RV(error) says why.
  returned: always
  type: bool
  sample: true
error:
  description: Why Prometheus could not be asked.
  returned: when prometheus_available is false
  type: str
  sample: "Prometheus at http://127.0.0.1:19090 is unreachable: [Errno 111] Connection refused"
url:
  description: The Prometheus URL asked.
  returned: always
  type: str
  sample: http://127.0.0.1:19090
checked_at:
  description: Unix time of the check.
  returned: always
  type: float
  sample: 1769824800.0
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusUnavailable
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.common import (
    prometheus_client,
    prometheus_common_argument_spec,
)
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.grading import grade_all
from ansible_collections.spooky.ops.plugins.module_utils.thresholds import Threshold, ThresholdError

_NO_DATA = ("unknown", "ok", "warning", "critical")


def _check_errors(checks):
    errors = []
    for index, check in enumerate(checks):
        where = "check #%d (%s)" % (index + 1, check.get("name") or "no name")
        for key in ("name", "query", "direction"):
            if not check.get(key):
                errors.append("%s: %s is required" % (where, key))
        if check.get("direction"):
            try:
                Threshold(check["direction"], warning=check.get("warning"), critical=check.get("critical"), name=where)
            except ThresholdError as exc:
                errors.append(str(exc))
        if check.get("for"):
            try:
                if parse_duration(check["for"]) <= 0:
                    errors.append("%s: for must be positive" % where)
            except ValueError as exc:
                errors.append("%s: for: %s" % (where, exc))
        if check.get("no_data") and check["no_data"] not in _NO_DATA:
            errors.append("%s: no_data must be one of %s" % (where, ", ".join(_NO_DATA)))
    return errors


def main():
    argument_spec = prometheus_common_argument_spec()
    argument_spec.update(
        checks=dict(type="list", elements="dict", required=True),
        trend_range=dict(type="str", default="24h"),
        trend_points=dict(type="int", default=96),
        step=dict(type="str", default="15s"),
        parallel=dict(type="int", default=8),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors = _check_errors(params["checks"])
    try:
        trend_range = parse_duration(params["trend_range"])
        step = parse_duration(params["step"])
    except ValueError as exc:
        errors.append(str(exc))
        trend_range = step = 0
    if step <= 0:
        errors.append("step must be positive")
    if params["trend_points"] < 0 or params["trend_points"] > 11000:
        errors.append("trend_points must be within 0..11000, got %d" % params["trend_points"])
    if params["parallel"] < 1:
        errors.append("parallel must be at least 1, got %d" % params["parallel"])
    if errors:
        module.fail_json(msg="invalid checks, nothing was queried: %s" % "; ".join(errors))

    now = time.time()
    result = dict(changed=False, prometheus_available=True, results=[], url=params["url"], checked_at=now)
    client = prometheus_client(module)
    try:
        result["results"] = grade_all(client, params["checks"], now, trend_range=trend_range,
                                      trend_points=params["trend_points"], step=step, workers=params["parallel"])
    except PrometheusUnavailable as exc:
        result.update(prometheus_available=False, error=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
