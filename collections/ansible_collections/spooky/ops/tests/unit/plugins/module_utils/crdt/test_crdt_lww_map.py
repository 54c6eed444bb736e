# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import canonical_dumps
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError, InvalidJSONError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import (
    TOMBSTONE,
    LWWMap,
    _bulk_entry_hashes,
    entry_fingerprint,
    entry_hash,
    entry_wins,
    winning_entries,
)

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LAW_EXAMPLES = 1000

keys = st.sampled_from(["a", "b", "c", "d", "e", "f"])
stamps = st.tuples(st.integers(0, 4), st.integers(0, 2), st.sampled_from(["n1", "n2", "n3"]))
# 1, 1.0 and True are equal in Python but different JSON values: equal stamps with
# such payloads exercise the deterministic tie-break.
values = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, -0.5, 2.5]), st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2), st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 2), max_size=2),
)
entries = st.tuples(stamps, st.one_of(st.just(TOMBSTONE), values))
lww_maps = st.dictionaries(keys, entries, max_size=6).map(LWWMap)


def _check_upper_bound(merged, *inputs):
    for source in inputs:
        for key, entry in source.entries.items():
            assert merged.entries[key][0] >= entry[0]


@settings(max_examples=LAW_EXAMPLES, **SETTINGS)
@given(lww_maps, lww_maps, lww_maps)
def test_merge_laws(a, b, c):
    """Commutativity, associativity and idempotence on the same generated triple."""
    before = (a.encode(), b.encode(), c.encode())
    ab = a.merge(b)
    ba = b.merge(a)
    assert ab.encode() == ba.encode(), "commutativity"
    assert ab.root_hex() == ba.root_hex(), "commutativity of the digest"
    assert ab.merge(c).encode() == a.merge(b.merge(c)).encode(), "associativity"
    assert a.merge(a).encode() == a.encode(), "idempotence"
    assert ab.merge(b).encode() == ab.encode() and ab.merge(a).encode() == ab.encode(), "absorption of merged inputs"
    assert (a.encode(), b.encode(), c.encode()) == before, "inputs must not be modified"
    _check_upper_bound(ab, a, b)


@settings(max_examples=300, **SETTINGS)
@given(lww_maps, lww_maps)
def test_delta_via_digest_equals_full_merge(a, b):
    delta, diff = a.delta(b)
    assert b.merge(delta).encode() == b.merge(a).encode()
    for key, entry in delta.entries.items():
        current = b.entries.get(key)
        assert current is None or entry_wins(entry, current)
    assert diff.comparisons >= 1
    assert set(delta.entries) <= set(diff.keys)


@settings(max_examples=300, **SETTINGS)
@given(lww_maps)
def test_encode_decode_round_trip(a):
    raw = a.encode()
    decoded = LWWMap.decode(raw)
    assert decoded.encode() == raw
    assert decoded.root_hex() == a.root_hex()


@settings(max_examples=300, **SETTINGS)
@given(st.text(min_size=1, max_size=5), entries)
def test_entry_fingerprint_is_canonical_json(key, entry):
    stamp, value = entry
    encoded = [stamp[0], stamp[1], stamp[2]] + ([] if value is TOMBSTONE else [value])
    assert entry_fingerprint(key, entry) == canonical_dumps(key) + ":" + canonical_dumps(encoded)
    assert dict(_bulk_entry_hashes({key: entry})) == {key: entry_hash(key, entry)}


def test_set_get_delete_and_lww_rules():
    m = LWWMap()
    assert m.set("w", 0.5, (10, 0, "a"))
    assert m.get("w") == 0.5
    assert not m.set("w", 0.9, (9, 5, "z"))  # older stamp loses
    assert m.get("w") == 0.5
    assert m.set("w", 0.7, (10, 0, "b"))  # same time, node id tie-break
    assert m.get("w") == 0.7
    assert m.delete("w", (11, 0, "a"))
    assert m.get("w", "gone") == "gone"
    assert "w" not in m
    assert m.tombstones() == [("w", (11, 0, "a"))]
    assert not m.set("w", 1, (10, 99, "c"))  # a write older than the delete stays deleted
    assert m.set("w", 2, (12, 0, "c"))
    assert m.live_dict() == {"w": 2}


def test_equal_stamp_tie_break_is_deterministic():
    stamp = (5, 0, "n")
    live = (stamp, 1)
    other = (stamp, True)
    dead = (stamp, TOMBSTONE)
    assert entry_wins(dead, live) and not entry_wins(live, dead)
    assert entry_wins(other, live) != entry_wins(live, other)
    assert not entry_wins(live, (stamp, 1))


def test_set_validates_input():
    m = LWWMap()
    with pytest.raises(ValueError):
        m.set("", 1, (1, 0, "a"))
    with pytest.raises(ValueError):
        m.set("k", float("nan"), (1, 0, "a"))
    with pytest.raises(ValueError):
        m.set("k", (1, 2), (1, 0, "a"))
    with pytest.raises(ValueError):
        m.set("k", 1, (1, 0, ""))
    with pytest.raises(ValueError):
        m.set("k", TOMBSTONE, (1, 0, "a"))
    assert len(m) == 0


def test_encoding_format():
    m = LWWMap()
    m.set("b", {"x": 1}, (2, 0, "n"))
    m.delete("a", (3, 1, "n"))
    assert m.encode() == b'{"entries":{"a":[3,1,"n"],"b":[2,0,"n",{"x":1}]},"type":"lww-map","v":1}'


@pytest.mark.parametrize("raw, fragment", [
    ('{"entries":{},"type":"lww-map","v":1,"extra":1}', "unknown field(s) 'extra'"),
    ('{"entries":[],"type":"lww-map","v":1}', "lww-map.entries: expected an object, got array"),
    ('{"entries":{"k":[1,0]},"type":"lww-map","v":1}', "expected [wall_ms, logical, node_id]"),
    ('{"entries":{"k":"x"},"type":"lww-map","v":1}', "got string"),
    ('{"entries":{"k":[1,0,"n",1,2]},"type":"lww-map","v":1}', "array of 5"),
    ('{"entries":{"k":[-1,0,"n",1]},"type":"lww-map","v":1}', "bad HLC stamp"),
    ('{"entries":{"k":[1,"0","n",1]},"type":"lww-map","v":1}', "bad HLC stamp"),
    ('{"entries":{"k":[1,0,"",1]},"type":"lww-map","v":1}', "bad HLC stamp"),
    ('{"entries":{"k":[1,0,7,1]},"type":"lww-map","v":1}', "bad HLC stamp"),
    ('{"entries":{"k":[1.5,0,"n",1]},"type":"lww-map","v":1}', "bad HLC stamp"),
    ('{"entries":{"":[1,0,"n",1]},"type":"lww-map","v":1}', "empty key"),
    ('{"entries":{},"type":"orswot","v":1}', "expected type 'lww-map'"),
    ('{"entries":{},"type":"lww-map","v":9}', "unsupported format version"),
    ('{"type":"lww-map","v":1}', "missing field(s) 'entries'"),
])
def test_decode_errors(raw, fragment):
    with pytest.raises(DecodeError) as info:
        LWWMap.decode(raw)
    assert fragment in str(info.value)


def test_decode_rejects_invalid_json_and_future_entries():
    with pytest.raises(InvalidJSONError):
        LWWMap.decode(b'{"entries":{"k":[1,0,"n",1],"k":[2,0,"n",1]},"type":"lww-map","v":1}')
    obj = {"type": "lww-map", "v": 1, "entries": {"k": [10, 3, "n", 1]}}
    LWWMap.from_obj(obj, clock_bound=(10, 3, "n"))
    with pytest.raises(DecodeError) as info:
        LWWMap.from_obj(obj, clock_bound=(10, 2, "n"))
    assert "ahead of the document clock" in str(info.value)


def test_incremental_digest_tracks_mutations():
    m = LWWMap()
    for index in range(200):
        m.set("k%d" % index, index, (index, 0, "n"))
    m.root_hex()
    m.set("k5", "new", (500, 0, "n"))
    m.delete("k6", (501, 0, "n"))
    other = LWWMap({"zz": ((1, 0, "x"), 1)})
    m.merge_into(other)
    m.gc_tombstones(stable_stamp=(501, 0, "n"))
    assert "k6" not in m.entries
    incremental = m.root_hex()
    assert incremental == LWWMap(dict(m.entries)).root_hex()
    copied = m.copy(with_digest=True)
    copied.set("k7", 1, (600, 0, "n"))
    assert copied.root_hex() == LWWMap(dict(copied.entries)).root_hex()
    assert m.root_hex() == incremental


def test_winning_entries_filters_by_keys():
    a = LWWMap({"x": ((5, 0, "a"), 1), "y": ((5, 0, "a"), 2), "z": ((1, 0, "a"), 3)})
    b = LWWMap({"x": ((6, 0, "b"), 1), "z": ((1, 0, "a"), 3)})
    assert winning_entries(a.entries, b.entries) == {"y": ((5, 0, "a"), 2)}
    assert winning_entries(a.entries, b.entries, keys=["x", "z", "missing"]) == {}


def test_gc_tombstones_by_stamp_and_age_only_touches_tombstones():
    m = LWWMap({"live": ((1, 0, "a"), 1), "old": ((2, 0, "a"), TOMBSTONE), "new": ((50, 0, "a"), TOMBSTONE)})
    assert m.gc_tombstones(stable_stamp=(10, 0, "a")) == ["old"]
    assert m.gc_tombstones(expire_before_ms=50) == []
    assert m.gc_tombstones(expire_before_ms=51) == ["new"]
    assert m.live_dict() == {"live": 1}


def test_digest_binds_values_to_keys():
    first = (5, 0, "n")
    second = (6, 0, "n")
    swapped_a = LWWMap({"a": (first, 1), "b": (second, 2)})
    swapped_b = LWWMap({"a": (second, 2), "b": (first, 1)})
    assert swapped_a.root_hex() != swapped_b.root_hex()
    assert swapped_a.merkle().diff(swapped_b.merkle()).keys == ["a", "b"]
