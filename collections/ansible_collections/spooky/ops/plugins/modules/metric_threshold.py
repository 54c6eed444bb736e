#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: metric_threshold
short_description: Check a Prometheus metric against warning and critical thresholds
version_added: 0.1.0
description:
  - Runs a PromQL query and grades every returned series as V(ok), V(warning), V(critical) or V(unknown)
    against the thresholds, in the given direction.
  - With O(for), a series is graded over a window as an alerting rule's C(for) does it. It counts as
    breached only if every sample of the window breaches.
  - Missing data, C(NaN) and infinities are V(unknown), never V(ok) (see O(no_data)).
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
  name:
    description:
      - A name for the check, used in the message, for example V(HighErrorRate) or V(QEK).
    type: str
    required: true
  query:
    description:
      - The PromQL expression. Each series it returns is graded on its own.
    type: str
    required: true
  direction:
    description:
      - V(above) when higher values are worse (error rate, latency), V(below) when lower values are worse (QEK, trust score).
    type: str
    choices: [above, below]
    required: true
  warning:
    description:
      - Warning level. At least one of O(warning) and O(critical) is required.
      - With O(direction=above) it must not be above O(critical); with O(direction=below) not below it.
    type: float
  critical:
    description:
      - Critical level.
    type: float
  for:
    description:
      - Grade the series over this window ending now (a Prometheus duration such as V(5m) or V(30m)) instead of the instant value.
    type: str
  step:
    description:
      - Resolution of the window when O(for) is set (a Prometheus duration).
    type: str
    default: 15s
  no_data:
    description:
      - Status to report when the query returns no series at all.
    type: str
    choices: [unknown, ok, warning, critical]
    default: unknown
"""

EXAMPLES = r"""
- name: Error rate of the demo service (HighErrorRate, seed 002)
  spooky.ops.metric_threshold:
    url: http://127.0.0.1:19090
    name: HighErrorRate
    query: sum(rate(http_requests_total{code=~"5..",cluster="lab-east"}[5m])) / sum(rate(http_requests_total{cluster="lab-east"}[5m]))
    direction: above
    warning: 0.01
    critical: 0.05
    for: 5m
  register: error_rate

- name: Fail on a critical value
  ansible.builtin.assert:
    that: error_rate.status != 'critical'
    fail_msg: "{{ error_rate.message }}"

- name: QEK must stay at or above 0.85 (Euystacio, seed 001)
  spooky.ops.metric_threshold:
    url: https://prometheus.example.com
    ca_path: /etc/pki/prometheus-ca.pem
    bearer_token: "{{ prometheus_token }}"
    name: QEK
    query: euystacio_qek
    direction: below
    warning: 0.88
    critical: 0.85
"""

RETURN = r"""
status:
  description: The worst status over all series (V(ok) < V(unknown) < V(warning) < V(critical)).
  returned: always
  type: str
  sample: warning
value:
  description: The value of the worst series, or null when there is none.
  returned: always
  type: float
  sample: 0.023
series:
  description: Every series with its labels, value and status.
  returned: always
  type: list
  elements: dict
  sample: [{"labels": {"cluster": "lab-east"}, "value": 0.023, "status": "warning"}]
message:
  description: One line for a human, naming the check, the value and the thresholds.
  returned: always
  type: str
  sample: "HighErrorRate is warning: 0.023 (warning > 0.01, critical > 0.05) for cluster=lab-east"
prometheus_available:
  description: Whether Prometheus answered. When false, RV(status) is V(unknown) and RV(error) says why.
  returned: always
  type: bool
  sample: true
error:
  description: Why Prometheus could not be asked.
  returned: when prometheus_available is false
  type: str
  sample: "Prometheus at http://127.0.0.1:19090 is unreachable: [Errno 111] Connection refused"
thresholds:
  description: The thresholds as checked.
  returned: always
  type: dict
  sample: {"direction": "above", "warning": 0.01, "critical": 0.05}
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import (
    PrometheusQueryError,
    PrometheusUnavailable,
    finite,
    matrix_samples,
    vector_samples,
)
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.common import (
    prometheus_client,
    prometheus_common_argument_spec,
)
from ansible_collections.spooky.ops.plugins.module_utils.thresholds import UNKNOWN, Threshold, ThresholdError, worst


def _series_label(labels):
    return ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()) if k != "__name__") or "(no labels)"


def main():
    argument_spec = prometheus_common_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        query=dict(type="str", required=True),
        direction=dict(type="str", required=True, choices=["above", "below"]),
        warning=dict(type="float"),
        critical=dict(type="float"),
        step=dict(type="str", default="15s"),
        no_data=dict(type="str", default="unknown", choices=["unknown", "ok", "warning", "critical"]),
    )
    argument_spec["for"] = dict(type="str")
    module = AnsibleModule(argument_spec=argument_spec, required_one_of=[("warning", "critical")], supports_check_mode=True)
    params = module.params

    try:
        threshold = Threshold(params["direction"], warning=params["warning"], critical=params["critical"], name=params["name"])
        window = parse_duration(params["for"]) if params["for"] else None
        step = parse_duration(params["step"])
    except (ThresholdError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    if window is not None and (window <= 0 or step <= 0 or window / step > 11000):
        module.fail_json(msg="for and step must be positive and for/step at most 11000 (a Prometheus limit), got %s/%s"
                         % (params["for"], params["step"]))

    result = dict(changed=False, prometheus_available=True, series=[], value=None,
                  thresholds=dict(direction=threshold.direction, warning=threshold.warning, critical=threshold.critical))
    client = prometheus_client(module)
    try:
        if window is None:
            data, _warnings = client.instant(params["query"])
            graded = [(labels, value, threshold.evaluate(value)) for labels, value in vector_samples(data)]
        else:
            end = time.time()
            data, _warnings = client.range(params["query"], end - window, end, step)
            graded = [(labels, values[-1] if values else None, threshold.evaluate_window(values))
                      for labels, values in matrix_samples(data)]
    except PrometheusQueryError as exc:
        module.fail_json(msg=str(exc), **result)
    except PrometheusUnavailable as exc:
        result.update(prometheus_available=False, status=UNKNOWN, error=str(exc),
                      message="%s is unknown: %s" % (params["name"], exc))
        module.exit_json(**result)

    # NaN and infinities are not JSON: they are reported as null with status unknown.
    graded = [(labels, value if finite(value) else None, status) for labels, value, status in graded]
    result["series"] = [dict(labels=labels, value=value, status=status) for labels, value, status in graded]
    if not graded:
        result["status"] = params["no_data"]
        result["message"] = "%s is %s: the query returned no data (%s)" % (params["name"], params["no_data"], threshold.describe())
        module.exit_json(**result)

    status = worst(s for _l, _v, s in graded)
    labels, value, _s = next(item for item in graded if item[2] == status)
    result.update(status=status, value=value)
    held = " for %s" % params["for"] if window else ""
    result["message"] = "%s is %s: %s%s (%s) for %s" % (params["name"], status, "%g" % value if value is not None else "no value",
                                                        held, threshold.describe(), _series_label(labels))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
