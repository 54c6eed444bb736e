# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PN-counter: per-node increment (P) and decrement (N) totals, merged by max.

Amounts are integers (use minor currency units, e.g. cents, for spend).
Zero totals are never stored, so equal states have equal encodings.

Encoding::

    {"type": "pn-counter", "v": 1, "p": {"node": 1200}, "n": {"node": 200}}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    is_int,
    canonical_bytes,
    check_header,
    expect_dict,
    expect_int,
    load_object,
    FORMAT_VERSION,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.merkle import hash_bytes

TYPE_TAG = "pn-counter"


def _check_node(node_id):
    if not isinstance(node_id, str) or not node_id:
        raise ValueError("PN-counter node id must be a non-empty string, got %r" % (node_id,))


def _check_amount(amount):
    if not is_int(amount) or amount <= 0:
        raise ValueError("PN-counter amount must be a positive integer, got %r" % (amount,))


def _max_merge(mine, theirs):
    out = dict(mine)
    for node, total in theirs.items():
        if out.get(node, 0) < total:
            out[node] = total
    return out


class PNCounter:
    """Increment/decrement counter; ``value()`` = sum(P) - sum(N)."""

    __slots__ = ("p", "n")

    def __init__(self, p=None, n=None):
        self.p = {} if p is None else p
        self.n = {} if n is None else n

    def increment(self, node_id, amount=1):
        """Add ``amount`` (> 0) on behalf of ``node_id``."""
        _check_node(node_id)
        _check_amount(amount)
        self.p[node_id] = self.p.get(node_id, 0) + amount

    def decrement(self, node_id, amount=1):
        """Subtract ``amount`` (> 0) on behalf of ``node_id``."""
        _check_node(node_id)
        _check_amount(amount)
        self.n[node_id] = self.n.get(node_id, 0) + amount

    def value(self):
        """Current counter value."""
        return sum(self.p.values()) - sum(self.n.values())

    def node_value(self, node_id):
        """Contribution of one node."""
        return self.p.get(node_id, 0) - self.n.get(node_id, 0)

    def copy(self):
        """Independent copy."""
        return PNCounter(dict(self.p), dict(self.n))

    def merge(self, other):
        """New counter = pointwise max of P and of N."""
        return PNCounter(_max_merge(self.p, other.p), _max_merge(self.n, other.n))

    def merge_into(self, other):
        """Merge ``other`` into ``self``; returns True if the state changed."""
        merged = self.merge(other)
        changed = merged.p != self.p or merged.n != self.n
        self.p, self.n = merged.p, merged.n
        return changed

    def to_obj(self):
        """JSON-ready object."""
        return {"type": TYPE_TAG, "v": FORMAT_VERSION, "p": dict(self.p), "n": dict(self.n)}

    def encode(self):
        """Canonical JSON bytes."""
        return canonical_bytes(self.to_obj())

    def digest_hex(self):
        """Hex hash of the canonical encoding."""
        return hash_bytes(self.encode()).hex()

    @classmethod
    def from_obj(cls, obj, where="pn-counter"):
        """Decode and validate (integer totals >= 1, non-empty node ids)."""
        check_header(obj, where, TYPE_TAG, required=("p", "n"))
        parts = []
        for name in ("p", "n"):
            totals = {}
            for node, total in expect_dict(obj[name], "%s.%s" % (where, name)).items():
                if not node:
                    raise DecodeError("%s.%s: empty node id" % (where, name))
                totals[node] = expect_int(total, "%s.%s[%r]" % (where, name, node), minimum=1)
            parts.append(totals)
        return cls(parts[0], parts[1])

    @classmethod
    def decode(cls, raw):
        """Decode canonical JSON bytes/str (or a parsed object)."""
        return cls.from_obj(load_object(raw, "PN-counter"))

    def __eq__(self, other):
        if not isinstance(other, PNCounter):
            return NotImplemented
        return self.p == other.p and self.n == other.n

    __hash__ = None

    def __repr__(self):
        return "PNCounter(value=%d)" % self.value()
