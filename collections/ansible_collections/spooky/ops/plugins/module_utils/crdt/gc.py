# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tombstone garbage-collection rules.

A tombstone may be dropped when it is causally stable -- every known replica
has acknowledged an HLC stamp at or beyond the tombstone's stamp, i.e. has
merged the delete -- or when it is older than a TTL.  The TTL rule is only safe
if the TTL is longer than the longest partition the federation tolerates:
a replica cut off for longer could otherwise resurrect the deleted key with
its stale value.  :class:`TombstoneGCPolicy` refuses ``ttl_ms <= max_partition_ms``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import is_int
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import GCPolicyError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import make_stamp


class TombstoneGCPolicy:
    """TTL rule for tombstones; ``ttl_ms`` must exceed ``max_partition_ms``.

    :param ttl_ms: tombstones whose wall time is older than ``now - ttl_ms`` are dropped.
    :param max_partition_ms: the longest partition the federation must survive.
    """

    __slots__ = ("ttl_ms", "max_partition_ms")

    def __init__(self, ttl_ms, max_partition_ms):
        for name, value in (("ttl_ms", ttl_ms), ("max_partition_ms", max_partition_ms)):
            if not is_int(value) or value <= 0:
                raise GCPolicyError("%s must be a positive integer number of milliseconds, got %r" % (name, value))
        if ttl_ms <= max_partition_ms:
            raise GCPolicyError("tombstone ttl_ms (%d) must be longer than max_partition_ms (%d): a replica partitioned "
                                "for longer than the TTL would resurrect deleted keys" % (ttl_ms, max_partition_ms))
        self.ttl_ms = ttl_ms
        self.max_partition_ms = max_partition_ms

    def expire_before(self, now_ms):
        """Wall time (ms) before which tombstones have expired."""
        return now_ms - self.ttl_ms

    def __repr__(self):
        return "TombstoneGCPolicy(ttl_ms=%d, max_partition_ms=%d)" % (self.ttl_ms, self.max_partition_ms)


def causally_stable_stamp(acks, known_nodes):
    """The stamp every known replica has acknowledged, or None.

    :param acks: mapping node id -> acknowledged HLC stamp (the replica has
        merged every update stamped at or before it).
    :param known_nodes: every replica of the federation.  If one of them has no
        acknowledgement nothing is stable.
    """
    known = list(known_nodes)
    if not known:
        raise GCPolicyError("known_nodes must list at least one replica")
    stable = None
    for node in known:
        stamp = acks.get(node)
        if stamp is None:
            return None
        stamp = make_stamp(*stamp)
        if stable is None or stamp < stable:
            stable = stamp
    return stable
