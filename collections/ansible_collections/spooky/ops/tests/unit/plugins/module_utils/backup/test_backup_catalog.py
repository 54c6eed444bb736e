# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sets found in a store listing, comparisons of restored content, Kubernetes objects cleaned for backup."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, compare, kube, rediscli
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

KEYS = [
    "lab/redis/20260124T020000Z/dump.rdb.enc", "lab/redis/20260124T020000Z/manifest.json",
    "lab/redis/20260124T020000Z/verified.json",
    "lab/redis/20260124T021500Z/dump.rdb.enc",  # interrupted: no manifest
    "lab/redis/20260123T020000Z/dump.rdb.enc", "lab/redis/20260123T020000Z/manifest.json",
    "lab/redis-other/20260124T020000Z/manifest.json", "lab/redis/notaset/x", "lab/redis/20260124T020000Z",
]


def test_sets_from_keys():
    sets = catalog.sets_from_keys(KEYS, "lab", "redis")
    assert [(s["set_id"], s["complete"], s["verified"]) for s in sets] == [
        ("20260124T021500Z", False, False), ("20260124T020000Z", True, True), ("20260123T020000Z", True, False)]
    assert catalog.latest(sets)["set_id"] == "20260124T020000Z"
    assert catalog.latest(sets, verified=True)["set_id"] == "20260124T020000Z"
    assert sets[1]["prefix"] == "lab/redis/20260124T020000Z/" and sets[1]["epoch"] == 1769220000
    assert catalog.sets_from_keys(KEYS, "", "redis") == []


@pytest.mark.parametrize("bad", ["2026-01-24", "20261324T020000Z", None, "20260124T020000"])
def test_bad_set_ids(bad):
    with pytest.raises(BackupError):
        catalog.parse_set_id(bad)


def test_parse_time_forms():
    assert catalog.iso(catalog.parse_time("2026-01-24T02:00:00Z")) == "2026-01-24T02:00:00Z"
    assert catalog.iso(catalog.parse_time("2026-01-24T03:00:00+01:00")) == "2026-01-24T02:00:00Z"
    assert catalog.iso(catalog.parse_time("20260124T020000Z")) == "2026-01-24T02:00:00Z"


def test_compare_tables():
    want = {"public.a": {"rows": 2, "checksum": "5", "method": "m"}, "public.b": {"rows": 1, "checksum": "1", "method": "m"}}
    assert compare.tables(want, want) == dict(ok=True, checked=4, mismatches=[])
    got = {"public.a": {"rows": 3, "checksum": "6", "method": "m"}, "public.c": {"rows": 0, "checksum": "0", "method": "m"}}
    result = compare.tables(want, got)
    assert not result["ok"] and len(result["mismatches"]) == 4
    assert any("public.b is missing" in m for m in result["mismatches"])


def test_compare_keyspace_objects_tree():
    assert compare.keyspace({"db0": 5, "db3": 0}, {"db0": 5})["ok"]
    assert "db0 has 4 keys" in compare.keyspace({"db0": 5}, {"db0": 4})["mismatches"][0]
    assert compare.objects({"ConfigMap": {"c": "d1"}}, {"ConfigMap": {"c": "d2"}})["mismatches"] == ["ConfigMap c has different data after the restore"]
    assert compare.objects({"Service": {"s": None}}, {"Service": {"s": None}})["ok"]
    assert not compare.tree({"files": 1, "bytes": 2, "digest": "x"}, {"files": 1, "bytes": 2, "digest": "y"})["ok"]
    with pytest.raises(BackupError):
        compare.content("rows", {}, {})


def test_kubernetes_objects_are_cleaned_and_ordered():
    objects = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo", "uid": "u", "resourceVersion": "9",
                                                                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
         "spec": {"replicas": 2}, "status": {"readyReplicas": 2}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "demo",
                                                                     "ownerReferences": [{"controller": True, "name": "web"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "demo"}, "spec": {"clusterIP": "10.0.0.1", "ports": []}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "demo"}, "type": "Opaque", "data": {"p": "eA=="}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tok", "namespace": "demo"}, "type": "kubernetes.io/service-account-token"},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "demo"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "uid": "n"}},
    ]
    cleaned = kube.clean_all(objects)
    assert [o["kind"] for o in cleaned] == ["Namespace", "Secret", "Service", "Deployment"]
    deployment = cleaned[-1]
    assert "status" not in deployment and "uid" not in deployment["metadata"] and "annotations" not in deployment["metadata"]
    assert "clusterIP" not in cleaned[2]["spec"]
    inventory = kube.inventory(cleaned)
    assert set(inventory) == {"Secret", "Service", "Deployment"} and inventory["Secret"]["db"] and inventory["Service"]["web"] is None
    moved = kube.retarget(cleaned, "restore-verify-demo")
    assert [o["kind"] for o in moved] == ["Secret", "Service", "Deployment"]
    assert {o["metadata"]["namespace"] for o in moved} == {"restore-verify-demo"}
    assert kube.retarget(cleaned)[0]["kind"] == "Namespace"
    with pytest.raises(BackupError):
        kube.clean({"kind": "ConfigMap"})


def test_redis_info_parsing():
    info = rediscli.parse_info("# Keyspace\r\ndb0:keys=405,expires=100,avg_ttl=0\r\ndb1:keys=40,expires=0,avg_ttl=0\r\nloading:0\r\nrole:master\r\n")
    assert info["loading"] == 0 and info["role"] == "master"
    assert rediscli.keyspace(info) == {"db0": 405, "db1": 40}
