# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError, ShardError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import (
    CONFIGMAP_LIMIT_BYTES,
    DEFAULT_SHARD_BYTES,
    decode_manifest,
    encode_manifest,
    join_shards,
    shard_key,
    split_shards,
)

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=200, **SETTINGS)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300), st.integers(4, 40))
def test_round_trip_respects_limit_and_character_boundaries(text, limit):
    manifest, shards = split_shards(text, limit)
    assert all(isinstance(shard, str) for shard in shards)
    assert all(0 < len(shard.encode("utf-8")) <= limit for shard in shards)
    assert "".join(shards) == text
    assert join_shards(manifest, shards) == text.encode("utf-8")
    assert manifest["count"] == len(shards)


def test_multibyte_payload_is_cut_between_characters():
    text = u"é" * 1000 + u"\U0001d11e" * 100
    manifest, shards = split_shards(text.encode("utf-8"), 5)
    assert all(len(shard.encode("utf-8")) <= 5 for shard in shards)
    assert "".join(shards) == text


def test_default_limit_keeps_each_shard_well_under_a_configmap():
    payload = (b'{"k":"' + b"x" * (3 * 1024 * 1024) + b'"}')
    manifest, shards = split_shards(payload)
    assert manifest["count"] == 4
    assert all(len(shard.encode("utf-8")) <= DEFAULT_SHARD_BYTES < CONFIGMAP_LIMIT_BYTES for shard in shards)
    assert manifest["sha256"] == hashlib.sha256(payload).hexdigest()
    assert join_shards(encode_manifest(manifest), shards) == payload


def _setup():
    return split_shards(u"federation-state-" * 40, 64)


def test_missing_shard_is_detected():
    manifest, shards = _setup()
    with pytest.raises(ShardError) as info:
        join_shards(manifest, shards[:3] + [None] + shards[4:])
    assert "missing shard(s) 3 of %d" % len(shards) in str(info.value)
    with pytest.raises(ShardError) as info:
        join_shards(manifest, dict((index, shard) for index, shard in enumerate(shards) if index != 5))
    assert "missing shard(s) 5" in str(info.value)
    with pytest.raises(ShardError):
        join_shards(manifest, shards[:-1])


def test_altered_reordered_or_extra_shard_is_detected():
    manifest, shards = _setup()
    altered = list(shards)
    altered[1] = altered[1].replace("state", "STATE", 1)
    with pytest.raises(ShardError) as info:
        join_shards(manifest, altered)
    assert "shard 1 of %d is altered" % len(shards) in str(info.value)
    swapped = [shards[1], shards[0]] + shards[2:]
    if swapped != shards:
        with pytest.raises(ShardError):
            join_shards(manifest, swapped)
    with pytest.raises(ShardError):
        join_shards(manifest, shards + ["extra"])
    with pytest.raises(ShardError):
        join_shards(manifest, dict(enumerate(shards + ["extra"])))


def test_tampered_manifest_is_detected():
    manifest, shards = _setup()
    bad = dict(manifest, count=manifest["count"] + 1)
    with pytest.raises(ShardError) as info:
        join_shards(bad, shards)
    assert "manifest is invalid" in str(info.value)
    bad = dict(manifest, sha256="0" * 64)
    with pytest.raises(ShardError) as info:
        join_shards(bad, shards)
    assert "does not match the manifest" in str(info.value)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda m: m.update(extra=1), "unknown field(s) 'extra'"),
    (lambda m: m.update(sha256="ABC"), "64 lowercase hex digits"),
    (lambda m: m.update(shards={}), "expected an array"),
    (lambda m: m["shards"][0].update(bytes="1"), "expected an integer"),
    (lambda m: m.update(v=3), "unsupported format version"),
])
def test_manifest_validation(mutate, fragment):
    manifest, dummy = _setup()
    mutate(manifest)
    with pytest.raises(DecodeError) as info:
        decode_manifest(manifest)
    assert fragment in str(info.value)


def test_split_arguments_are_validated():
    for limit in (3, CONFIGMAP_LIMIT_BYTES + 1, 10.0):
        with pytest.raises(ValueError):
            split_shards(b"abc", limit)
    with pytest.raises(ValueError):
        split_shards(b"\xff\xfe", 10)
    assert shard_key(3) == "shard-00003"
    manifest, shards = split_shards(b"", 10)
    assert shards == [] and join_shards(manifest, []) == b""
