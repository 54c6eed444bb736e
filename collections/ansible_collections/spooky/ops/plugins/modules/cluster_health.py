#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_health
short_description: Pods not Ready or restarting, Deployments below desired replicas and HPAs at their maximum
version_added: 0.1.0
description:
  - Lists the Pods, Deployments and HorizontalPodAutoscalers of the given namespaces of one cluster in one task
    and returns only what an engineer should look at (Euystacio's daily health check, seed 001; ORCA's
    post-deploy checklist, seed 003).
  - Pods that are not Ready (completed ones excepted) or whose containers restarted at least O(restart_warning)
    times, as P(spooky.ops.pod_findings#filter) reports them; Deployments whose ready replicas are below
    C(spec.replicas); HPAs whose current or desired replicas reached C(spec.maxReplicas).
  - An unreachable cluster is reported as data (RV(reachable=false) and RV(error)), never as a failed task, so
    the other clusters of a play are still checked.
  - The module only reads and runs fully in check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
requirements:
  - kubernetes (the Python client, as for kubernetes.core)
options:
  kubeconfig:
    description:
      - Path to the kubeconfig. Defaults to the client's default (E(KUBECONFIG) or C(~/.kube/config)).
    type: path
  context:
    description:
      - The kubeconfig context of the cluster; defaults to the current context.
      - Mutually exclusive with O(clusters).
    type: str
  clusters:
    description:
      - Check several clusters in one task, O(parallel) at a time (a fleet's daily check) - a list of C(name),
        C(context) and optionally C(kubeconfig) and C(namespaces). The result is then in RV(clusters).
    type: list
    elements: dict
  parallel:
    description:
      - How many clusters of O(clusters) are checked at the same time.
    type: int
    default: 8
  namespaces:
    description:
      - Namespaces to check. An empty list checks every namespace.
    type: list
    elements: str
    default: []
  restart_warning:
    description:
      - Restart count (summed over a pod's containers) from which a Ready pod is reported.
    type: int
    default: 5
  timeout:
    description:
      - Seconds to wait for each answer of the API server.
    type: float
    default: 10.0
"""

EXAMPLES = r"""
- name: What needs attention in the demo namespace of lab-west
  spooky.ops.cluster_health:
    kubeconfig: "{{ spooky_kubeconfig }}"
    context: lab-west
    namespaces: [demo, kube-system]
  register: health

- name: The cluster must answer
  ansible.builtin.assert:
    that: health.reachable
    fail_msg: "Kubernetes API of lab-west unreachable: {{ health.error }}"
"""

RETURN = r"""
reachable:
  description: Whether the API server answered.
  returned: without clusters
  type: bool
  sample: true
error:
  description: Why the cluster could not be checked.
  returned: when reachable is false
  type: str
  sample: "HTTPSConnectionPool(host='127.0.0.1', port=16443): Max retries exceeded (Connection refused)"
pods:
  description: Pods not Ready or restarting (namespace, name, ready, phase, restarts, reason, since).
  returned: without clusters
  type: list
  elements: dict
  sample: [{"namespace": "demo", "name": "demo-canary-abc", "ready": false, "phase": "Running", "restarts": 7,
            "reason": "CrashLoopBackOff", "since": "2026-01-31T02:00:00Z"}]
deployments:
  description: Deployments below their desired replicas (namespace, name, desired, ready, available, since).
  returned: without clusters
  type: list
  elements: dict
  sample: [{"namespace": "demo", "name": "demo-canary", "desired": 1, "ready": 0, "available": 0}]
hpas:
  description: HPAs at their maximum (namespace, name, current, desired, max, since).
  returned: without clusters
  type: list
  elements: dict
  sample: []
counts:
  description: How many objects of each kind were checked.
  returned: without clusters
  type: dict
  sample: {"pods": 4, "deployments": 2, "hpas": 1}
context:
  description: The context checked.
  returned: without clusters
  type: str
  sample: lab-west
checked_at:
  description: Unix time of the check.
  returned: without clusters
  type: float
  sample: 1769824800.0
clusters:
  description: With O(clusters), one result per cluster (its C(name) and every key above).
  returned: when clusters is given
  type: list
  elements: dict
  sample: [{"name": "lab-east", "reachable": true, "pods": [], "deployments": [], "hpas": []}]
"""

import json
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.pod_health import pod_findings
from ansible_collections.spooky.ops.plugins.module_utils.workload_health import deployment_findings, hpa_findings

try:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()

# kind -> (API class, namespaced list method, all-namespaces list method)
_LISTS = (
    ("pods", "CoreV1Api", "list_namespaced_pod", "list_pod_for_all_namespaces"),
    ("deployments", "AppsV1Api", "list_namespaced_deployment", "list_deployment_for_all_namespaces"),
    ("hpas", "AutoscalingV2Api", "list_namespaced_horizontal_pod_autoscaler", "list_horizontal_pod_autoscaler_for_all_namespaces"),
)


def _error_text(exc):
    text = str(getattr(exc, "reason", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _list(api_client, api_name, namespaced, everywhere, namespaces, timeout):
    api = getattr(k8s_client, api_name)(api_client)
    items = []
    targets = namespaces or [None]
    for namespace in targets:
        try:
            if namespace is None:
                response = getattr(api, everywhere)(_preload_content=False, _request_timeout=timeout)
            else:
                response = getattr(api, namespaced)(namespace, _preload_content=False, _request_timeout=timeout)
        except Exception as exc:  # pylint: disable=broad-except
            if getattr(exc, "status", None) == 404:
                continue  # a namespace (or an API group) this cluster does not have: nothing to check there
            raise
        items.extend(json.loads(response.data).get("items") or [])
    return items


def check_cluster(kubeconfig, context, namespaces, restart_warning, timeout):
    """One cluster's findings as a dict; an unreachable cluster or an unusable kubeconfig is data, not an exception."""
    result = dict(reachable=True, context=context, pods=[], deployments=[], hpas=[], counts={}, checked_at=time.time())
    try:
        configuration = k8s_client.Configuration()
        k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration,
                                    persist_config=False)
    except Exception as exc:  # pylint: disable=broad-except
        result.update(reachable=False, error="kubeconfig %s, context %s: %s" % (kubeconfig or "(default)", context, _error_text(exc)))
        return result
    configuration.retries = False  # one attempt: an unreachable cluster is reported, not retried for a minute
    api_client = k8s_client.ApiClient(configuration)
    objects = {}
    try:
        for kind, api_name, namespaced, everywhere in _LISTS:
            objects[kind] = _list(api_client, api_name, namespaced, everywhere, namespaces, timeout)
    except Exception as exc:  # pylint: disable=broad-except
        status = getattr(exc, "status", None)
        result.update(reachable=False, error=("HTTP %s: %s" % (status, _error_text(exc))) if status else _error_text(exc))
        return result
    finally:
        api_client.close()
    result["pods"] = pod_findings(objects.get("pods") or [], restart_warning=restart_warning)
    result["deployments"] = deployment_findings(objects.get("deployments") or [])
    result["hpas"] = hpa_findings(objects.get("hpas") or [])
    result["counts"] = dict((kind, len(objects.get(kind) or [])) for kind, _a, _n, _e in _LISTS)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubeconfig=dict(type="path"),
            context=dict(type="str"),
            clusters=dict(type="list", elements="dict"),
            namespaces=dict(type="list", elements="str", default=[]),
            restart_warning=dict(type="int", default=5),
            timeout=dict(type="float", default=10.0),
            parallel=dict(type="int", default=8),
        ),
        mutually_exclusive=[("clusters", "context")],
        supports_check_mode=True,
    )
    p = module.params
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    if p["restart_warning"] < 1:
        module.fail_json(msg="restart_warning must be at least 1, got %d" % p["restart_warning"])
    if p["timeout"] <= 0 or p["parallel"] < 1:
        module.fail_json(msg="timeout must be greater than 0 and parallel at least 1, got %s and %s" % (p["timeout"], p["parallel"]))

    def one(spec):
        return check_cluster(spec.get("kubeconfig") or p["kubeconfig"], spec.get("context"),
                             spec.get("namespaces") if spec.get("namespaces") is not None else p["namespaces"],
                             p["restart_warning"], p["timeout"])

    try:
        if p["clusters"] is None:
            module.exit_json(changed=False, **one(dict(context=p["context"])))
        for index, spec in enumerate(p["clusters"]):
            if not spec.get("name") or not spec.get("context"):
                module.fail_json(msg="clusters[%d] needs a name and a context, got %r" % (index, spec))
        with ThreadPoolExecutor(max_workers=max(1, min(p["parallel"], len(p["clusters"])))) as pool:
            results = list(pool.map(one, p["clusters"]))
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="unexpected objects from the API server: %s" % exc)
    for spec, result in zip(p["clusters"], results):
        result["name"] = spec["name"]
    module.exit_json(changed=False, clusters=results)


if __name__ == "__main__":
    main()
