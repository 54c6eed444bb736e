# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replica document one cluster stores: every federation CRDT plus its digest.

Content: LWW maps (``router_weights``, ``promotions``, more may be added), the
``quarantined`` ORSWOT of capabilities and the ``spend`` PN-counter.  The
document also carries the node id, the node's HLC and a digest of the content
(node id and clock excluded, so converged replicas have equal digests).

Encoding (canonical JSON)::

    {"type": "spooky.crdt.replica", "v": 1, "node": "eu-1", "clock": [wall_ms, logical, "eu-1"],
     "maps": {"router_weights": <lww-map>, "promotions": <lww-map>},
     "quarantined": <orswot>, "spend": <pn-counter>,
     "digest": {"root": hex, "maps": {"router_weights": hex}, "quarantined": hex, "spend": hex}}

Invariant checked on decode: no entry stamp is ahead of the document clock,
and the clock is not beyond local physical time + max offset, so one check of
the clock rejects every "from the future" entry.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
from itertools import islice

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    is_int,
    canonical_bytes,
    check_header,
    check_object,
    expect_dict,
    expect_str,
    strict_loads,
    FORMAT_VERSION,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import (
    ClockSkewError,
    CRDTError,
    DecodeError,
    DigestMismatchError,
    GCPolicyError,
    ShardError,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.gc import TombstoneGCPolicy, causally_stable_stamp
from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import DEFAULT_MAX_OFFSET_MS, HLC, stamp_from_obj, stamp_to_obj
from ansible_collections.spooky.ops.plugins.module_utils.crdt.lww_map import LWWMap, winning_entries
from ansible_collections.spooky.ops.plugins.module_utils.crdt.merkle import hash_bytes
from ansible_collections.spooky.ops.plugins.module_utils.crdt.orswot import ORSWOT
from ansible_collections.spooky.ops.plugins.module_utils.crdt.pncounter import PNCounter
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import join_shards, split_shards, DEFAULT_SHARD_BYTES

DOC_TYPE = "spooky.crdt.replica"
DEFAULT_MAPS = ("router_weights", "promotions")
MAP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _check_map_name(name, where="map name"):
    if not isinstance(name, str) or not MAP_NAME_PATTERN.match(name):
        raise DecodeError("%s: %r is not a valid map name (lowercase letters, digits, '_', starting with a letter)" % (where, name))
    return name


class Replica:
    """One cluster's federation state.

    :param node_id: this cluster's id (HLC tie-break, ORSWOT actor, PN-counter node).
    :param physical_clock: injectable millisecond clock (tests).
    :param max_offset_ms: tolerated clock skew of remote replicas.
    :param map_names: LWW maps to create empty.
    :param clock: an existing :class:`HLC` (overrides the three clock arguments).
    """

    __slots__ = ("node_id", "clock", "maps", "quarantined", "spend")

    def __init__(self, node_id, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, map_names=DEFAULT_MAPS, clock=None):
        self.clock = clock if clock is not None else HLC(node_id, physical_clock, max_offset_ms)
        if self.clock.node_id != node_id:
            raise ValueError("clock node id %r differs from replica node id %r" % (self.clock.node_id, node_id))
        self.node_id = node_id
        self.maps = {}
        for name in map_names:
            self.maps[_check_map_name(name)] = LWWMap()
        self.quarantined = ORSWOT()
        self.spend = PNCounter()

    # -- local operations -------------------------------------------------
    def lww(self, map_name):
        """The :class:`LWWMap` called ``map_name`` (KeyError if unknown)."""
        try:
            return self.maps[map_name]
        except KeyError:
            raise KeyError("unknown LWW map %r (known: %s)" % (map_name, ", ".join(sorted(self.maps))))

    def add_map(self, map_name):
        """Create an empty LWW map (no-op if present); returns it."""
        _check_map_name(map_name)
        return self.maps.setdefault(map_name, LWWMap())

    def set(self, map_name, key, value):
        """Write ``value`` under ``key`` in map ``map_name``; returns the HLC stamp used."""
        target = self.lww(map_name)
        stamp = self.clock.now()
        target.set(key, value, stamp)
        return stamp

    def delete(self, map_name, key):
        """Delete ``key`` (writes a tombstone); returns the HLC stamp used."""
        target = self.lww(map_name)
        stamp = self.clock.now()
        target.delete(key, stamp)
        return stamp

    def get(self, map_name, key, default=None):
        """Live value of ``key`` in ``map_name``."""
        return self.lww(map_name).get(key, default)

    def quarantine(self, capability):
        """Add ``capability`` to the quarantined set."""
        return self.quarantined.add(capability, self.node_id)

    def release(self, capability):
        """Remove ``capability`` from the quarantined set; False if it was not quarantined."""
        return self.quarantined.remove(capability)

    def is_quarantined(self, capability):
        """Membership test on the quarantined set."""
        return capability in self.quarantined

    def add_spend(self, amount):
        """Record spend (positive integer, minor units)."""
        self.spend.increment(self.node_id, amount)

    def refund_spend(self, amount):
        """Record a refund (positive integer, minor units)."""
        self.spend.decrement(self.node_id, amount)

    def spend_total(self):
        """Federation-wide spend as seen by this replica."""
        return self.spend.value()

    # -- digest and encoding ----------------------------------------------
    def digest(self):
        """Content digest: ``{"root", "maps": {name: hex}, "quarantined", "spend"}``.

        Empty maps are left out, node id and clock are not covered: two
        replicas have the same root exactly when their CRDT content is equal.
        """
        maps = dict((name, lww.root_hex()) for name, lww in self.maps.items() if lww.entries)
        quarantined = self.quarantined.digest_hex()
        spend = self.spend.digest_hex()
        root = hash_bytes(canonical_bytes({"maps": maps, "quarantined": quarantined, "spend": spend})).hex()
        return {"root": root, "maps": maps, "quarantined": quarantined, "spend": spend}

    def root_digest(self):
        """Hex root of :meth:`digest`."""
        return self.digest()["root"]

    def same_content(self, other):
        """True if both replicas hold the same CRDT state."""
        return self.root_digest() == other.root_digest()

    def content_bytes(self):
        """Canonical JSON of the CRDT content only (no node id, clock or digest)."""
        return canonical_bytes({"maps": dict((name, lww.to_obj()) for name, lww in self.maps.items() if lww.entries),
                                "quarantined": self.quarantined.to_obj(), "spend": self.spend.to_obj()})

    def to_obj(self):
        """JSON-ready document (see module docstring)."""
        return {"type": DOC_TYPE, "v": FORMAT_VERSION, "node": self.node_id, "clock": stamp_to_obj(self.clock.last),
                "maps": dict((name, lww.to_obj()) for name, lww in self.maps.items()),
                "quarantined": self.quarantined.to_obj(), "spend": self.spend.to_obj(), "digest": self.digest()}

    def encode(self):
        """Canonical JSON bytes of the document."""
        return canonical_bytes(self.to_obj())

    def encode_shards(self, max_bytes=DEFAULT_SHARD_BYTES):
        """``(manifest, shards)`` of the encoded document, each shard under ``max_bytes``."""
        return split_shards(self.encode(), max_bytes)

    @classmethod
    def from_obj(cls, obj, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, verify_digest=True):
        """Decode and validate a parsed document.

        :raises DecodeError: schema problems (types, unknown fields, bad stamps,
            entries ahead of the document clock).
        :raises ClockSkewError: the document clock is beyond local physical
            time + ``max_offset_ms``.
        :raises DigestMismatchError: the stored digest does not match the content.
        """
        check_header(obj, "replica", DOC_TYPE, required=("node", "clock", "maps", "quarantined", "spend", "digest"))
        node_id = expect_str(obj["node"], "replica.node")
        stamp = stamp_from_obj(obj["clock"], "replica.clock")
        if stamp[2] != node_id:
            raise DecodeError("replica.clock: clock node id %r differs from document node %r" % (stamp[2], node_id))
        clock = HLC(node_id, physical_clock, max_offset_ms, last=stamp)
        clock.check_remote(stamp)
        replica = cls(node_id, clock=clock, map_names=())
        for name, raw_map in expect_dict(obj["maps"], "replica.maps").items():
            _check_map_name(name, "replica.maps")
            replica.maps[name] = LWWMap.from_obj(raw_map, "replica.maps[%r]" % name, clock_bound=stamp)
        for name in DEFAULT_MAPS:
            replica.maps.setdefault(name, LWWMap())
        replica.quarantined = ORSWOT.from_obj(obj["quarantined"], "replica.quarantined")
        replica.spend = PNCounter.from_obj(obj["spend"], "replica.spend")
        stored = check_object(obj["digest"], "replica.digest", ("root", "maps", "quarantined", "spend"))
        expect_dict(stored["maps"], "replica.digest.maps")
        if verify_digest:
            try:
                computed = replica.digest()
            except (UnicodeEncodeError, ValueError, TypeError) as exc:
                raise DecodeError("replica: content cannot be canonically encoded: %s" % exc)
            replica._verify_digest(stored, computed)
        return replica

    def _verify_digest(self, stored, computed):
        components = []
        for name in sorted(set(stored["maps"]) | set(computed["maps"])):
            components.append(("maps[%r]" % name, stored["maps"].get(name), computed["maps"].get(name)))
        components.append(("quarantined", stored["quarantined"], computed["quarantined"]))
        components.append(("spend", stored["spend"], computed["spend"]))
        components.append(("root", stored["root"], computed["root"]))
        for component, stored_hex, computed_hex in components:
            if stored_hex != computed_hex:
                raise DigestMismatchError("replica %r: stored digest of %s (%s) does not match its content (%s)"
                                          % (self.node_id, component, str(stored_hex)[:16], str(computed_hex)[:16]),
                                          component=component, stored=stored_hex, computed=computed_hex)

    @classmethod
    def decode(cls, raw, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, verify_digest=True):
        """Decode and validate document bytes/str (see :meth:`from_obj`)."""
        return cls.from_obj(strict_loads(raw, "replica document"), physical_clock, max_offset_ms, verify_digest)

    @classmethod
    def decode_shards(cls, manifest, shards, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, verify_digest=True):
        """Reassemble (:func:`join_shards`) and decode a sharded document."""
        return cls.decode(join_shards(manifest, shards), physical_clock, max_offset_ms, verify_digest)

    # -- merging ----------------------------------------------------------
    def copy(self, with_digest=False):
        """Independent copy (LWW entries are shared immutable tuples).

        ``with_digest=True`` copies built Merkle trees too (a snapshot that can
        be re-digested incrementally, e.g. to roll back after a merge storm).
        """
        out = Replica(self.node_id, clock=self.clock.copy(), map_names=())
        for name, lww in self.maps.items():
            out.maps[name] = lww.copy(with_digest)
        out.quarantined = self.quarantined.copy()
        out.spend = self.spend.copy()
        return out

    def merge_into(self, other):
        """Merge ``other`` (a full replica or a delta) into ``self``; returns the number of changes.

        The HLC guard runs first: a replica whose clock is too far ahead raises
        :class:`ClockSkewError` and nothing is merged.
        """
        self.clock.update(other.clock.last)
        changed = 0
        for name, lww in other.maps.items():
            mine = self.maps.get(name)
            if mine is None:
                mine = self.maps[name] = LWWMap()
            changed += mine.merge_into(lww)
        changed += int(self.quarantined.merge_into(other.quarantined))
        changed += int(self.spend.merge_into(other.spend))
        return changed

    def merge(self, other):
        """New replica (``self``'s node id) = join of ``self`` and ``other``."""
        out = self.copy()
        out.merge_into(other)
        return out

    def delta(self, other):
        """What ``other`` lacks from ``self``, found through the Merkle digests.

        Returns ``(delta, comparisons)``: ``delta`` is a partial :class:`Replica`
        (LWW entries of ``self`` that ``other`` lacks or has older, plus the
        ORSWOT / counter state if merging them would change ``other``) and ``comparisons`` the number of
        hash comparisons the digest diffs made.  ``other.merge(delta)`` has the
        same content as ``other.merge(self)``.
        """
        out = Replica(self.node_id, clock=self.clock.copy(), map_names=())
        comparisons = 0
        for name, lww in self.maps.items():
            theirs = other.maps.get(name)
            if theirs is None:
                theirs = LWWMap()
            part, diff = lww.delta(theirs)
            comparisons += diff.comparisons
            if part.entries:
                out.maps[name] = part
        comparisons += 2
        if other.quarantined.merge(self.quarantined) != other.quarantined:
            out.quarantined = self.quarantined.copy()
        if other.spend.merge(self.spend) != other.spend:
            out.spend = PNCounter(dict((node, total) for node, total in self.spend.p.items() if other.spend.p.get(node, 0) < total),
                                  dict((node, total) for node, total in self.spend.n.items() if other.spend.n.get(node, 0) < total))
        return out, comparisons

    def merge_budgeted_into(self, incoming, budget):
        """Apply at most ``budget`` units of ``incoming`` (replica, delta or remainder).

        A unit is one LWW key that changes ``self``, the ORSWOT as a whole, or
        the counter as a whole.  Returns ``(applied, remainder)`` where
        ``remainder`` is None when everything was applied, else a partial
        replica to pass to the next tick.  Repeating until the remainder is None
        gives the same content as :meth:`merge_into`.
        """
        if not is_int(budget) or budget < 1:
            raise ValueError("merge budget must be a positive integer, got %r" % (budget,))
        self.clock.update(incoming.clock.last)
        remainder = Replica(incoming.node_id, clock=incoming.clock.copy(), map_names=())
        pending = False
        applied = 0
        merged_set = self.quarantined.merge(incoming.quarantined)
        if merged_set != self.quarantined:
            if applied < budget:
                self.quarantined = merged_set
                applied += 1
            else:
                remainder.quarantined = incoming.quarantined.copy()
                pending = True
        merged_spend = self.spend.merge(incoming.spend)
        if merged_spend != self.spend:
            if applied < budget:
                self.spend = merged_spend
                applied += 1
            else:
                remainder.spend = incoming.spend.copy()
                pending = True
        for name in sorted(incoming.maps):
            mine = self.maps.get(name)
            wins = winning_entries(incoming.maps[name].entries, mine.entries if mine is not None else {})
            if not wins:
                continue
            if mine is None:
                mine = self.maps[name] = LWWMap()
            room = budget - applied
            if room >= len(wins):
                applied += mine.merge_into(wins)
                continue
            items = iter(wins.items())
            if room > 0:
                applied += mine.merge_into(dict(islice(items, room)))
            remainder.maps[name] = LWWMap(dict(items))
            pending = True
        return applied, (remainder if pending else None)

    # -- garbage collection -----------------------------------------------
    def gc(self, known_nodes, acks, policy=None, now_ms=None):
        """Drop tombstones that are causally stable or older than the policy TTL.

        :param known_nodes: every replica of the federation (this one is added).
        :param acks: node id -> acknowledged HLC stamp (the replica has merged
            every update stamped at or before it); this replica's own clock is
            its acknowledgement.
        :param policy: optional :class:`TombstoneGCPolicy` enabling the TTL rule.
        :param now_ms: physical time for the TTL rule (default: the HLC's clock).
        :returns: dict map name -> removed keys.
        """
        if policy is not None and not isinstance(policy, TombstoneGCPolicy):
            raise GCPolicyError("policy must be a TombstoneGCPolicy, got %r" % (policy,))
        acks = dict(acks)
        acks.setdefault(self.node_id, self.clock.last)
        known = sorted(set(known_nodes) | set([self.node_id]))
        stable = causally_stable_stamp(acks, known)
        expire_before = None
        if policy is not None:
            expire_before = policy.expire_before(now_ms if now_ms is not None else self.clock.physical_clock())
        return dict((name, lww.gc_tombstones(stable, expire_before)) for name, lww in self.maps.items())

    # -- drift recovery ---------------------------------------------------
    def rehydrate_from(self, snapshot):
        """Replace this replica's content with a copy of ``snapshot`` (the primary's).

        Runbook "Federation Drift": used when reconciliation did not converge.
        The clock observes the snapshot clock (guarded) so later writes win.
        """
        self.clock.update(snapshot.clock.last)
        source = snapshot.copy()
        self.maps = source.maps
        self.quarantined = source.quarantined
        self.spend = source.spend

    def __repr__(self):
        return "Replica(%r, maps=%s, quarantined=%d, spend=%d)" % (
            self.node_id, dict((name, len(lww)) for name, lww in self.maps.items()), len(self.quarantined), self.spend.value())


def merge_budgeted(target, incoming, budget):
    """Functional form of :meth:`Replica.merge_budgeted_into`: ``(new_target, remainder, applied)``."""
    out = target.copy()
    applied, remainder = out.merge_budgeted_into(incoming, budget)
    return out, remainder, applied


class QuarantineRecord:
    """Why an incoming replica document was refused instead of merged."""

    __slots__ = ("reason", "message", "node_id", "sha256")

    def __init__(self, reason, message, node_id=None, sha256=None):
        self.reason = reason
        self.message = message
        self.node_id = node_id
        self.sha256 = sha256

    def to_obj(self):
        """JSON-ready record."""
        return {"reason": self.reason, "message": self.message, "node": self.node_id, "sha256": self.sha256}

    def __repr__(self):
        return "QuarantineRecord(%r, %r)" % (self.reason, self.message)


class Admission:
    """Outcome of :func:`admit_replica`: exactly one of ``replica`` / ``quarantine`` is set."""

    __slots__ = ("replica", "quarantine")

    def __init__(self, replica=None, quarantine=None):
        self.replica = replica
        self.quarantine = quarantine

    @property
    def ok(self):
        """True if the document was accepted."""
        return self.replica is not None


def _raw_sha(raw):
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if isinstance(raw, (bytes, bytearray)):
        return hashlib.sha256(bytes(raw)).hexdigest()
    return None


def _guess_node(raw):
    try:
        obj = strict_loads(raw, "document") if isinstance(raw, (bytes, bytearray, str)) else raw
    except CRDTError:
        return None
    node = obj.get("node") if isinstance(obj, dict) else None
    return node if isinstance(node, str) else None


def admit_replica(raw, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, expected_node_id=None):
    """Validate an incoming document; never raises for bad input.

    Returns an :class:`Admission`.  Invalid JSON, schema errors, a digest
    mismatch, a clock too far in the future, or (if ``expected_node_id`` is
    given) a different node id produce a :class:`QuarantineRecord` instead of a
    replica, so corrupt state is never merged.
    """
    try:
        replica = Replica.decode(raw, physical_clock, max_offset_ms)
    except (DecodeError, ClockSkewError, DigestMismatchError) as exc:
        return Admission(quarantine=QuarantineRecord(exc.reason, str(exc), _guess_node(raw), _raw_sha(raw)))
    if expected_node_id is not None and replica.node_id != expected_node_id:
        return Admission(quarantine=QuarantineRecord("node_mismatch", "document is from node %r, expected %r" % (replica.node_id, expected_node_id),
                                                     replica.node_id, _raw_sha(raw)))
    return Admission(replica=replica)


def admit_shards(manifest, shards, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, expected_node_id=None):
    """Like :func:`admit_replica` for a sharded document (missing/altered shards are quarantined)."""
    try:
        payload = join_shards(manifest, shards)
    except ShardError as exc:
        return Admission(quarantine=QuarantineRecord(exc.reason, str(exc)))
    return admit_replica(payload, physical_clock, max_offset_ms, expected_node_id)
