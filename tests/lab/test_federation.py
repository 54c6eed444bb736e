"""Federation CRDT state against the lab: partition drill, quarantine of corrupt replicas, concurrent writers,
the drift runbook's idempotence (spooky.ops.federation_state / crdt_reconcile, playbooks/federation_*.yml)."""

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for path in (REPO / "collections", REPO / ".deps" / "collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import split_shards  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.federation.store import (  # noqa: E402
    KubernetesConfigMaps,
    ReplicaStore,
    shard_name,
)

NS = "spooky-federation"
CLUSTERS = ["lab-east", "lab-west", "lab-edge"]


def store(lab, cluster):
    return ReplicaStore(KubernetesConfigMaps(get_api_client(kubeconfig=str(lab.kubeconfig), context=cluster)), cluster)


def set_key(map_name, key, value):
    def mutate(replica):
        replica.set(map_name, key, value)
        return True
    return mutate


def report(lab_env, name):
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def reconcile(run_playbook, *args):
    return run_playbook("playbooks/federation_reconcile.yml", *args)


def test_partition_drill_converges_and_reports_each_conflict_and_winner(run_playbook, lab_env):
    result = run_playbook("playbooks/chaos_partition.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    drill = report(lab_env, "chaos_partition.json")
    assert drill["partitioned"] == "lab-edge" and drill["unreachable_during_partition"] == ["lab-edge"]
    assert drill["converged"] and len(set(drill["digests"].values())) == 1
    assert drill["lost"] == []
    keys = {conflict["key"]: conflict for conflict in drill["conflicts"]}
    assert sorted(keys) == sorted(["checkout/eu-1", "checkout/eu-2", "search/eu-1", "search/eu-2"])
    # the cut-off side wrote again after the heal for the first half: its later write wins there
    assert keys["checkout/eu-1"]["winner"]["value"] == "lab-edge after the heal"
    assert keys["search/eu-1"]["winner"]["node"] in ("lab-east", "lab-west")
    for conflict in keys.values():
        assert len(conflict["writes"]) >= 2
        assert conflict["winner"]["stamp"] == max(write["stamp"] for write in conflict["writes"])
    # every write is either the winner of its key or superseded by a later one
    winners = {(c["key"], tuple(c["winner"]["stamp"])) for c in keys.values()}
    for write in drill["writes"]:
        assert (write["key"], tuple(write["stamp"])) in winners or write in drill["superseded"]


def test_second_run_of_the_drift_runbook_changes_nothing(lab, run_playbook, lab_env):
    store(lab, "lab-west").update(set_key("router_weights", "idem/west", 7))
    store(lab, "lab-edge").update(set_key("promotions", "idem/edge", "v3"))
    first = reconcile(run_playbook)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(lab_env, "federation_reconcile.json")["changed"] is True
    versions = {cluster: store(lab, cluster).read().versions for cluster in CLUSTERS}
    second = reconcile(run_playbook)
    assert second.returncode == 0, second.stdout[-3000:]
    again = report(lab_env, "federation_reconcile.json")
    assert again["changed"] is False and again["converged"] and again["drift"]["diverged"] == []
    assert {cluster: store(lab, cluster).read().versions for cluster in CLUSTERS} == versions


def _corrupt_payload(kind, good):
    if kind == "invalid_json":
        return b'{"type": "spooky.crdt.replica", "node": "lab-west", '
    if kind == "digest_mismatch":
        doc = json.loads(good.encode())
        doc["digest"]["root"] = "0" * len(doc["digest"]["root"])
        return json.dumps(doc).encode()
    ahead = Replica("lab-west", physical_clock=lambda: 4102444800000)  # 2100-01-01
    ahead.set("router_weights", "from/the/future", 1)
    return ahead.encode()


@pytest.mark.parametrize("kind", ["invalid_json", "digest_mismatch", "clock_future"])
def test_corrupt_replica_is_quarantined_never_merged_or_overwritten(lab, run_playbook, lab_env, kind):
    west = store(lab, "lab-west")
    west.update(set_key("router_weights", "corrupt/seed", kind))
    api = west.api
    manifest, shards = split_shards(_corrupt_payload(kind, west.read().replica))
    for index, text in enumerate(shards):
        body = api.get(NS, shard_name(NS, index)) or {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": shard_name(NS, index)}}
        body["data"] = {"shard": text}
        (api.replace if "resourceVersion" in body["metadata"] else api.create)(NS, body)
    body = api.get(NS, NS)
    body["data"] = {"manifest": json.dumps(manifest)}
    api.replace(NS, body)
    before = west.read()
    assert before.quarantine.reason == kind
    store(lab, "lab-east").update(set_key("router_weights", "corrupt/east", kind))

    result = reconcile(run_playbook)
    assert result.returncode != 0, "the runbook must alert on a quarantined replica"
    assert "lab-west" in result.stdout and kind in result.stdout
    drift = report(lab_env, "federation_reconcile.json")
    assert [(q["cluster"], q["reason"]) for q in drift["quarantined"]] == [("lab-west", kind)]
    assert drift["quarantined"][0]["message"]
    assert "lab-west" in drift["alert"]["clusters"]
    assert "lab-west" not in drift["merge"]
    after = west.read()
    assert after.versions == before.versions, "a quarantined replica must never be overwritten"
    healthy = {c: store(lab, c).read().replica.root_digest() for c in ("lab-east", "lab-edge")}
    assert len(set(healthy.values())) == 1

    recovered = reconcile(run_playbook, "-e", "federation_rehydrate_quarantined=true")
    assert recovered.returncode == 0, recovered.stdout[-3000:]
    drift = report(lab_env, "federation_reconcile.json")
    assert drift["converged"] and drift["rehydrated"] == ["lab-west"] and drift["quarantined"] == []
    assert store(lab, "lab-west").read().replica.get("router_weights", "corrupt/east") == kind


class InterleavingAPI:
    """Delegates to the real API; before the first replace, another writer updates the same replica."""

    def __init__(self, api, other_write):
        self.api = api
        self.other_write = other_write

    def __getattr__(self, name):
        return getattr(self.api, name)

    def replace(self, namespace, body):
        write, self.other_write = self.other_write, None
        if write:
            write()
        return self.api.replace(namespace, body)


def test_concurrent_writer_gets_409_then_rereads_and_remerges(lab):
    edge = store(lab, "lab-edge")
    edge.update(set_key("router_weights", "race/base", 0))
    rival = store(lab, "lab-edge")
    racing = ReplicaStore(InterleavingAPI(edge.api, lambda: rival.update(set_key("promotions", "race/rival", "rival"))), "lab-edge")
    _stored, _replica, changed, _outcome, conflicts = racing.update(set_key("router_weights", "race/mine", "mine"))
    assert changed and conflicts == 1
    final = store(lab, "lab-edge").read().replica
    assert final.get("promotions", "race/rival") == "rival"
    assert final.get("router_weights", "race/mine") == "mine"
    assert final.get("router_weights", "race/base") == 0
