#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: prometheus_query
short_description: Run an instant or range PromQL query
version_added: 0.1.0
description:
  - Runs a PromQL query through the Prometheus HTTP API and returns the series with their values as numbers.
  - An unreachable server is reported with RV(prometheus_available=false), not as a failure; a query the server
    rejects fails the task with the server's message.
  - The module only reads and runs fully in check mode.
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
  query:
    description:
      - The PromQL expression.
    type: str
    required: true
  range:
    description:
      - Query this window ending at O(time) (a Prometheus duration such as V(30m)) instead of one instant.
    type: str
  step:
    description:
      - Resolution of a range query (a Prometheus duration).
    type: str
    default: 15s
  time:
    description:
      - Evaluation time as a Unix timestamp; defaults to now.
    type: float
"""

EXAMPLES = r"""
- name: Request rate per track
  spooky.ops.prometheus_query:
    url: http://127.0.0.1:19090
    query: sum by (track) (rate(http_requests_total{cluster="lab-east"}[1m]))
  register: rates

- name: Thirty minutes of canary p95 latency at 1-minute resolution
  spooky.ops.prometheus_query:
    url: http://127.0.0.1:19090
    query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{track="canary"}[1m])))
    range: 30m
    step: 1m
"""

RETURN = r"""
result_type:
  description: The Prometheus result type (V(vector), V(scalar), V(matrix), V(string)).
  returned: when prometheus_available is true
  type: str
  sample: vector
series:
  description:
    - For an instant query, each series' labels and value; for a range query, its labels and C(values) as C([timestamp, value]) pairs.
    - C(NaN) and infinities are returned as null.
  returned: always
  type: list
  elements: dict
  sample: [{"labels": {"track": "canary"}, "value": 1.2}]
query_warnings:
  description: Warnings the server attached to the answer.
  returned: always
  type: list
  elements: str
  sample: []
prometheus_available:
  description: Whether Prometheus answered.
  returned: always
  type: bool
  sample: true
error:
  description: Why Prometheus could not be asked.
  returned: when prometheus_available is false
  type: str
  sample: "Prometheus at http://127.0.0.1:19090 is unreachable: [Errno 111] Connection refused"
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import (
    PrometheusQueryError,
    PrometheusUnavailable,
    finite,
    to_float,
    vector_samples,
)
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.common import (
    prometheus_client,
    prometheus_common_argument_spec,
)


def _number(value):
    return value if finite(value) else None


def main():
    argument_spec = prometheus_common_argument_spec()
    argument_spec.update(
        query=dict(type="str", required=True),
        range=dict(type="str"),
        step=dict(type="str", default="15s"),
        time=dict(type="float"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        window = parse_duration(params["range"]) if params["range"] else None
        step = parse_duration(params["step"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if window is not None and (window <= 0 or step <= 0 or window / step > 11000):
        module.fail_json(msg="range and step must be positive and range/step at most 11000 (a Prometheus limit), got %s/%s"
                         % (params["range"], params["step"]))

    client = prometheus_client(module)
    result = dict(changed=False, prometheus_available=True, series=[], query_warnings=[])
    try:
        if window is None:
            data, warnings = client.instant(params["query"], params["time"])
            result["series"] = [dict(labels=labels, value=_number(value)) for labels, value in vector_samples(data)]
        else:
            end = params["time"] if params["time"] is not None else time.time()
            data, warnings = client.range(params["query"], end - window, end, step)
            result["series"] = [dict(labels=item.get("metric", {}), values=[[ts, _number(to_float(v))] for ts, v in item.get("values", [])])
                                for item in (data or {}).get("result", [])]
    except PrometheusQueryError as exc:
        module.fail_json(msg=str(exc), **result)
    except PrometheusUnavailable as exc:
        result.update(prometheus_available=False, error=str(exc))
        module.exit_json(**result)
    result.update(result_type=(data or {}).get("resultType"), query_warnings=list(warnings))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
