#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: traffic_weight
short_description: Set the share of traffic a canary receives
version_added: 0.1.0
description:
  - Sets the canary's traffic weight (0 to 100 percent) on a Gateway API C(HTTPRoute) (backend C(weight)s),
    on the canary C(Ingress) of an ingress-nginx pair (C(nginx.ingress.kubernetes.io/canary-weight)), or on an
    OpenShift C(Route) (C(spec.to) for stable and a weighted C(spec.alternateBackends) entry for the canary).
  - Talks to the cluster through kubernetes.core's client, with the same connection options as
    M(kubernetes.core.k8s). Writes carry the object's C(resourceVersion), so a concurrent writer causes a
    re-read and a retry, never a lost update.
  - Idempotent; supports check mode and diff mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
options:
  provider:
    description:
      - How the cluster splits traffic. V(gateway) is a Gateway API HTTPRoute, V(nginx) the canary Ingress of
        ingress-nginx, V(openshift) an OpenShift Route.
    type: str
    choices: [gateway, nginx, openshift]
    required: true
  name:
    description:
      - Name of the HTTPRoute, of the canary Ingress, or of the Route.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the object.
    type: str
    required: true
  weight:
    description:
      - Percentage of requests for the canary, from 0 to 100. The stable backend gets the rest.
    type: int
    required: true
  stable_service:
    description:
      - The stable Service. Required for V(gateway) and V(openshift).
    type: str
  canary_service:
    description:
      - The canary Service. Required for V(gateway) and V(openshift). A backendRef or alternate backend for it
        is added where it is missing.
    type: str
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Send 5% of the requests to the canary (Gateway API)
  spooky.ops.traffic_weight:
    provider: gateway
    name: demo
    namespace: demo
    stable_service: demo-stable
    canary_service: demo-canary
    weight: 5
    context: lab-east

- name: Canary back to 0 on ingress-nginx
  spooky.ops.traffic_weight:
    provider: nginx
    name: demo-canary
    namespace: demo
    weight: 0
"""

RETURN = r"""
weight:
  description: The canary weight after the task.
  returned: success
  type: int
  sample: 5
previous_weight:
  description: The canary weight before the task; null if the object carried none.
  returned: success
  type: int
  sample: 0
patch:
  description: The merge patch sent (or, in check mode, that would be sent); null when nothing changed.
  returned: success
  type: dict
  sample: {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": "5"}}}
result:
  description: The object after the change (as it would be, in check mode).
  returned: success
  type: dict
  sample: {}
"""

import copy

try:
    from kubernetes.dynamic.exceptions import ConflictError, DynamicApiError, NotFoundError
except ImportError:  # reported by AnsibleK8SModule
    pass

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.spooky.ops.plugins.module_utils.traffic.weights import (
    PROVIDERS,
    TrafficError,
    read_weight,
    validate_weight,
    with_weight,
)

ATTEMPTS = 3  # re-reads after a conflicting concurrent write


def _merge(obj, patch):
    result = copy.deepcopy(obj)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def run(module, client):
    params = module.params
    provider = params["provider"]
    api_version, kind = PROVIDERS[provider]
    resource = client.resource(kind, api_version)
    for _attempt in range(ATTEMPTS):
        try:
            obj = client.get(resource, name=params["name"], namespace=params["namespace"]).to_dict()
        except NotFoundError:
            module.fail_json(msg="%s %s/%s not found" % (kind, params["namespace"], params["name"]))
        before = read_weight(provider, obj, params["stable_service"], params["canary_service"])
        patch = with_weight(provider, obj, params["weight"], params["stable_service"], params["canary_service"])
        result = dict(changed=patch is not None, weight=params["weight"], previous_weight=before, patch=patch)
        if module._diff:
            result["diff"] = dict(before=dict(weight=before), after=dict(weight=params["weight"]))
        if patch is None or module.check_mode:
            result["result"] = _merge(obj, patch or {})
            return result
        # The resourceVersion makes the write conditional: a concurrent change is a 409, and we start over.
        patch["metadata"] = dict(patch.get("metadata") or {}, resourceVersion=obj["metadata"]["resourceVersion"])
        try:
            result["result"] = client.patch(resource, patch, name=params["name"], namespace=params["namespace"],
                                            content_type="application/merge-patch+json").to_dict()
            return result
        except ConflictError:
            continue
    module.fail_json(msg="%s %s/%s kept changing under us: gave up after %d attempts" % (kind, params["namespace"], params["name"], ATTEMPTS))


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        provider=dict(type="str", required=True, choices=sorted(PROVIDERS)),
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        weight=dict(type="int", required=True),
        stable_service=dict(type="str"),
        canary_service=dict(type="str"),
    )
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        argument_spec=argument_spec,
        required_if=[("provider", "gateway", ("stable_service", "canary_service")),
                     ("provider", "openshift", ("stable_service", "canary_service"))],
        supports_check_mode=True,
    )
    try:
        validate_weight(module.params["weight"])
    except TrafficError as exc:
        module.fail_json(msg=str(exc))
    try:
        client = get_api_client(module=module)
        module.exit_json(**run(module, client))
    except TrafficError as exc:
        module.fail_json(msg=str(exc))
    except DynamicApiError as exc:
        module.fail_json(msg="the Kubernetes API refused the change: %s" % getattr(exc, "summary", lambda: exc)())
    except CoreException as exc:
        module.fail_from_exception(exc)


if __name__ == "__main__":
    main()
