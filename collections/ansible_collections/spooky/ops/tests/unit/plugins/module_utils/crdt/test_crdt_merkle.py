# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import MerkleShapeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.merkle import MerkleTree, hash_bytes

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _bound(pairs):
    """Entry hashes must cover the key (as lww_map.entry_hash does)."""
    return dict((key, hash_bytes(key.encode("utf-8") + b"\0" + variant)) for key, variant in pairs.items())


key_hashes = st.dictionaries(st.text(min_size=1, max_size=6), st.sampled_from([b"0", b"1", b"2"]), max_size=40).map(_bound)


def _brute_force_diff(left, right):
    return sorted(key for key in set(left) | set(right) if left.get(key) != right.get(key))


@settings(max_examples=300, **SETTINGS)
@given(key_hashes, key_hashes, st.sampled_from([(4, 9), (2, 3), (16, 2), (4, 1)]))
def test_diff_finds_exactly_the_differing_keys(left, right, shape):
    a = MerkleTree.from_items(left.items(), *shape)
    b = MerkleTree.from_items(right.items(), *shape)
    diff = a.diff(b)
    assert diff.keys == _brute_force_diff(left, right)
    assert (a.root() == b.root()) == (left == right)
    assert diff.comparisons >= 1
    assert b.diff(a).keys == diff.keys


@settings(max_examples=200, **SETTINGS)
@given(key_hashes, st.lists(st.tuples(st.text(min_size=1, max_size=6), st.one_of(st.none(), st.just(b"new"))), max_size=30))
def test_incremental_updates_equal_full_rebuild(initial, changes):
    tree = MerkleTree.from_items(initial.items())
    tree.root()
    expected = dict(initial)
    for key, digest in changes:
        if digest is None:
            tree.discard(key)
            expected.pop(key, None)
        else:
            digest = hash_bytes(key.encode("utf-8") + b"\0" + digest)
            tree.set(key, digest)
            expected[key] = digest
    assert tree.root() == MerkleTree.from_items(expected.items()).root()
    assert len(tree) == len(expected)
    for key, digest in expected.items():
        assert tree.get(key) == digest


def test_empty_and_identical_trees_cost_one_comparison():
    items = [("k%d" % index, hash_bytes(b"%d" % index)) for index in range(1000)]
    a = MerkleTree.from_items(items)
    b = MerkleTree.from_items(reversed(items))
    diff = a.diff(b)
    assert diff.keys == [] and diff.comparisons == 1
    assert MerkleTree().diff(MerkleTree()).comparisons == 1
    removed = MerkleTree.from_items(items)
    for key, dummy in items:
        removed.discard(key)
    assert removed.root() == MerkleTree().root()


def test_diff_of_100_keys_among_1m_needs_at_most_5000_comparisons():
    rng = random.Random(1234)
    count = 1000000
    keys = ["svc-%07d" % index for index in range(count)]
    left = MerkleTree.from_items((key, hash_bytes(key.encode("ascii"))) for key in keys)
    right = left.copy()
    changed = rng.sample(keys, 100)
    for key in changed:
        right.set(key, hash_bytes(key.encode("ascii") + b"\0v2"))
    diff = left.diff(right)
    assert diff.keys == sorted(changed)
    assert diff.comparisons <= 5000
    # descent is selective: far fewer comparisons than buckets in the tree
    assert diff.comparisons < 4 ** 9 // 50


def test_node_hash_and_shape_errors():
    tree = MerkleTree.from_items([("a", hash_bytes(b"x"))], fanout=4, depth=3)
    assert tree.node_hash(0, 0) == tree.root()
    bucket = tree.bucket_of("a")
    assert 0 <= bucket < 4 ** 3
    assert tree.node_hash(3, bucket) != MerkleTree(4, 3).node_hash(3, bucket)
    with pytest.raises(MerkleShapeError):
        tree.diff(MerkleTree(4, 4))
    for fanout, depth in [(3, 2), (1, 2), (4, 0), (4, 33)]:
        with pytest.raises(ValueError):
            MerkleTree(fanout, depth)


def test_copy_is_independent():
    tree = MerkleTree.from_items([("a", hash_bytes(b"x"))])
    copy = tree.copy()
    copy.set("b", hash_bytes(b"y"))
    assert copy.root() != tree.root()
    assert tree.get("b") is None
