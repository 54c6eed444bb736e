#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: federation_state
short_description: Read or update one cluster's federation replica (CRDT state in ConfigMaps)
version_added: 0.1.0
description:
  - Reads the federation replica a cluster keeps in ConfigMaps (a manifest ConfigMap and its shards, see
    O(namespace) and O(store_name)), validates it and returns its content, digest and quarantine status.
  - Applies one local update stamped with the cluster's hybrid logical clock - set or delete a key of an LWW map
    (C(router_weights), C(promotions), ...), add or remove a quarantined capability, add spend.
  - Writes are conditional (they carry the C(resourceVersion) read); a concurrent writer causes a re-read and the
    update is applied again to the fresh state, never an overwrite. A replica that fails validation (invalid JSON,
    digest mismatch, clock far in the future, altered shard) is quarantined - reported, never overwritten.
  - Idempotent for O(operation=set), O(operation=delete), O(operation=quarantine) and O(operation=release) (the same
    value again is no change); O(operation=add_spend) always records the amount. Supports check mode and diff mode.
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
  operation:
    description:
      - V(read) only reads. V(set) writes O(value) under O(key) in O(map); V(delete) deletes O(key) from O(map).
      - V(quarantine) adds O(capability) to the quarantined set, V(release) removes it.
      - V(add_spend) adds O(amount) to this cluster's spend counter.
    type: str
    choices: [read, set, delete, quarantine, release, add_spend]
    default: read
  map:
    description:
      - The LWW map, for example V(router_weights) or V(promotions). Lowercase letters, digits and underscores.
    type: str
  key:
    description:
      - The key in O(map). Required with O(operation=set) and O(operation=delete).
    type: str
  value:
    description:
      - The value to store (any JSON value except null). Required with O(operation=set).
    type: raw
  capability:
    description:
      - The capability to quarantine or release.
    type: str
  amount:
    description:
      - Spend to add, a positive integer in minor units.
    type: int
  keys:
    description:
      - Keys of O(map) whose full entries (value, HLC stamp, deleted) are returned in RV(entries).
    type: list
    elements: str
    default: []
  node_id:
    description:
      - This cluster's node id in the federation (HLC tie-break). Defaults to O(context).
    type: str
  namespace:
    description:
      - Namespace of the replica ConfigMaps; created on the first write if missing.
    type: str
    default: spooky-federation
  store_name:
    description:
      - Name of the manifest ConfigMap; shards are C(<store_name>-shard-<i>).
    type: str
    default: spooky-federation
  shard_bytes:
    description:
      - Largest shard, in bytes (a ConfigMap holds at most 1 MiB).
    type: int
    default: 921600
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Read the replica of lab-west
  spooky.ops.federation_state:
    context: lab-west
  register: west

- name: Route 20% of the checkout traffic to eu-2 on lab-east
  spooky.ops.federation_state:
    context: lab-east
    operation: set
    map: router_weights
    key: checkout/eu-2
    value: 20

- name: Quarantine the payments capability
  spooky.ops.federation_state:
    context: lab-east
    operation: quarantine
    capability: payments
"""

RETURN = r"""
node:
  description: Node id of the replica.
  returned: always
  type: str
  sample: lab-west
exists:
  description: Whether a replica was stored before the task.
  returned: always
  type: bool
digest:
  description: Root digest of the replica content after the task (null when quarantined).
  returned: always
  type: str
  sample: 3f1c0d9a3e0b4f6a8e5c2d1b0a9f8e7d
quarantine:
  description: Why the stored replica was refused (C(reason) such as C(invalid_json), C(digest_mismatch), C(clock_future),
    C(shard_invalid), C(node_mismatch), and C(message)); null when it is valid.
  returned: always
  type: dict
  sample: {"reason": "digest_mismatch", "message": "replica 'lab-west': stored digest of root ..."}
content:
  description: Live content (C(maps) of live values, C(quarantined) capabilities, C(spend) total) after the task.
  returned: when the replica is not quarantined
  type: dict
  sample: {"maps": {"router_weights": {"checkout/eu-2": 20}, "promotions": {}}, "quarantined": [], "spend": 0}
entries:
  description: Full entries of O(keys) in O(map) (C(value), C(deleted), C(stamp), C(node)); null for an unknown key.
  returned: when O(keys) is given
  type: dict
stamp:
  description: HLC stamp (wall ms, logical, node) of the update; null when nothing changed.
  returned: always
  type: list
conflicts:
  description: Conditional writes that lost against a concurrent writer (each followed by a re-read and re-merge).
  returned: always
  type: int
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import stamp_to_obj
from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import TOMBSTONE
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import MAP_NAME_PATTERN
from ansible_collections.spooky.ops.plugins.module_utils.federation.reconcile import content_obj, entry_to_obj
from ansible_collections.spooky.ops.plugins.module_utils.federation.store import KubernetesConfigMaps, ReplicaStore, StoreError


def validate(params):
    """Problems with the arguments (list of messages), before anything is read or written."""
    problems = []
    operation = params["operation"]
    if operation in ("set", "delete") or params["keys"]:
        if not params["map"]:
            problems.append("map is required with operation=%s or keys" % operation)
        elif not MAP_NAME_PATTERN.match(params["map"]):
            problems.append("map %r is not a valid map name (lowercase letters, digits, '_', starting with a letter)" % params["map"])
    if operation in ("set", "delete") and not params["key"]:
        problems.append("key is required (non-empty) with operation=%s" % operation)
    if operation == "set" and params["value"] is None:
        problems.append("value is required with operation=set (delete a key with operation=delete)")
    if operation in ("quarantine", "release") and not params["capability"]:
        problems.append("capability is required with operation=%s" % operation)
    if operation == "add_spend" and (params["amount"] is None or params["amount"] < 1):
        problems.append("amount must be a positive integer with operation=add_spend")
    if not 4 <= params["shard_bytes"] <= 1024 * 1024:
        problems.append("shard_bytes must be between 4 and 1048576")
    if not (params["node_id"] or params["context"]):
        problems.append("node_id is required when no context is given")
    return problems


def make_mutation(params):
    """``mutate(replica) -> stamp or None`` applying the requested operation (None: nothing to do)."""
    operation = params["operation"]

    def mutate(replica):
        if operation == "set":
            lww = replica.add_map(params["map"])
            entry = lww.entries.get(params["key"])
            if entry is not None and entry[1] is not TOMBSTONE and entry[1] == params["value"] and type(entry[1]) is type(params["value"]):
                return None
            return replica.set(params["map"], params["key"], params["value"])
        if operation == "delete":
            lww = replica.maps.get(params["map"])
            entry = lww.entries.get(params["key"]) if lww is not None else None
            if entry is None or entry[1] is TOMBSTONE:
                return None
            return replica.delete(params["map"], params["key"])
        if operation == "quarantine":
            if replica.is_quarantined(params["capability"]):
                return None
            replica.quarantine(params["capability"])
            return replica.clock.last
        if operation == "release":
            if not replica.release(params["capability"]):
                return None
            return replica.clock.last
        if operation == "add_spend":
            replica.add_spend(params["amount"])
            return replica.clock.last
        return None
    return mutate


def run(module, api):
    params = module.params
    store = ReplicaStore(api, params["node_id"] or params["context"], params["namespace"], params["store_name"], params["shard_bytes"])
    result = dict(changed=False, node=store.node_id, stamp=None, conflicts=0)
    if params["operation"] == "read":
        stored = store.read()
        replica = stored.replica
        before = after = replica
    else:
        stored = store.read()
        if stored.quarantine is not None:
            module.fail_json(msg="the replica of %s is quarantined (%s): %s; it is never overwritten (recover it with spooky.ops.crdt_reconcile "
                                 "mode=rehydrate)" % (store.node_id, stored.quarantine.reason, stored.quarantine.message),
                             quarantine=stored.quarantine.to_obj(), node=store.node_id)
        stored, after, changed, stamp, conflicts = store.update(make_mutation(params), check_mode=module.check_mode)
        before = stored.replica
        result.update(changed=changed, stamp=stamp_to_obj(stamp) if changed and stamp else None, conflicts=conflicts)
        replica = after
    result["exists"] = stored.exists
    result["quarantine"] = stored.quarantine.to_obj() if stored.quarantine is not None else None
    if replica is None:
        result["digest"] = None
        return result
    result["digest"] = replica.root_digest()
    result["content"] = content_obj(replica)
    if params["keys"]:
        lww = replica.maps.get(params["map"])
        result["entries"] = dict((key, entry_to_obj(lww.entries[key]) if lww is not None and key in lww.entries else None) for key in params["keys"])
    if module._diff and params["operation"] != "read":
        result["diff"] = dict(before=content_obj(before), after=result["content"])
    return result


def main():
    argument_spec = copy.deepcopy(AUTH_ARG_SPEC)
    argument_spec.update(
        operation=dict(type="str", default="read", choices=["read", "set", "delete", "quarantine", "release", "add_spend"]),
        map=dict(type="str"),
        key=dict(type="str", no_log=False),
        value=dict(type="raw"),
        capability=dict(type="str"),
        amount=dict(type="int"),
        keys=dict(type="list", elements="str", default=[], no_log=False),
        node_id=dict(type="str"),
        namespace=dict(type="str", default="spooky-federation"),
        store_name=dict(type="str", default="spooky-federation"),
        shard_bytes=dict(type="int", default=921600),
    )
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec, supports_check_mode=True)
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    try:
        client = get_api_client(module=module)
        module.exit_json(**run(module, KubernetesConfigMaps(client)))
    except StoreError as exc:
        module.fail_json(msg=str(exc))
    except CoreException as exc:
        module.fail_from_exception(exc)
    except Exception as exc:  # pylint: disable=broad-except
        # a cluster that cannot be reached, an API error: data for the operator, not a traceback
        module.fail_json(msg="cannot read or write the replica of %s: %s" % (module.params["node_id"] or module.params["context"], exc))


if __name__ == "__main__":
    main()
