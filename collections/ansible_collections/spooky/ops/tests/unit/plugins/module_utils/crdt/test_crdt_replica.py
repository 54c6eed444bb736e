# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import canonical_bytes
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import (
    ClockSkewError,
    DecodeError,
    DigestMismatchError,
    GCPolicyError,
    InvalidJSONError,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.gc import TombstoneGCPolicy, causally_stable_stamp
from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import TOMBSTONE
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import (
    DEFAULT_MAPS,
    Replica,
    admit_replica,
    admit_shards,
    merge_budgeted,
)

T0 = 1700000000000


class FakeClock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def sample_pair(clock=None):
    clock = clock or FakeClock()
    eu = Replica("eu-1", physical_clock=clock)
    us = Replica("us-1", physical_clock=clock)
    eu.set("router_weights", "chat/v1", 0.9)
    eu.set("router_weights", "chat/v2", 0.1)
    eu.set("promotions", "chat", {"variant": "v2", "stage": "canary"})
    eu.quarantine("gpu-a100")
    eu.add_spend(1250)
    clock.now += 5
    us.set("router_weights", "chat/v2", 0.3)
    us.delete("router_weights", "chat/v1")
    us.quarantine("tts")
    us.add_spend(400)
    us.refund_spend(100)
    clock.now += 5
    return eu, us, clock


def test_local_operations_and_merge_semantics():
    eu, us, clock = sample_pair()
    merged = eu.merge(us)
    assert merged.node_id == "eu-1"
    assert merged.get("router_weights", "chat/v1") is None  # us deleted it later
    assert merged.get("router_weights", "chat/v2") == 0.3
    assert merged.get("promotions", "chat") == {"variant": "v2", "stage": "canary"}
    assert merged.quarantined.value() == ["gpu-a100", "tts"]
    assert merged.spend_total() == 1550
    assert merged.same_content(us.merge(eu))
    assert merged.clock.last > us.clock.last
    assert merged.release("tts") and not merged.is_quarantined("tts")
    assert not merged.release("tts")
    with pytest.raises(KeyError) as info:
        merged.set("nope", "k", 1)
    assert "unknown LWW map 'nope'" in str(info.value)


def test_encode_is_canonical_and_round_trips():
    eu, us, clock = sample_pair()
    merged = eu.merge(us)
    raw = merged.encode()
    assert raw == merged.encode()
    assert raw == canonical_bytes(json.loads(raw.decode("utf-8")))
    decoded = Replica.decode(raw, physical_clock=clock)
    assert decoded.encode() == raw
    assert decoded.clock.last == merged.clock.last
    assert decoded.node_id == "eu-1"
    assert set(decoded.maps) == set(DEFAULT_MAPS)
    assert decoded.root_digest() == merged.root_digest()


def test_digest_ignores_node_and_clock_but_covers_content():
    eu, us, clock = sample_pair()
    a = eu.merge(us)
    b = us.merge(eu)
    assert a.digest() == b.digest()
    assert a.encode() != b.encode()
    b.add_spend(1)
    assert a.digest()["spend"] != b.digest()["spend"]
    assert a.digest()["maps"] == b.digest()["maps"]
    assert a.root_digest() != b.root_digest()
    empty = Replica("x", physical_clock=clock)
    empty.add_map("extra")
    assert empty.digest() == Replica("y", physical_clock=clock).digest()


def _document(replica):
    return json.loads(replica.encode().decode("utf-8"))


def _raw(doc):
    return json.dumps(doc).encode("utf-8")


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d.update(extra=1), "unknown field(s) 'extra'"),
    (lambda d: d.update(node=7), "replica.node: expected a string, got integer"),
    (lambda d: d.update(clock=[1, 2]), "replica.clock: bad HLC stamp"),
    (lambda d: d.update(clock=[T0, 0, "other"]), "differs from document node"),
    (lambda d: d.update(v=2), "unsupported format version 2"),
    (lambda d: d.update(type="something"), "expected type 'spooky.crdt.replica'"),
    (lambda d: d["maps"].update({"Bad-Name": d["maps"]["promotions"]}), "is not a valid map name"),
    (lambda d: d["maps"]["router_weights"]["entries"].update({"x": [T0, -1, "eu-1", 1]}), "bad HLC stamp"),
    (lambda d: d["maps"]["router_weights"]["entries"].update({"x": [T0 + 10 ** 6, 0, "eu-1", 1]}), "ahead of the document clock"),
    (lambda d: d["quarantined"]["entries"].update({"x": {"zz": 1}}), "not covered by the set clock"),
    (lambda d: d["spend"]["p"].update({"eu-1": -5}), "expected an integer >= 1"),
    (lambda d: d["digest"].pop("spend"), "replica.digest: missing field(s) 'spend'"),
    (lambda d: d.pop("maps"), "missing field(s) 'maps'"),
])
def test_decode_schema_errors(mutate, fragment):
    eu, us, clock = sample_pair()
    doc = _document(eu.merge(us))
    mutate(doc)
    with pytest.raises(DecodeError) as info:
        Replica.decode(_raw(doc), physical_clock=clock)
    assert fragment in str(info.value)


def test_quarantine_invalid_json():
    admission = admit_replica(b'{"type": "spooky.crdt.replica", "node": "eu-1",', physical_clock=FakeClock())
    assert not admission.ok
    assert admission.quarantine.reason == "invalid_json"
    assert admission.quarantine.sha256 and len(admission.quarantine.sha256) == 64
    assert admit_replica(b'{"a": 1, "a": 2}').quarantine.reason == "invalid_json"


def test_quarantine_digest_mismatch_names_component():
    eu, us, clock = sample_pair()
    doc = _document(eu.merge(us))
    doc["maps"]["router_weights"]["entries"]["chat/v2"][3] = 0.99  # content altered, digest kept
    admission = admit_replica(_raw(doc), physical_clock=clock)
    assert admission.quarantine.reason == "digest_mismatch"
    assert "router_weights" in admission.quarantine.message
    assert admission.quarantine.node_id == "eu-1"
    with pytest.raises(DigestMismatchError) as info:
        Replica.decode(_raw(doc), physical_clock=clock)
    assert info.value.component == "maps['router_weights']"
    doc = _document(eu.merge(us))
    doc["digest"]["root"] = "0" * 32
    with pytest.raises(DigestMismatchError) as info:
        Replica.decode(_raw(doc), physical_clock=clock)
    assert info.value.component == "root"
    assert Replica.decode(_raw(doc), physical_clock=clock, verify_digest=False).same_content(eu.merge(us))


def test_quarantine_clock_far_in_future():
    eu, us, clock = sample_pair()
    raw = eu.merge(us).encode()
    behind = FakeClock(clock.now - 60000)  # the receiver's physical clock is a minute behind
    admission = admit_replica(raw, physical_clock=behind, max_offset_ms=500)
    assert admission.quarantine.reason == "clock_future"
    assert "'eu-1'" in admission.quarantine.message
    assert admit_replica(raw, physical_clock=behind, max_offset_ms=120000).ok
    assert admission.quarantine.to_obj()["reason"] == "clock_future"


def test_quarantine_unexpected_node():
    eu, us, clock = sample_pair()
    admission = admit_replica(eu.encode(), physical_clock=clock, expected_node_id="us-1")
    assert admission.quarantine.reason == "node_mismatch"
    assert admit_replica(eu.encode(), physical_clock=clock, expected_node_id="eu-1").replica.node_id == "eu-1"


def test_merge_rejects_replica_from_the_future_and_changes_nothing():
    clock = FakeClock()
    local = Replica("eu-1", physical_clock=clock)
    local.set("router_weights", "k", 1)
    remote = Replica("us-1", physical_clock=FakeClock(T0 + 3600 * 1000))
    remote.set("router_weights", "k", 2)
    before = local.encode()
    with pytest.raises(ClockSkewError) as info:
        local.merge_into(remote)
    assert "'us-1'" in str(info.value)
    assert local.encode() == before
    with pytest.raises(ClockSkewError):
        merge_budgeted(local, remote, 10)


def test_delta_via_digest_equals_full_merge_and_is_minimal():
    eu, us, clock = sample_pair()
    for index in range(300):
        eu.set("router_weights", "svc-%d" % index, index)
    baseline = us.merge(eu)
    eu.set("router_weights", "svc-7", "changed")
    eu.delete("promotions", "chat")
    delta, comparisons = eu.delta(baseline)
    assert sorted(delta.maps["router_weights"].entries) == ["svc-7"]
    assert sorted(delta.maps["promotions"].entries) == ["chat"]
    assert delta.quarantined.value() == []  # unchanged components are not shipped
    assert comparisons > 2
    assert baseline.merge(delta).same_content(baseline.merge(eu))
    assert Replica.decode(delta.encode(), physical_clock=clock).same_content(delta)
    nothing, dummy = baseline.merge(eu).delta(baseline.merge(eu))
    assert all(not lww.entries for lww in nothing.maps.values())


def test_budgeted_merge_converges_to_full_merge_tick_by_tick():
    rng = random.Random(5)
    clock = FakeClock()
    target = Replica("eu-1", physical_clock=clock)
    incoming = Replica("us-1", physical_clock=clock)
    for index in range(120):
        target.set("router_weights", "k%03d" % index, rng.random())
    clock.now += 1
    for index in range(0, 240, 2):
        incoming.set("router_weights" if index % 3 else "promotions", "k%03d" % index, index)
    incoming.quarantine("gpu")
    incoming.add_spend(10)
    expected = target.merge(incoming)
    target_before = target.content_bytes()
    pending = incoming
    current = target
    ticks = 0
    while pending is not None:
        current, pending, applied = merge_budgeted(current, pending, 25)
        assert applied <= 25
        ticks += 1
        assert ticks <= 10, "budgeted merge makes no progress"
        if pending is not None:
            assert applied == 25
            assert not current.same_content(expected)
            # the remainder survives being stored between ticks
            pending = Replica.decode(pending.encode(), physical_clock=clock)
    assert current.same_content(expected)
    assert current.content_bytes() == expected.content_bytes()
    # 120 incoming keys (all newer than the target's) + the ORSWOT + the counter = 122 units
    assert ticks == 5
    assert target.content_bytes() == target_before


def test_budgeted_merge_skips_stale_units_and_validates_budget():
    clock = FakeClock()
    target = Replica("eu-1", physical_clock=clock)
    incoming = Replica("us-1", physical_clock=clock)
    incoming.set("router_weights", "a", 1)
    incoming.set("router_weights", "b", 1)
    clock.now += 1
    target.set("router_weights", "a", 2)  # newer locally: incoming "a" is not a unit of work
    applied, remainder = target.merge_budgeted_into(incoming, 1)
    assert applied == 1 and remainder is None
    assert target.get("router_weights", "a") == 2 and target.get("router_weights", "b") == 1
    for budget in (0, -1, 1.5, None):
        with pytest.raises(ValueError):
            target.merge_budgeted_into(incoming, budget)


def test_gc_policy_requires_ttl_longer_than_partition():
    with pytest.raises(GCPolicyError) as info:
        TombstoneGCPolicy(ttl_ms=3600000, max_partition_ms=3600000)
    assert "must be longer than max_partition_ms" in str(info.value)
    with pytest.raises(GCPolicyError):
        TombstoneGCPolicy(ttl_ms=10, max_partition_ms=20)
    with pytest.raises(GCPolicyError):
        TombstoneGCPolicy(ttl_ms=10.5, max_partition_ms=1)
    with pytest.raises(GCPolicyError):
        TombstoneGCPolicy(ttl_ms=10, max_partition_ms=0)
    assert TombstoneGCPolicy(ttl_ms=7200000, max_partition_ms=3600000).expire_before(T0) == T0 - 7200000


def test_causally_stable_stamp():
    assert causally_stable_stamp({"a": (5, 0, "a"), "b": (3, 2, "b")}, ["a", "b"]) == (3, 2, "b")
    assert causally_stable_stamp({"a": (5, 0, "a")}, ["a", "b"]) is None
    with pytest.raises(GCPolicyError):
        causally_stable_stamp({}, [])


def _with_tombstone():
    clock = FakeClock()
    replica = Replica("eu-1", physical_clock=clock)
    replica.set("router_weights", "keep", 1)
    replica.set("router_weights", "gone", 1)
    clock.now += 10
    stamp = replica.delete("router_weights", "gone")
    clock.now += 10
    return replica, stamp, clock


def test_gc_removes_tombstone_only_when_every_known_replica_acknowledged_it():
    replica, stamp, clock = _with_tombstone()
    later = (stamp[0] + 1, 0, "x")
    earlier = (stamp[0] - 1, 0, "x")
    assert replica.gc(["eu-1", "us-1", "ap-1"], {"us-1": later}) == {"router_weights": [], "promotions": []}
    assert replica.gc(["us-1", "ap-1"], {"us-1": later, "ap-1": earlier})["router_weights"] == []
    assert replica.lww("router_weights").get_entry("gone")[1] is TOMBSTONE
    assert replica.gc(["us-1", "ap-1"], {"us-1": later, "ap-1": later})["router_weights"] == ["gone"]
    assert replica.lww("router_weights").get_entry("gone") is None
    assert replica.get("router_weights", "keep") == 1


def test_gc_by_ttl_even_without_acknowledgements():
    replica, stamp, clock = _with_tombstone()
    policy = TombstoneGCPolicy(ttl_ms=1000, max_partition_ms=500)
    assert replica.gc(["us-1"], {}, policy, now_ms=stamp[0] + 1000)["router_weights"] == []
    assert replica.gc(["us-1"], {}, policy, now_ms=stamp[0] + 1001)["router_weights"] == ["gone"]
    with pytest.raises(GCPolicyError):
        replica.gc(["us-1"], {}, policy={"ttl_ms": 1})


def test_stable_gc_does_not_resurrect_on_merge_with_acknowledging_replica():
    replica, stamp, clock = _with_tombstone()
    peer = Replica("us-1", physical_clock=clock).merge(replica)  # peer saw the delete
    replica.gc(["us-1"], {"us-1": peer.clock.last})
    assert replica.lww("router_weights").get_entry("gone") is None
    replica.merge_into(peer)
    assert replica.get("router_weights", "gone") is None


def test_shard_round_trip_and_corruption_detection():
    eu, us, clock = sample_pair()
    merged = eu.merge(us)
    for index in range(400):
        merged.set("promotions", u"svc-é-%d" % index, {"stage": u"canary-\U0001d11e", "n": index})
    manifest, shards = merged.encode_shards(max_bytes=4096)
    assert manifest["count"] == len(shards) > 5
    assert all(len(shard.encode("utf-8")) <= 4096 for shard in shards)
    assert Replica.decode_shards(manifest, shards, physical_clock=clock).same_content(merged)
    assert admit_shards(manifest, dict(enumerate(shards)), physical_clock=clock).ok
    missing = admit_shards(manifest, shards[:-1], physical_clock=clock)
    assert missing.quarantine.reason == "shard_invalid"
    assert "missing shard(s) %d" % (len(shards) - 1) in missing.quarantine.message
    altered = list(shards)
    altered[2] = altered[2][:-1] + ("x" if altered[2][-1] != "x" else "y")
    result = admit_shards(manifest, altered, physical_clock=clock)
    assert result.quarantine.reason == "shard_invalid"
    assert "shard 2 of" in result.quarantine.message and "altered" in result.quarantine.message


def test_rehydrate_from_primary_snapshot():
    eu, us, clock = sample_pair()
    primary = eu.merge(us)
    dependent = Replica("ap-1", physical_clock=clock)
    dependent.set("router_weights", "local-only", 1)
    dependent.rehydrate_from(Replica.decode(primary.encode(), physical_clock=clock))
    assert dependent.same_content(primary)
    assert dependent.node_id == "ap-1"
    stamp = dependent.set("router_weights", "chat/v2", 0.5)
    assert stamp > primary.lww("router_weights").get_entry("chat/v2")[0]
    assert primary.get("router_weights", "chat/v2") == 0.3  # snapshot copied, not shared


def test_invalid_json_error_class_from_decode():
    with pytest.raises(InvalidJSONError):
        Replica.decode(b"\xff")
