# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Observed-remove set without tombstones (ORSWOT), after riak_dt_orswot.

State: a version vector ``clock`` (actor -> counter) and, per element, its dots
(actor -> counter).  Adding an element mints a new dot from the actor's clock
entry; removing an element simply forgets its dots: the clock still covers
them, so a merge knows the removal happened (no tombstone is kept).  A
concurrent add mints a dot the remover has not seen, so it survives (add wins).

Merge (for each element): keep the dots present on both sides, plus the dots
present on one side only that the other side's clock has not seen.  Clocks
merge by pointwise max.  Valid states have at most one dot per actor and
element, so dots are stored as dicts.

Encoding::

    {"type": "orswot", "v": 1, "clock": {"actor": 3},
     "entries": {"element": {"actor": 2}}}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    canonical_bytes,
    check_header,
    expect_dict,
    expect_int,
    load_object,
    FORMAT_VERSION,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.merkle import hash_bytes

TYPE_TAG = "orswot"


def _merge_dots(mine, theirs, my_clock, their_clock):
    out = {}
    for actor, counter in mine.items():
        if theirs.get(actor) == counter or their_clock.get(actor, 0) < counter:
            out[actor] = counter
    for actor, counter in theirs.items():
        if actor not in out and mine.get(actor) != counter and my_clock.get(actor, 0) < counter:
            out[actor] = counter
    return out


class ORSWOT:
    """Add-wins observed-remove set of strings."""

    __slots__ = ("clock", "entries")

    def __init__(self, clock=None, entries=None):
        self.clock = {} if clock is None else clock
        self.entries = {} if entries is None else entries

    def add(self, element, actor):
        """Add ``element`` on behalf of ``actor`` (the local node id); returns the new dot."""
        if not isinstance(element, str) or not element:
            raise ValueError("ORSWOT element must be a non-empty string, got %r" % (element,))
        if not isinstance(actor, str) or not actor:
            raise ValueError("ORSWOT actor must be a non-empty string, got %r" % (actor,))
        counter = self.clock.get(actor, 0) + 1
        self.clock[actor] = counter
        self.entries[element] = {actor: counter}
        return (actor, counter)

    def remove(self, element):
        """Remove ``element`` (observed remove); returns False if it was absent."""
        return self.entries.pop(element, None) is not None

    def __contains__(self, element):
        return element in self.entries

    def __len__(self):
        return len(self.entries)

    def value(self):
        """Current members as a sorted list."""
        return sorted(self.entries)

    def copy(self):
        """Independent copy."""
        return ORSWOT(dict(self.clock), dict((element, dict(dots)) for element, dots in self.entries.items()))

    def merge(self, other):
        """New set = join of ``self`` and ``other``."""
        my_clock = self.clock
        their_clock = other.clock
        entries = {}
        mine = self.entries
        theirs = other.entries
        for element, dots in mine.items():
            other_dots = theirs.get(element)
            if other_dots is None:
                kept = dict((actor, counter) for actor, counter in dots.items() if their_clock.get(actor, 0) < counter)
            else:
                kept = _merge_dots(dots, other_dots, my_clock, their_clock)
            if kept:
                entries[element] = kept
        for element, dots in theirs.items():
            if element in mine:
                continue
            kept = dict((actor, counter) for actor, counter in dots.items() if my_clock.get(actor, 0) < counter)
            if kept:
                entries[element] = kept
        clock = dict(my_clock)
        for actor, counter in their_clock.items():
            if clock.get(actor, 0) < counter:
                clock[actor] = counter
        return ORSWOT(clock, entries)

    def merge_into(self, other):
        """Merge ``other`` into ``self``; returns True if the state changed."""
        merged = self.merge(other)
        changed = merged.clock != self.clock or merged.entries != self.entries
        self.clock, self.entries = merged.clock, merged.entries
        return changed

    def to_obj(self):
        """JSON-ready object."""
        return {"type": TYPE_TAG, "v": FORMAT_VERSION, "clock": dict(self.clock),
                "entries": dict((element, dict(dots)) for element, dots in self.entries.items())}

    def encode(self):
        """Canonical JSON bytes."""
        return canonical_bytes(self.to_obj())

    def digest_hex(self):
        """Hex hash of the canonical encoding."""
        return hash_bytes(self.encode()).hex()

    @classmethod
    def from_obj(cls, obj, where="orswot"):
        """Decode and validate (types, unknown fields, dots covered by the clock)."""
        check_header(obj, where, TYPE_TAG, required=("clock", "entries"))
        clock = {}
        for actor, counter in expect_dict(obj["clock"], where + ".clock").items():
            if not actor:
                raise DecodeError("%s.clock: empty actor id" % where)
            clock[actor] = expect_int(counter, "%s.clock[%r]" % (where, actor), minimum=1)
        entries = {}
        for element, dots in expect_dict(obj["entries"], where + ".entries").items():
            path = "%s.entries[%r]" % (where, element)
            if not element:
                raise DecodeError("%s.entries: empty element" % where)
            dots = expect_dict(dots, path)
            if not dots:
                raise DecodeError("%s: element without dots (a removed element must be absent)" % path)
            kept = {}
            for actor, counter in dots.items():
                expect_int(counter, "%s[%r]" % (path, actor), minimum=1)
                if clock.get(actor, 0) < counter:
                    raise DecodeError("%s: dot (%r, %d) is not covered by the set clock (%r: %d)"
                                      % (path, actor, counter, actor, clock.get(actor, 0)))
                kept[actor] = counter
            entries[element] = kept
        return cls(clock, entries)

    @classmethod
    def decode(cls, raw):
        """Decode canonical JSON bytes/str (or a parsed object)."""
        return cls.from_obj(load_object(raw, "ORSWOT"))

    def __eq__(self, other):
        if not isinstance(other, ORSWOT):
            return NotImplemented
        return self.clock == other.clock and self.entries == other.entries

    __hash__ = None

    def __repr__(self):
        return "ORSWOT(%r)" % (self.value(),)
