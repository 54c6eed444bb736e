# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ReplicaStore against an in-memory ConfigMap API with resourceVersions and 409s."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import split_shards
from ansible_collections.spooky.ops.plugins.module_utils.federation.reconcile import budgeted_step, conflicts, divergence
from ansible_collections.spooky.ops.plugins.module_utils.federation.store import (
    Conflict,
    ConfigMapAPI,
    ReplicaStore,
    StoreError,
    shard_name,
)

NS = "spooky-federation"


class FakeAPI(ConfigMapAPI):
    def __init__(self):
        self.objects = {}
        self.version = 0
        self.log = []
        self.before_write = None  # hook: called before each create/replace (a concurrent writer)

    def _bump(self, body):
        self.version += 1
        body = copy.deepcopy(body)
        body["metadata"]["resourceVersion"] = str(self.version)
        self.objects[body["metadata"]["name"]] = body
        return copy.deepcopy(body)

    def get(self, namespace, name):
        obj = self.objects.get(name)
        return copy.deepcopy(obj) if obj else None

    def create(self, namespace, body):
        self._hook()
        if body["metadata"]["name"] in self.objects:
            raise Conflict("exists")
        self.log.append(("create", body["metadata"]["name"]))
        return self._bump(body)

    def replace(self, namespace, body):
        self._hook()
        current = self.objects.get(body["metadata"]["name"])
        if current is None or current["metadata"]["resourceVersion"] != body["metadata"].get("resourceVersion"):
            raise Conflict("stale")
        self.log.append(("replace", body["metadata"]["name"]))
        return self._bump(body)

    def delete(self, namespace, name):
        self.log.append(("delete", name))
        self.objects.pop(name, None)

    def ensure_namespace(self, namespace):
        return False

    def _hook(self):
        hook, self.before_write = self.before_write, None
        if hook:
            hook()


def set_key(map_name, key, value):
    def mutate(replica):
        replica.set(map_name, key, value)
        return True
    return mutate


def test_write_order_shards_first_manifest_last_and_stale_shards_deleted():
    api = FakeAPI()
    store = ReplicaStore(api, "east", shard_bytes=200)
    for index in range(8):
        store.update(set_key("router_weights", "k%d" % index, "x" * 40))
    count = json.loads(api.objects["spooky-federation"]["data"]["manifest"])["count"]
    assert count > 1
    writes = [name for op, name in api.log if op != "delete"]
    assert writes[-1] == "spooky-federation"
    big = store.read().replica
    assert big.get("router_weights", "k7") == "x" * 40
    api.log = []
    small = ReplicaStore(api, "east", shard_bytes=900 * 1024)
    small.update(set_key("router_weights", "k0", 1))
    deleted = [name for op, name in api.log if op == "delete"]
    assert deleted == [shard_name("spooky-federation", index) for index in range(1, count)]
    assert api.log.index(("replace", "spooky-federation")) < api.log.index(("delete", deleted[0]))
    assert small.read().replica.get("router_weights", "k7") == "x" * 40


def test_concurrent_writer_causes_reread_and_remerge_not_overwrite():
    api = FakeAPI()
    store = ReplicaStore(api, "east")
    store.update(set_key("router_weights", "a", 1))
    other = ReplicaStore(api, "east")
    api.before_write = lambda: other.update(set_key("promotions", "svc", "v2"))
    _stored, replica, changed, _outcome, lost = store.update(set_key("router_weights", "b", 2))
    assert changed and lost == 1
    final = store.read().replica
    assert final.get("router_weights", "a") == 1
    assert final.get("router_weights", "b") == 2
    assert final.get("promotions", "svc") == "v2"


def test_idempotent_update_and_check_mode_write_nothing():
    api = FakeAPI()
    store = ReplicaStore(api, "east")
    _s, _r, changed, _o, _l = store.update(set_key("router_weights", "a", 1), check_mode=True)
    assert changed and not api.objects
    store.update(set_key("router_weights", "a", 1))
    version = api.version
    _s, _r, changed, _o, _l = store.update(lambda replica: False)
    assert not changed and api.version == version


@pytest.mark.parametrize("corrupt, reason", [
    ("invalid_json", "invalid_json"),
    ("digest", "digest_mismatch"),
    ("future", "clock_future"),
    ("shard", "shard_invalid"),
])
def test_corrupt_replica_is_quarantined_and_never_overwritten(corrupt, reason):
    api = FakeAPI()
    store = ReplicaStore(api, "west", sleep=lambda seconds: None)
    store.update(set_key("router_weights", "a", 1))
    if corrupt == "invalid_json":
        payload = b'{"type": "spooky.crdt.replica", oops'
    elif corrupt == "digest":
        payload = Replica.from_obj(json.loads(store.read().replica.encode())).encode().replace(b'"a",', b'"a",', 1)
        doc = json.loads(payload)
        doc["digest"]["root"] = "0" * len(doc["digest"]["root"])
        payload = json.dumps(doc).encode()
    elif corrupt == "future":
        ahead = Replica("west", physical_clock=lambda: 10 ** 13)
        ahead.set("router_weights", "a", 99)
        payload = ahead.encode()
    if corrupt == "shard":
        api.objects[shard_name("spooky-federation", 0)]["data"]["shard"] += " "
    else:
        manifest, shards = split_shards(payload)
        api.objects["spooky-federation"]["data"]["manifest"] = json.dumps(manifest)
        api.objects[shard_name("spooky-federation", 0)]["data"]["shard"] = shards[0]
    snapshot = copy.deepcopy(api.objects)
    stored = store.read()
    assert stored.replica is None and stored.quarantine.reason == reason
    with pytest.raises(StoreError, match=reason):
        store.update(set_key("router_weights", "b", 2))
    assert api.objects == snapshot


def test_budgeted_merge_and_conflict_report():
    east = Replica("east", physical_clock=lambda: 1000)
    west = Replica("west", physical_clock=lambda: 1200)
    for index in range(10):
        east.set("router_weights", "k%d" % index, index)
    east.set("promotions", "svc", "v1")
    west.set("promotions", "svc", "v2")
    joined, report = divergence({"east": east, "west": west})
    assert report["diverged"] == ["east", "west"]
    assert report["clusters"]["west"]["key_count"] == 10
    found, total = conflicts({"east": east, "west": west}, joined)
    assert total == 1 and found[0]["key"] == "svc" and found[0]["winner"]["value"] == "v2" and found[0]["winner"]["node"] == "west"
    api = FakeAPI()
    store = ReplicaStore(api, "west")
    store.update(lambda replica: replica.merge_into(west) or True)
    step = budgeted_step(joined, 4)
    store.update(step)
    assert step.state == {"applied": 4, "remaining": 6}
    for _tick in range(3):
        store.update(budgeted_step(joined, 4))
    assert store.read().replica.root_digest() == joined.root_digest()
