# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bucketed Merkle hash tree for anti-entropy (as in Dynamo, Cassandra, riak_core).

Each key goes to a leaf bucket chosen by the top ``depth * log2(fanout)`` bits
of ``blake2b(key)``.  Entry hashes must cover the key as well as the entry (see
``lww_map.entry_hash``); a leaf hash covers the sorted entry hashes of its
bucket, an inner node hashes its ``fanout`` children.  Nodes are stored
sparsely (one dict per level); a missing node has the precomputed hash of an
empty subtree of that level, so small maps stay cheap.

Shape: fan-out 4, depth 9 = 262,144 leaf buckets, about 4 keys per bucket at
one million keys.  A fan-out of 4 halves the comparisons per tree level
compared with 16 (4 comparisons per 2 bits instead of 16 per 4 bits), so
finding 100 differing keys among 1M costs about 2,700 hash comparisons.
Changing one key re-hashes one leaf and ``depth`` inner nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import is_int
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import MerkleShapeError

DEFAULT_FANOUT = 4
DEFAULT_DEPTH = 9
HASH_BYTES = 16

_blake2b = hashlib.blake2b
_EMPTY_CACHE = {}


def hash_bytes(data):
    """The 16-byte blake2b hash used for entries and tree nodes."""
    return _blake2b(data, digest_size=HASH_BYTES).digest()


def _empty_hashes(fanout, depth):
    """Hash of an empty subtree for every level (index 0 = root, ``depth`` = leaf)."""
    key = (fanout, depth)
    cached = _EMPTY_CACHE.get(key)
    if cached is None:
        cached = [b""] * (depth + 1)
        cached[depth] = hash_bytes(b"L")
        for level in range(depth - 1, -1, -1):
            cached[level] = hash_bytes(b"N" + cached[level + 1] * fanout)
        _EMPTY_CACHE[key] = cached
    return cached


class MerkleDiff:
    """Result of :meth:`MerkleTree.diff`: the differing keys and the work done."""

    __slots__ = ("keys", "comparisons", "buckets")

    def __init__(self, keys, comparisons, buckets):
        self.keys = keys
        self.comparisons = comparisons
        self.buckets = buckets

    def __repr__(self):
        return "MerkleDiff(%d keys, %d comparisons, %d buckets)" % (len(self.keys), self.comparisons, self.buckets)


class MerkleTree:
    """A sparse, incrementally maintained Merkle tree over ``key -> entry hash``.

    The entry hash (16 bytes) must depend on the key and the entry content.

    :param fanout: children per inner node, a power of two >= 2.
    :param depth: number of levels below the root (leaf buckets = fanout ** depth).
    """

    __slots__ = ("fanout", "depth", "_shift", "_leaves", "_levels", "_empty", "_dirty")

    def __init__(self, fanout=DEFAULT_FANOUT, depth=DEFAULT_DEPTH):
        if not is_int(fanout) or fanout < 2 or fanout & (fanout - 1):
            raise ValueError("fanout must be a power of two >= 2, got %r" % (fanout,))
        bits = (fanout.bit_length() - 1) * depth if is_int(depth) else 0
        if not is_int(depth) or depth < 1 or bits > 64:
            raise ValueError("depth must be an integer >= 1 with depth * log2(fanout) <= 64, got %r" % (depth,))
        self.fanout = fanout
        self.depth = depth
        self._shift = 64 - bits
        self._leaves = {}
        self._levels = [{} for dummy in range(depth + 1)]
        self._empty = _empty_hashes(fanout, depth)
        self._dirty = set()

    @classmethod
    def from_items(cls, items, fanout=DEFAULT_FANOUT, depth=DEFAULT_DEPTH):
        """Build a tree from an iterable of ``(key, entry_hash)`` pairs."""
        tree = cls(fanout, depth)
        leaves = tree._leaves
        shift = tree._shift
        blake = _blake2b
        from_bytes = int.from_bytes
        for key, digest in items:
            bucket = from_bytes(blake(key.encode("utf-8"), digest_size=8).digest(), "big") >> shift
            leaf = leaves.get(bucket)
            if leaf is None:
                leaves[bucket] = {key: digest}
            else:
                leaf[key] = digest
        tree._dirty = set(leaves)
        tree._rehash()
        return tree

    def bucket_of(self, key):
        """Leaf bucket index of ``key``."""
        return int.from_bytes(_blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") >> self._shift

    def set(self, key, digest):
        """Insert or replace the entry hash of ``key`` (re-hashing is deferred to :meth:`root`)."""
        bucket = self.bucket_of(key)
        leaf = self._leaves.get(bucket)
        if leaf is None:
            self._leaves[bucket] = {key: digest}
        else:
            leaf[key] = digest
        self._dirty.add(bucket)

    def discard(self, key):
        """Remove ``key`` if present."""
        bucket = self.bucket_of(key)
        leaf = self._leaves.get(bucket)
        if leaf is not None and key in leaf:
            del leaf[key]
            if not leaf:
                del self._leaves[bucket]
            self._dirty.add(bucket)

    def get(self, key):
        """Entry hash stored for ``key`` or None."""
        leaf = self._leaves.get(self.bucket_of(key))
        return None if leaf is None else leaf.get(key)

    def __len__(self):
        return sum(len(leaf) for leaf in self._leaves.values())

    @staticmethod
    def _leaf_hash(leaf):
        # Entry hashes cover their key, so the sorted hashes identify the bucket content.
        return _blake2b(b"L" + b"".join(sorted(leaf.values())), digest_size=HASH_BYTES).digest()

    def _rehash(self):
        """Recompute the hashes of dirty buckets and of their ancestors only."""
        dirty = self._dirty
        if not dirty:
            return 0
        depth = self.depth
        fanout = self.fanout
        empty = self._empty
        levels = self._levels
        leaves = self._leaves
        level = levels[depth]
        leaf_hash = self._leaf_hash
        hashed = 0
        for bucket in dirty:
            leaf = leaves.get(bucket)
            if leaf:
                level[bucket] = leaf_hash(leaf)
            else:
                level.pop(bucket, None)
            hashed += 1
        parents = set(bucket // fanout for bucket in dirty)
        blake = _blake2b
        for depth_index in range(depth - 1, -1, -1):
            children = levels[depth_index + 1]
            child_empty = empty[depth_index + 1]
            own_empty = empty[depth_index]
            level = levels[depth_index]
            for node in parents:
                base = node * fanout
                data = b"N" + b"".join([children.get(index, child_empty) for index in range(base, base + fanout)])
                digest = blake(data, digest_size=HASH_BYTES).digest()
                if digest == own_empty:
                    level.pop(node, None)
                else:
                    level[node] = digest
                hashed += 1
            parents = set(node // fanout for node in parents)
        self._dirty = set()
        return hashed

    def root(self):
        """Root hash (bytes), re-hashing only the paths touched since the last call."""
        self._rehash()
        return self._levels[0].get(0, self._empty[0])

    def root_hex(self):
        """Root hash as hex text."""
        return self.root().hex()

    def node_hash(self, level, index):
        """Hash of node ``index`` at ``level`` (0 = root, ``depth`` = leaf buckets)."""
        self._rehash()
        return self._levels[level].get(index, self._empty[level])

    def copy(self):
        """An independent copy of the tree."""
        self._rehash()
        other = MerkleTree(self.fanout, self.depth)
        other._leaves = dict((bucket, dict(leaf)) for bucket, leaf in self._leaves.items())
        other._levels = [dict(level) for level in self._levels]
        return other

    def diff(self, other):
        """Keys whose entry hash differs between ``self`` and ``other``.

        Descends only into subtrees whose hashes differ.  Every comparison of
        two hashes (root, inner node, leaf bucket, per-key entry hash in a
        differing bucket) is counted in ``MerkleDiff.comparisons``.
        """
        if self.fanout != other.fanout or self.depth != other.depth:
            raise MerkleShapeError("cannot diff Merkle trees of different shapes (fanout %d depth %d vs fanout %d depth %d)"
                                   % (self.fanout, self.depth, other.fanout, other.depth))
        comparisons = 1
        if self.root() == other.root():
            return MerkleDiff([], comparisons, 0)
        fanout = self.fanout
        frontier = [0]
        for level_index in range(1, self.depth + 1):
            mine = self._levels[level_index]
            theirs = other._levels[level_index]
            empty = self._empty[level_index]
            following = []
            for node in frontier:
                base = node * fanout
                for index in range(base, base + fanout):
                    comparisons += 1
                    if mine.get(index, empty) != theirs.get(index, empty):
                        following.append(index)
            frontier = following
        keys = []
        no_leaf = {}
        for bucket in frontier:
            mine = self._leaves.get(bucket, no_leaf)
            theirs = other._leaves.get(bucket, no_leaf)
            for key in set(mine) | set(theirs):
                comparisons += 1
                if mine.get(key) != theirs.get(key):
                    keys.append(key)
        keys.sort()
        return MerkleDiff(keys, comparisons, len(frontier))
