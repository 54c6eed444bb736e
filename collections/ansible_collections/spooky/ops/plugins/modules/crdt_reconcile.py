#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: crdt_reconcile
short_description: Compare, merge, snapshot or rehydrate the federation replicas of several clusters
version_added: 0.1.0
description:
  - Reads the federation replica (see M(spooky.ops.federation_state)) of every cluster in O(clusters), one kubeconfig
    context each. A replica that fails validation (invalid JSON, digest mismatch, clock far in the future, altered or
    missing shard, foreign node id) is quarantined - reported with its reason, never merged and never overwritten (except
    by O(mode=rehydrate) with O(rehydrate_quarantined=true)). A cluster that cannot be reached is reported, not a failure.
  - Compares the digests and reports which clusters diverge from the join of the healthy replicas and on which keys
    (Merkle diff), and the conflicting keys (clusters holding different writes of a key) with the winning write.
  - O(mode=report) only reads. O(mode=reconcile) merges the join into every healthy replica, at most O(budget) keys per
    cluster per run (the rest is reported in RV(remaining)), with conditional writes - a concurrent writer causes a
    re-read and a re-merge. O(mode=snapshot) writes the primary's replica document to O(snapshot_path).
    O(mode=rehydrate) replaces the replicas of the dependents with the snapshot in O(snapshot_path) (every cluster then,
    the primary too - a roll back), or with the primary's replica when no snapshot is given.
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
  clusters:
    description:
      - Kubeconfig contexts of the clusters of the federation. Each context is also the cluster's node id.
    type: list
    elements: str
    required: true
  primary:
    description:
      - The primary cluster (source of snapshots and of rehydration). Defaults to the first of O(clusters).
    type: str
  mode:
    description:
      - What to do, see the description.
    type: str
    choices: [report, reconcile, snapshot, rehydrate]
    default: report
  budget:
    description:
      - Merge budget, the most keys applied per cluster in one run of O(mode=reconcile); V(0) means no limit.
    type: int
    default: 0
  snapshot_path:
    description:
      - File of the snapshot. Required with O(mode=snapshot); with O(mode=rehydrate) the source of the state.
    type: path
  rehydrate_quarantined:
    description:
      - With O(mode=rehydrate), also replace quarantined replicas (the recovery path of a corrupt replica).
    type: bool
    default: false
  max_report_keys:
    description:
      - How many differing keys per cluster, and how many conflicting keys, the result lists (counts are always complete).
    type: int
    default: 100
  namespace:
    description:
      - Namespace of the replica ConfigMaps.
    type: str
    default: spooky-federation
  store_name:
    description:
      - Name of the manifest ConfigMap; shards are C(<store_name>-shard-<i>).
    type: str
    default: spooky-federation
  shard_bytes:
    description:
      - Largest shard, in bytes.
    type: int
    default: 921600
requirements:
  - kubernetes >= 24.2.0
notes:
  - The O(context) option is ignored; O(clusters) lists the contexts.
"""

EXAMPLES = r"""
- name: Detect drift
  spooky.ops.crdt_reconcile:
    kubeconfig: "{{ spooky_kubeconfig }}"
    clusters: [lab-east, lab-west, lab-edge]
    mode: report
  register: drift

- name: Merge at most 500 keys per cluster
  spooky.ops.crdt_reconcile:
    kubeconfig: "{{ spooky_kubeconfig }}"
    clusters: [lab-east, lab-west, lab-edge]
    mode: reconcile
    budget: 500

- name: Rehydrate the dependents from the primary
  spooky.ops.crdt_reconcile:
    kubeconfig: "{{ spooky_kubeconfig }}"
    clusters: [lab-east, lab-west, lab-edge]
    primary: lab-east
    mode: rehydrate
"""

RETURN = r"""
converged:
  description: After the task, every cluster is reachable, none is quarantined and all digests are equal.
  returned: always
  type: bool
reachable_converged:
  description: After the task, the healthy reachable replicas have equal digests.
  returned: always
  type: bool
replicas:
  description: Per cluster, C(reachable), C(exists), C(digest) before and C(digest_after), C(quarantine) (reason and
    message, or null) and C(error) for an unreachable cluster.
  returned: always
  type: dict
quarantined:
  description: Quarantined replicas, each with C(cluster), C(reason) and C(message).
  returned: always
  type: list
  elements: dict
unreachable_clusters:
  description: Clusters that could not be read.
  returned: always
  type: list
  elements: str
divergence:
  description: Before the task, C(converged), C(diverged) clusters and per cluster the differing C(keys) (map to keys)
    and C(key_count).
  returned: always
  type: dict
conflicts:
  description: Keys with different writes on different clusters, each with C(map), C(key), the C(writes) (C(cluster),
    C(value), C(deleted), C(stamp)) and the C(winner).
  returned: always
  type: list
  elements: dict
conflict_count:
  description: Number of conflicting keys (the list may be cut at O(max_report_keys)).
  returned: always
  type: int
merge:
  description: Per cluster, C(applied) keys, C(remaining) keys beyond the budget, C(written) and C(conflicts) (409s).
  returned: when O(mode=reconcile)
  type: dict
remaining:
  description: Keys left for a later run because of the budget, summed over the clusters.
  returned: always
  type: int
snapshot:
  description: C(path), C(digest) and C(node) of the snapshot written or used.
  returned: when O(mode=snapshot) or O(mode=rehydrate)
  type: dict
rehydrated:
  description: Clusters whose replica was replaced.
  returned: always
  type: list
  elements: str
"""

import copy
import os

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import admit_replica
from ansible_collections.spooky.ops.plugins.module_utils.federation.reconcile import (
    budgeted_step,
    cluster_client_args,
    conflicts,
    divergence,
)
from ansible_collections.spooky.ops.plugins.module_utils.federation.store import KubernetesConfigMaps, ReplicaStore, StoreError


def validate(params):
    """Problems with the arguments, before anything is read."""
    problems = []
    clusters = params["clusters"]
    if not clusters or any(not name for name in clusters):
        problems.append("clusters must list at least one non-empty context")
    elif len(set(clusters)) != len(clusters):
        problems.append("clusters lists a context more than once")
    if params["primary"] and params["primary"] not in (clusters or []):
        problems.append("primary %r is not one of clusters" % params["primary"])
    if params["budget"] < 0:
        problems.append("budget must be >= 0 (0: no limit)")
    if params["mode"] == "snapshot" and not params["snapshot_path"]:
        problems.append("snapshot_path is required with mode=snapshot")
    if params["max_report_keys"] < 0:
        problems.append("max_report_keys must be >= 0")
    if not 4 <= params["shard_bytes"] <= 1024 * 1024:
        problems.append("shard_bytes must be between 4 and 1048576")
    return problems


def open_stores(params, connect):
    """cluster -> ReplicaStore (or the error text of an unreachable cluster)."""
    stores = {}
    for name in params["clusters"]:
        try:
            api = connect(cluster_client_args(params, name, AUTH_ARG_SPEC))
            stores[name] = ReplicaStore(api, name, params["namespace"], params["store_name"], params["shard_bytes"])
        except Exception as exc:  # pylint: disable=broad-except
            stores[name] = "cannot reach %s: %s" % (name, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return stores


def read_all(stores):
    replicas = {}
    reads = {}
    info = {}
    for name, store in stores.items():
        if not isinstance(store, ReplicaStore):
            info[name] = {"reachable": False, "error": store, "exists": None, "digest": None, "quarantine": None}
            continue
        try:
            stored = store.read()
        except Exception as exc:  # pylint: disable=broad-except
            info[name] = {"reachable": False, "error": "cannot read %s: %s" % (name, str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                          "exists": None, "digest": None, "quarantine": None}
            continue
        reads[name] = stored
        record = stored.quarantine.to_obj() if stored.quarantine is not None else None
        info[name] = {"reachable": True, "error": None, "exists": stored.exists, "quarantine": record,
                      "digest": stored.replica.root_digest() if record is None else None}
        if record is None:
            replicas[name] = stored.replica
    return replicas, reads, info


def load_snapshot(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    admission = admit_replica(raw)
    if not admission.ok:
        raise StoreError("snapshot %s is unusable (%s): %s" % (path, admission.quarantine.reason, admission.quarantine.message))
    return admission.replica


def run(module, connect):
    params = module.params
    clusters = params["clusters"]
    primary = params["primary"] or clusters[0]
    mode = params["mode"]
    stores = open_stores(params, connect)
    replicas, reads, info = read_all(stores)
    joined, before = divergence(replicas, params["max_report_keys"])
    conflict_list, conflict_count = conflicts(replicas, joined, params["max_report_keys"])
    result = dict(changed=False, divergence=before, conflicts=conflict_list, conflict_count=conflict_count, remaining=0, rehydrated=[],
                  quarantined=[dict(cluster=name, **info[name]["quarantine"]) for name in clusters if info[name]["quarantine"]],
                  unreachable_clusters=[name for name in clusters if not info[name]["reachable"]], primary=primary)
    after = dict(replicas)
    if mode == "reconcile" and joined is not None:
        result["merge"] = {}
        for name in sorted(replicas):
            if replicas[name].root_digest() == joined.root_digest():
                result["merge"][name] = dict(applied=0, remaining=0, written=False, conflicts=0)
                continue
            step = budgeted_step(joined, params["budget"])
            _stored, replica, changed, _outcome, lost = stores[name].update(step, check_mode=module.check_mode)
            after[name] = replica
            result["merge"][name] = dict(step.state, written=changed and not module.check_mode, conflicts=lost)
            result["remaining"] += step.state["remaining"]
            result["changed"] = result["changed"] or changed
    elif mode == "snapshot":
        if primary not in replicas:
            raise StoreError("the primary %s has no usable replica (%s): no snapshot taken" % (primary, info[primary]["error"] or info[primary]["quarantine"]))
        data = replicas[primary].encode()
        path = params["snapshot_path"]
        current = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                current = handle.read()
        result["snapshot"] = dict(path=path, digest=replicas[primary].root_digest(), node=primary)
        if current != data:
            result["changed"] = True
            if not module.check_mode:
                directory = os.path.dirname(path)
                if directory and not os.path.isdir(directory):
                    os.makedirs(directory)
                tmp = path + ".tmp"
                with open(tmp, "wb") as handle:
                    handle.write(data)
                os.rename(tmp, path)
    elif mode == "rehydrate":
        if params["snapshot_path"]:
            source = load_snapshot(params["snapshot_path"])
            targets = list(clusters)
        else:
            if primary not in replicas:
                raise StoreError("the primary %s has no usable replica: nothing to rehydrate from" % primary)
            source = replicas[primary]
            targets = [name for name in clusters if name != primary]
        result["snapshot"] = dict(path=params["snapshot_path"], digest=source.root_digest(), node=source.node_id)
        target_digest = source.root_digest()
        for name in targets:
            if name not in reads or (reads[name].quarantine is not None and not params["rehydrate_quarantined"]):
                continue

            def mutate(replica):
                if replica.root_digest() == target_digest:
                    return False
                replica.rehydrate_from(source)
                return True
            _stored, replica, changed, _outcome, _lost = stores[name].update(mutate, check_mode=module.check_mode,
                                                                             overwrite_quarantined=params["rehydrate_quarantined"])
            after[name] = replica
            if changed:
                result["rehydrated"].append(name)
                result["changed"] = True
                if reads[name].quarantine is not None:
                    result["quarantined"] = [entry for entry in result["quarantined"] if entry["cluster"] != name]
    for name in clusters:
        info[name]["digest_after"] = after[name].root_digest() if name in after else None
    result["replicas"] = info
    digests_after = set(info[name]["digest_after"] for name in after)
    result["reachable_converged"] = len(digests_after) <= 1
    result["converged"] = result["reachable_converged"] and len(after) == len(clusters)
    if module._diff:
        result["diff"] = dict(before=dict((name, info[name]["digest"]) for name in clusters),
                              after=dict((name, info[name]["digest_after"]) for name in clusters))
    return result


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        clusters=dict(type="list", elements="str", required=True),
        primary=dict(type="str"),
        mode=dict(type="str", default="report", choices=["report", "reconcile", "snapshot", "rehydrate"]),
        budget=dict(type="int", default=0),
        snapshot_path=dict(type="path"),
        rehydrate_quarantined=dict(type="bool", default=False),
        max_report_keys=dict(type="int", default=100, no_log=False),
        namespace=dict(type="str", default="spooky-federation"),
        store_name=dict(type="str", default="spooky-federation"),
        shard_bytes=dict(type="int", default=921600),
    )
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec, supports_check_mode=True)
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    def connect(args):
        return KubernetesConfigMaps(get_api_client(**args))
    try:
        module.exit_json(**run(module, connect))
    except StoreError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
