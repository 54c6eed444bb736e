# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Last-writer-wins register map with tombstones.

Layout (chosen for million-key merges): ``entries`` is a plain dict
``key -> (stamp, value)`` where ``stamp`` is an HLC tuple
``(wall_ms, logical, node_id)`` and ``value`` is a JSON value or the
:data:`TOMBSTONE` singleton for a deleted key.  Entries are immutable tuples
shared between maps; merging compares the stamp tuples directly.

Merge = per key, the entry with the greatest stamp.  Equal stamps with
different payloads (impossible with correct HLCs, but corrupt or hand-written
input must not break convergence) are resolved deterministically: a tombstone
wins, otherwise the greater canonical JSON text wins.  The merge is therefore
commutative, associative and idempotent for any input.

Encoding::

    {"type": "lww-map", "v": 1,
     "entries": {"key": [wall_ms, logical, "node", value],   # live value
                 "gone": [wall_ms, logical, "node"]}}          # tombstone
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    canonical_bytes,
    check_header,
    check_json_value,
    encode_str,
    expect_dict,
    load_object,
    type_name,
    value_fingerprint,
    FORMAT_VERSION,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import make_stamp
from ansible_collections.spooky.ops.plugins.module_utils.crdt.merkle import DEFAULT_DEPTH, DEFAULT_FANOUT, HASH_BYTES, MerkleTree, hash_bytes

TYPE_TAG = "lww-map"


class _Tombstone:
    """Marker stored instead of a value for deleted keys (a singleton)."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __repr__(self):
        return "TOMBSTONE"

    def __reduce__(self):
        return (_Tombstone, ())

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


TOMBSTONE = _Tombstone()


def _tie_key(entry):
    value = entry[1]
    if value is TOMBSTONE:
        return (1, "")
    return (0, value_fingerprint(value))


def entry_wins(candidate, current):
    """True if entry ``candidate`` replaces entry ``current`` in a merge."""
    if candidate is current:
        return False
    cand_stamp = candidate[0]
    cur_stamp = current[0]
    if cand_stamp != cur_stamp:
        return cand_stamp > cur_stamp
    if candidate[1] is current[1]:
        return False
    return _tie_key(candidate) > _tie_key(current)


def entry_fingerprint(key, entry):
    """``<key as JSON string>:<entry as canonical JSON>`` -- what the entry hash covers."""
    stamp, value = entry
    if value is TOMBSTONE:
        return "%s:[%d,%d,%s]" % (encode_str(key), stamp[0], stamp[1], encode_str(stamp[2]))
    return "%s:[%d,%d,%s,%s]" % (encode_str(key), stamp[0], stamp[1], encode_str(stamp[2]), value_fingerprint(value))


def entry_hash(key, entry):
    """16-byte blake2b of :func:`entry_fingerprint` (covers key, stamp and value)."""
    return hash_bytes(entry_fingerprint(key, entry).encode("utf-8"))


def _bulk_entry_hashes(entries):
    """``(key, entry_hash)`` for every entry; same result as :func:`entry_hash`, inlined for speed."""
    blake = hashlib.blake2b
    enc = encode_str
    fingerprint = value_fingerprint
    float_repr = float.__repr__
    tombstone = TOMBSTONE
    size = HASH_BYTES
    for key, (stamp, value) in entries.items():
        if value is tombstone:
            text = "%s:[%d,%d,%s]" % (enc(key), stamp[0], stamp[1], enc(stamp[2]))
        elif isinstance(value, float) and value - value == 0.0:
            text = "%s:[%d,%d,%s,%s]" % (enc(key), stamp[0], stamp[1], enc(stamp[2]), float_repr(value))
        else:
            text = "%s:[%d,%d,%s,%s]" % (enc(key), stamp[0], stamp[1], enc(stamp[2]), fingerprint(value))
        yield key, blake(text.encode("utf-8"), digest_size=size).digest()


def winning_entries(source, target, keys=None):
    """Entries of dict ``source`` that would change dict ``target`` if merged into it.

    ``keys`` restricts the scan (e.g. to the keys of a Merkle diff).
    """
    out = {}
    get = target.get
    if keys is None:
        items = source.items()
    else:
        items = ((key, source[key]) for key in keys if key in source)
    for key, entry in items:
        current = get(key)
        if current is None:
            out[key] = entry
        elif current is not entry:
            stamp = entry[0]
            current_stamp = current[0]
            if current_stamp < stamp or (current_stamp == stamp and entry_wins(entry, current)):
                out[key] = entry
    return out


class LWWMap:
    """LWW-register map.  ``entries`` may be read directly (key -> (stamp, value))."""

    __slots__ = ("entries", "_tree", "_dirty")

    def __init__(self, entries=None):
        self.entries = {} if entries is None else entries
        self._tree = None
        self._dirty = None

    # -- local operations -------------------------------------------------
    def _put(self, key, entry):
        current = self.entries.get(key)
        if current is not None and not entry_wins(entry, current):
            return False
        self.entries[key] = entry
        if self._tree is not None:
            self._dirty.add(key)
        return True

    def set(self, key, value, stamp):
        """Write ``value`` under ``key`` with HLC ``stamp``; False if a newer entry wins."""
        if not isinstance(key, str) or not key:
            raise ValueError("LWW map key must be a non-empty string, got %r" % (key,))
        if value is TOMBSTONE:
            raise ValueError("use delete() to write a tombstone")
        check_json_value(value, "value of %r" % key)
        return self._put(key, (make_stamp(*stamp), value))

    def delete(self, key, stamp):
        """Write a tombstone for ``key`` with HLC ``stamp``; False if a newer entry wins."""
        if not isinstance(key, str) or not key:
            raise ValueError("LWW map key must be a non-empty string, got %r" % (key,))
        return self._put(key, (make_stamp(*stamp), TOMBSTONE))

    # -- reads ----------------------------------------------------------------
    def get(self, key, default=None):
        """Live value of ``key`` (``default`` if absent or deleted)."""
        entry = self.entries.get(key)
        if entry is None or entry[1] is TOMBSTONE:
            return default
        return entry[1]

    def get_entry(self, key):
        """Raw ``(stamp, value)`` entry (value may be TOMBSTONE) or None."""
        return self.entries.get(key)

    def __contains__(self, key):
        entry = self.entries.get(key)
        return entry is not None and entry[1] is not TOMBSTONE

    def items(self):
        """Live ``(key, value)`` pairs."""
        return [(key, entry[1]) for key, entry in self.entries.items() if entry[1] is not TOMBSTONE]

    def live_dict(self):
        """Live values as a plain dict."""
        return dict(self.items())

    def tombstones(self):
        """``(key, stamp)`` of every tombstone."""
        return [(key, entry[0]) for key, entry in self.entries.items() if entry[1] is TOMBSTONE]

    def __len__(self):
        """Number of stored entries, tombstones included."""
        return len(self.entries)

    def max_stamp(self):
        """Greatest stamp stored, or None for an empty map."""
        return max((entry[0] for entry in self.entries.values()), default=None)

    # -- merging ----------------------------------------------------------
    def copy(self, with_digest=False):
        """Shallow copy (entries are immutable tuples and are shared).

        ``with_digest=True`` also copies the Merkle tree if one was built, so
        the copy can be re-digested incrementally (costs a tree copy).
        """
        out = LWWMap(dict(self.entries))
        if with_digest and self._tree is not None:
            out._tree = self.merkle(self._tree.fanout, self._tree.depth).copy()
            out._dirty = set()
        return out

    def merge_into(self, other):
        """Merge ``other`` (LWWMap or entries dict) into ``self``; returns keys changed."""
        source = other.entries if isinstance(other, LWWMap) else other
        entries = self.entries
        get = entries.get
        dirty = self._dirty if self._tree is not None else None
        changed = 0
        for key, entry in source.items():
            current = get(key)
            if current is None:
                pass
            elif current is entry:
                continue
            else:
                stamp = entry[0]
                current_stamp = current[0]
                if stamp < current_stamp:
                    continue
                if stamp == current_stamp and not entry_wins(entry, current):
                    continue
            entries[key] = entry
            changed += 1
            if dirty is not None:
                dirty.add(key)
        return changed

    def merge(self, other):
        """New map = join of ``self`` and ``other`` (neither is modified)."""
        out = self.copy()
        out.merge_into(other)
        return out

    def delta(self, other):
        """Entries of ``self`` that ``other`` lacks or holds older, found via the Merkle diff.

        Returns ``(delta_map, merkle_diff)``.  ``other.merge(delta)`` equals
        ``other.merge(self)``.
        """
        diff = self.merkle().diff(other.merkle())
        return LWWMap(winning_entries(self.entries, other.entries, diff.keys)), diff

    # -- digest -----------------------------------------------------------
    def merkle(self, fanout=DEFAULT_FANOUT, depth=DEFAULT_DEPTH):
        """The Merkle tree of this map, built once and then maintained incrementally."""
        tree = self._tree
        if tree is None or tree.fanout != fanout or tree.depth != depth:
            tree = MerkleTree.from_items(_bulk_entry_hashes(self.entries), fanout, depth)
            self._tree = tree
            self._dirty = set()
        elif self._dirty:
            entries = self.entries
            for key in self._dirty:
                entry = entries.get(key)
                if entry is None:
                    tree.discard(key)
                else:
                    tree.set(key, entry_hash(key, entry))
            self._dirty = set()
        tree.root()
        return tree

    def root_hex(self):
        """Hex root hash of the Merkle tree (equal on converged replicas)."""
        return self.merkle().root_hex()

    # -- garbage collection -----------------------------------------------
    def gc_tombstones(self, stable_stamp=None, expire_before_ms=None):
        """Drop tombstones with stamp <= ``stable_stamp`` or wall time < ``expire_before_ms``.

        Use :meth:`Replica.gc` which derives both bounds safely; returns the
        removed keys.
        """
        removed = []
        for key, entry in self.entries.items():
            if entry[1] is not TOMBSTONE:
                continue
            stamp = entry[0]
            if (stable_stamp is not None and stamp <= stable_stamp) or (expire_before_ms is not None and stamp[0] < expire_before_ms):
                removed.append(key)
        for key in removed:
            del self.entries[key]
            if self._tree is not None:
                self._dirty.add(key)
        return removed

    # -- encoding ---------------------------------------------------------
    def to_obj(self):
        """JSON-ready object (see module docstring)."""
        encoded = {}
        for key, entry in self.entries.items():
            stamp, value = entry
            if value is TOMBSTONE:
                encoded[key] = [stamp[0], stamp[1], stamp[2]]
            else:
                encoded[key] = [stamp[0], stamp[1], stamp[2], value]
        return {"type": TYPE_TAG, "v": FORMAT_VERSION, "entries": encoded}

    def encode(self):
        """Canonical JSON bytes."""
        return canonical_bytes(self.to_obj())

    @classmethod
    def from_obj(cls, obj, where="lww-map", clock_bound=None):
        """Decode and validate; raises :class:`DecodeError` with the offending path.

        ``clock_bound`` (a stamp) rejects entries whose ``(wall_ms, logical)``
        is beyond it: a replica never stores stamps newer than its own clock.
        """
        check_header(obj, where, TYPE_TAG, required=("entries",))
        raw = expect_dict(obj["entries"], where + ".entries")
        entries = {}
        bound_wall = bound_logical = None
        if clock_bound is not None:
            bound_wall, bound_logical = clock_bound[0], clock_bound[1]
        for key, item in raw.items():
            if not isinstance(item, list) or not 3 <= len(item) <= 4:
                raise DecodeError("%s.entries[%r]: expected [wall_ms, logical, node_id] or [wall_ms, logical, node_id, value], got %s"
                                  % (where, key, type_name(item) if not isinstance(item, list) else "array of %d" % len(item)))
            wall, logical, node = item[0], item[1], item[2]
            if (not isinstance(wall, int) or not isinstance(logical, int) or wall is True or wall is False or logical is True or logical is False
                    or wall < 0 or logical < 0 or not isinstance(node, str) or not node):
                raise DecodeError("%s.entries[%r]: bad HLC stamp %r (expected non-negative integers and a non-empty node id)"
                                  % (where, key, item[:3]))
            if not key:
                raise DecodeError("%s.entries: empty key" % where)
            if bound_wall is not None and (wall > bound_wall or (wall == bound_wall and logical > bound_logical)):
                raise DecodeError("%s.entries[%r]: stamp %d.%d@%s is ahead of the document clock %d.%d"
                                  % (where, key, wall, logical, node, bound_wall, bound_logical))
            entries[key] = ((wall, logical, node), item[3] if len(item) == 4 else TOMBSTONE)
        return cls(entries)

    @classmethod
    def decode(cls, raw):
        """Decode canonical JSON bytes/str (or a parsed object)."""
        return cls.from_obj(load_object(raw, "LWW map"))

    def __eq__(self, other):
        if not isinstance(other, LWWMap):
            return NotImplemented
        return self.encode() == other.encode()

    __hash__ = None

    def __repr__(self):
        return "LWWMap(%d entries, %d tombstones)" % (len(self.entries), len(self.tombstones()))
