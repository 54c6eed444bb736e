#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: policy_bundle
short_description: Digest, read and publish the policy bundle a cluster runs
version_added: 0.1.0
description:
  - A policy bundle is a directory of C(.rego) files and C(data.json)/C(data.yaml) documents with a C(.manifest)
    (JSON with C(revision) and C(roots)), as OPA bundles are. Its digest is C(sha256:) followed by the SHA-256 of
    one line per file, sorted by path, C(<sha256 of the file>  <path>), then C(revision <manifest revision>). The
    same files and revision give the same digest anywhere; see also the P(spooky.ops.policy_digest#filter) filter.
  - In a cluster the bundle is a ConfigMap (O(name) in O(namespace)) whose data holds the files (a C(/) in a path
    is stored as C(__), since ConfigMap keys cannot hold it) and the C(.manifest), annotated with
    C(spooky.ops/policy-digest) and C(spooky.ops/policy-revision). An OPA sidecar can load it as a bundle directory.
  - Without O(state), the module only reads which bundle the cluster runs, from that ConfigMap or, with
    O(source=status), from an OPA status document; with O(src) it also says whether the cluster drifted from it and
    which files differ. The digest is recomputed from the ConfigMap's data, so an edit that left the annotation
    alone is still seen.
  - O(state=present) publishes O(src) to the cluster, O(state=absent) removes the ConfigMap. Both are idempotent
    and support check mode and diff mode.
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
  state:
    description:
      - V(present) makes the cluster's bundle ConfigMap hold exactly O(src).
      - V(absent) deletes the bundle ConfigMap.
      - When not set, the module reads the bundle the cluster runs and changes nothing.
    type: str
    choices: [present, absent]
  src:
    description:
      - The policy directory (the GitOps copy). Required for O(state=present), which also requires its C(.manifest).
      - Without O(state), the cluster's bundle is compared with it.
    type: path
  name:
    description:
      - Name of the bundle ConfigMap.
    type: str
    default: spooky-policy-bundle
  namespace:
    description:
      - Namespace of the bundle ConfigMap. It must exist for O(state=present).
    type: str
    default: spooky-system
  source:
    description:
      - Where the module reads the bundle from when O(state) is not set. V(configmap) is the cluster's bundle ConfigMap; V(status) is the
        O(status) document of an OPA, which tells the revision (and the digest only if the bundle's manifest
        carries it in C(metadata.spooky_digest)).
    type: str
    choices: [configmap, status]
    default: configmap
  status:
    description:
      - An OPA status document, as the status plugin sends it (C(bundles.<name>.active_revision)), or the answer of
        C(GET /v1/data/system/bundles) (C(result.<name>.manifest)). Required with O(source=status).
    type: dict
  bundle_name:
    description:
      - Which bundle of the O(status) document to read, when the OPA runs more than one.
    type: str
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Policy drift | which bundle does the cluster run?
  spooky.ops.policy_bundle:
    src: "{{ policy_drift_source }}"
    context: lab-west
  register: bundle

- name: Policy drift | resync from the GitOps directory
  spooky.ops.policy_bundle:
    state: present
    src: "{{ policy_drift_source }}"
    context: lab-west
  when: bundle.drift

- name: Which revision does this OPA run?
  spooky.ops.policy_bundle:
    source: status
    status: "{{ (lookup('ansible.builtin.url', opa_url ~ '/v1/data/system/bundles', split_lines=false)) | from_json }}"
    src: policies
"""

RETURN = r"""
expected:
  description: The bundle of O(src) (C(digest), C(revision), C(roots), C(files)); null without O(src).
  returned: always
  type: dict
  sample: {"digest": "sha256:6a0b...", "revision": "spooky.ops-0.1.0", "roots": ["spooky"], "files": ["peace_bonds/peace_bonds.rego"]}
found:
  description:
    - What the cluster (or the OPA) runs, with C(present), C(digest) (recomputed from the data), C(annotated_digest),
      C(revision) and C(files). Before the change for O(state=present) and O(state=absent).
  returned: always
  type: dict
  sample: {"present": true, "digest": "sha256:6a0b...", "annotated_digest": "sha256:6a0b...", "revision": "spooky.ops-0.1.0", "files": []}
drift:
  description: Whether the found bundle differs from O(src) (a missing bundle is a drift); null without O(src).
  returned: always
  type: bool
  sample: false
differences:
  description: Which files differ from O(src) (C(added) only in the cluster, C(removed) only in O(src), C(changed)), and C(revision) when it differs.
  returned: when src is given
  type: dict
  sample: {"added": [], "removed": [], "changed": ["peace_bonds/peace_bonds.rego"], "revision": null}
digest:
  description: The digest the cluster runs after the task (as it would be, in check mode); null when there is no bundle.
  returned: always
  type: str
  sample: sha256:6a0b...
cluster_available:
  description: Whether the cluster answered. When only reading, an unreachable cluster is reported, not a failure.
  returned: always
  type: bool
  sample: true
error:
  description: Why the cluster could not be read.
  returned: when cluster_available is false
  type: str
  sample: "lab-edge is unreachable: Connection refused"
"""

import copy

try:
    from kubernetes.dynamic.exceptions import ConflictError, DynamicApiError, NotFoundError
except ImportError:  # reported by AnsibleK8SModule
    pass

try:
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # urllib3 comes with kubernetes
    Urllib3Error = OSError

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as pb

ATTEMPTS = 3


class Unreachable(Exception):
    pass


def expected_bundle(src, require_manifest):
    files, manifest = pb.read_dir(src)
    if require_manifest and manifest is None:
        raise pb.BundleError("%s has no %s (JSON with revision and roots): a published bundle needs a revision" % (src, pb.MANIFEST))
    if not files:
        raise pb.BundleError("%s holds no .rego file nor data document" % src)
    return dict(files=files, manifest=manifest, digest=pb.digest(files, pb.revision_of(manifest)),
                revision=pb.revision_of(manifest), roots=(manifest or {}).get("roots", [""]))


def describe(found_obj):
    if found_obj is None:
        return dict(present=False, digest=None, annotated_digest=None, revision=None, files=[]), {}
    held = pb.from_configmap(found_obj)
    summary = dict(present=True, digest=held["digest"], annotated_digest=held["annotated_digest"], revision=held["revision"],
                   files=sorted(held["files"]))
    if held["problems"]:
        summary["problems"] = held["problems"]
    return summary, held


def drift_of(expected, found_summary, held):
    differences = pb.compare(expected["files"], held.get("files", {}))
    differences["revision"] = None
    if found_summary["present"] and found_summary["revision"] != expected["revision"]:
        differences["revision"] = dict(expected=expected["revision"], found=found_summary["revision"])
    return found_summary["digest"] != expected["digest"], differences


def read_configmap(client, resource, params):
    try:
        return client.get(resource, name=params["name"], namespace=params["namespace"]).to_dict()
    except NotFoundError:
        return None


def connect(module):
    """The client and the ConfigMap resource; Unreachable when the API cannot be reached."""
    try:
        client = get_api_client(module=module)
        return client, client.resource("ConfigMap", "v1")
    except (Urllib3Error, OSError) as exc:
        raise Unreachable(str(exc))
    except CoreException as exc:
        if isinstance(getattr(exc, "__cause__", None), (Urllib3Error, OSError)) or "connect" in str(exc).lower():
            raise Unreachable(str(exc))
        raise


def publish(module, client, resource, params, expected, obj):
    """(changed, result dict) of making the ConfigMap hold the expected bundle."""
    desired = pb.configmap(expected["files"], expected["manifest"], params["name"], params["namespace"])
    for _attempt in range(ATTEMPTS):
        if obj is None:
            body = desired
        else:
            body = copy.deepcopy(obj)
            meta = body["metadata"]
            meta["labels"] = dict(meta.get("labels") or {}, **desired["metadata"]["labels"])
            meta["annotations"] = dict(meta.get("annotations") or {}, **desired["metadata"]["annotations"])
            body["data"] = desired["data"]
            body.pop("binaryData", None)
            if body == obj:
                return False, obj
        if module.check_mode:
            return True, body
        try:
            if obj is None:
                return True, client.create(resource, body, namespace=params["namespace"]).to_dict()
            return True, client.replace(resource, body, name=params["name"], namespace=params["namespace"]).to_dict()
        except ConflictError:
            # Someone wrote in between (or created it): read again and start over.
            obj = read_configmap(client, resource, params)
    module.fail_json(msg="ConfigMap %s/%s kept changing under us: gave up after %d attempts" % (params["namespace"], params["name"], ATTEMPTS))


def diff_view(obj):
    if obj is None:
        return {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return dict(annotations=dict((k, v) for k, v in annotations.items() if k.startswith("spooky.ops/")), data=obj.get("data") or {})


def run(module):
    params = module.params
    result = dict(changed=False, cluster_available=True, expected=None, drift=None, digest=None)
    expected = None
    if params["src"]:
        expected = expected_bundle(params["src"], require_manifest=params["state"] == "present")
        result["expected"] = dict(digest=expected["digest"], revision=expected["revision"], roots=expected["roots"],
                                  files=sorted(expected["files"]))

    if params["source"] == "status":
        status = pb.from_opa_status(params["status"], params["bundle_name"])
        result["found"] = dict(present=True, digest=status["digest"], annotated_digest=None, revision=status["revision"],
                               files=[], bundle_name=status["name"])
        result["digest"] = status["digest"]
        if expected is not None:
            if status["digest"]:
                result["drift"] = status["digest"] != expected["digest"]
            else:
                result["drift"] = status["revision"] != expected["revision"]
            result["differences"] = dict(added=[], removed=[], changed=[], revision=None if status["revision"] == expected["revision"]
                                         else dict(expected=expected["revision"], found=status["revision"]))
        return result

    try:
        client, resource = connect(module)
        obj = read_configmap(client, resource, params)
    except Unreachable as exc:
        if params["state"] is not None:
            module.fail_json(msg="the cluster is unreachable: %s" % exc, cluster_available=False)
        result.update(cluster_available=False, error="the cluster is unreachable: %s" % exc,
                      found=dict(present=None, digest=None, annotated_digest=None, revision=None, files=[]))
        return result

    found, held = describe(obj)
    result["found"] = found
    result["digest"] = found["digest"]
    if expected is not None:
        result["drift"], result["differences"] = drift_of(expected, found, held)

    if params["state"] == "present":
        changed, after = publish(module, client, resource, params, expected, obj)
        result.update(changed=changed, digest=expected["digest"])
        if module._diff:
            result["diff"] = dict(before=diff_view(obj), after=diff_view(after))
    elif params["state"] == "absent" and obj is not None:
        result.update(changed=True, digest=None)
        if module._diff:
            result["diff"] = dict(before=diff_view(obj), after={})
        if not module.check_mode:
            try:
                client.delete(resource, name=params["name"], namespace=params["namespace"])
            except NotFoundError:
                pass
    return result


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        state=dict(type="str", choices=["present", "absent"]),
        src=dict(type="path"),
        name=dict(type="str", default="spooky-policy-bundle"),
        namespace=dict(type="str", default="spooky-system"),
        source=dict(type="str", default="configmap", choices=["configmap", "status"]),
        status=dict(type="dict"),
        bundle_name=dict(type="str"),
    )
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        argument_spec=argument_spec,
        required_if=[("state", "present", ("src",)), ("source", "status", ("status",))],
        supports_check_mode=True,
    )
    if module.params["source"] == "status" and module.params["state"] is not None:
        module.fail_json(msg="source=status reads an OPA status document: it cannot go with state (which writes to a cluster)")
    try:
        module.exit_json(**run(module))
    except pb.BundleError as exc:
        module.fail_json(msg=str(exc))
    except DynamicApiError as exc:
        module.fail_json(msg="the Kubernetes API refused the request: %s" % getattr(exc, "summary", lambda: exc)())
    except CoreException as exc:
        module.fail_from_exception(exc)


if __name__ == "__main__":
    main()
