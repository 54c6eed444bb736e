#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alerts_info
short_description: List the firing alerts of Prometheus and Alertmanager
version_added: 0.1.0
description:
  - Reads the firing alerts from Prometheus (C(/api/v1/alerts)) and, when O(alertmanager_url) is set, from
    Alertmanager (C(/api/v2/alerts), silenced and inhibited ones left out), and returns them as one list; an alert
    both know is listed once with both sources.
  - O(matchers) keeps the alerts of one cluster, for example V(cluster=lab-east) as a dict.
  - A source that cannot be read is reported in RV(sources) with its error, not as a failure.
  - Euystacio's daily health check (seed 001), step 4 "Recent Alerts".
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
  prometheus:
    description:
      - Read the alerts of Prometheus at O(url). With V(false), only Alertmanager is read (O(url) is still required).
    type: bool
    default: true
  alertmanager_url:
    description:
      - Base URL of Alertmanager. The connection options of Prometheus (token, CA, certificate checks) apply to it too.
    type: str
  matchers:
    description:
      - Label values an alert must have to be listed.
    type: dict
    default: {}
  unlabelled:
    description:
      - Also list the alerts that carry none of the O(matchers) labels (fleet-wide alerts).
    type: bool
    default: false
  ignore:
    description:
      - Alert names never listed, for example an always-firing V(Watchdog).
    type: list
    elements: str
    default: [Watchdog, InfoInhibitor]
  include_pending:
    description:
      - Also list Prometheus alerts whose C(for) has not elapsed yet.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Firing alerts of lab-east
  spooky.ops.alerts_info:
    url: http://127.0.0.1:19090
    alertmanager_url: http://127.0.0.1:19093
    matchers:
      cluster: lab-east
  register: firing

- name: Show them
  ansible.builtin.debug:
    msg: "{{ firing.alerts | map(attribute='name') | list }}"
"""

RETURN = r"""
alerts:
  description: The firing alerts, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The C(alertname) label.
      type: str
    state:
      description: V(firing) (or V(pending) with O(include_pending)).
      type: str
    since:
      description: When it started firing (Prometheus C(activeAt), Alertmanager C(startsAt); the earliest).
      type: str
    severity:
      description: The C(severity) label, if any.
      type: str
    priority:
      description: The C(priority) label (P0-P3), if any.
      type: str
    labels:
      description: All labels.
      type: dict
    sources:
      description: Where it was seen, V(prometheus) and/or V(alertmanager).
      type: list
  sample: [{"name": "SpookyDailyCostHigh", "state": "firing", "since": "2026-01-31T02:00:00Z", "severity": "critical",
            "labels": {"alertname": "SpookyDailyCostHigh", "cluster": "lab-east"}, "sources": ["prometheus", "alertmanager"]}]
sources:
  description: Each source asked, whether it answered, and why not.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "prometheus", "url": "http://127.0.0.1:19090", "available": true, "count": 1}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils import alerts as alert_utils
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.alertmanager import AlertmanagerClient
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusError, PrometheusUnavailable
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.common import (
    prometheus_client,
    prometheus_common_argument_spec,
)


def main():
    argument_spec = prometheus_common_argument_spec()
    argument_spec.update(
        prometheus=dict(type="bool", default=True),
        alertmanager_url=dict(type="str"),
        matchers=dict(type="dict", default={}),
        unlabelled=dict(type="bool", default=False),
        ignore=dict(type="list", elements="str", default=["Watchdog", "InfoInhibitor"]),
        include_pending=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    sources, lists = [], []

    if params["prometheus"]:
        entry = dict(name="prometheus", url=params["url"], available=True)
        try:
            raw = prometheus_client(module).alerts()
            lists.append(alert_utils.from_prometheus(raw, include_pending=params["include_pending"]))
            entry["count"] = len(lists[-1])
        except PrometheusUnavailable as exc:
            entry.update(available=False, error=str(exc))
        except PrometheusError as exc:
            module.fail_json(msg=str(exc))
        sources.append(entry)

    if params["alertmanager_url"]:
        entry = dict(name="alertmanager", url=params["alertmanager_url"], available=True)
        try:
            client = AlertmanagerClient(params["alertmanager_url"], bearer_token=params["bearer_token"], username=params["username"],
                                        password=params["password"], validate_certs=params["validate_certs"],
                                        ca_path=params["ca_path"], timeout=params["timeout"], headers=params["headers"])
            lists.append(alert_utils.from_alertmanager(client.alerts()))
            entry["count"] = len(lists[-1])
        except PrometheusUnavailable as exc:
            entry.update(available=False, error=str(exc))
        except PrometheusError as exc:
            module.fail_json(msg=str(exc))
        sources.append(entry)

    alerts = alert_utils.select(alert_utils.merge(*lists), params["matchers"], unlabelled=params["unlabelled"],
                                ignore=params["ignore"])
    module.exit_json(changed=False, alerts=alerts, sources=sources)


if __name__ == "__main__":
    main()
