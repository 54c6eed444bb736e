# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).

A stamp is a plain tuple ``(wall_ms, logical, node_id)``.  Python tuple
comparison gives the total order the CRDTs need: physical milliseconds first,
then the logical counter, then the node id as tie-break.  Plain tuples (no
per-stamp objects) keep million-entry merges fast.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import is_int, type_name
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import ClockSkewError, DecodeError

DEFAULT_MAX_OFFSET_MS = 500
"""Largest tolerated clock offset between clusters (CockroachDB's default)."""


def wall_clock_ms():
    """Physical time in integer milliseconds since the epoch."""
    return int(time.time() * 1000)


def make_stamp(wall_ms, logical, node_id):
    """Build a validated stamp tuple; raises ``ValueError`` on bad parts."""
    if not is_int(wall_ms) or wall_ms < 0:
        raise ValueError("HLC wall_ms must be an integer >= 0, got %r" % (wall_ms,))
    if not is_int(logical) or logical < 0:
        raise ValueError("HLC logical counter must be an integer >= 0, got %r" % (logical,))
    if not isinstance(node_id, str) or not node_id:
        raise ValueError("HLC node id must be a non-empty string, got %r" % (node_id,))
    return (wall_ms, logical, node_id)


def stamp_from_obj(obj, where="stamp"):
    """Decode ``[wall_ms, logical, node_id]`` into a stamp; raises :class:`DecodeError`."""
    if not isinstance(obj, list) or len(obj) != 3:
        raise DecodeError("%s: bad HLC stamp, expected [wall_ms, logical, node_id], got %s" % (where, _short(obj)))
    wall_ms, logical, node_id = obj
    if not is_int(wall_ms) or wall_ms < 0:
        raise DecodeError("%s: bad HLC stamp, wall_ms must be an integer >= 0, got %s" % (where, _short(wall_ms)))
    if not is_int(logical) or logical < 0:
        raise DecodeError("%s: bad HLC stamp, logical must be an integer >= 0, got %s" % (where, _short(logical)))
    if not isinstance(node_id, str) or not node_id:
        raise DecodeError("%s: bad HLC stamp, node id must be a non-empty string, got %s" % (where, _short(node_id)))
    return (wall_ms, logical, node_id)


def stamp_to_obj(stamp):
    """Encode a stamp as the JSON list ``[wall_ms, logical, node_id]``."""
    return [stamp[0], stamp[1], stamp[2]]


def format_stamp(stamp):
    """Human readable form ``wall_ms.logical@node``."""
    return "%d.%d@%s" % (stamp[0], stamp[1], stamp[2])


def _short(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "%s %s" % (type_name(value), text)


class HLC:
    """A hybrid logical clock for one node.

    :param node_id: this node's id (tie-break of the total order).
    :param physical_clock: zero-argument callable returning integer milliseconds;
        injectable for tests (default :func:`wall_clock_ms`).
    :param max_offset_ms: remote stamps more than this ahead of local physical
        time are rejected by :meth:`update` / :meth:`check_remote`.
    :param last: resume from a previously persisted stamp.
    """

    __slots__ = ("node_id", "physical_clock", "max_offset_ms", "_wall", "_logical")

    def __init__(self, node_id, physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, last=None):
        if not isinstance(node_id, str) or not node_id:
            raise ValueError("HLC node id must be a non-empty string, got %r" % (node_id,))
        if not is_int(max_offset_ms) or max_offset_ms < 0:
            raise ValueError("max_offset_ms must be an integer >= 0, got %r" % (max_offset_ms,))
        self.node_id = node_id
        self.physical_clock = physical_clock if physical_clock is not None else wall_clock_ms
        self.max_offset_ms = max_offset_ms
        self._wall = 0
        self._logical = 0
        if last is not None:
            make_stamp(*last)
            self._wall, self._logical = last[0], last[1]

    @property
    def last(self):
        """The most recent stamp issued (or observed) by this clock."""
        return (self._wall, self._logical, self.node_id)

    def _physical(self):
        physical = self.physical_clock()
        if not is_int(physical):
            physical = int(physical)
        return physical

    def now(self):
        """Issue a new stamp for a local event (send or local write)."""
        physical = self._physical()
        if physical > self._wall:
            self._wall, self._logical = physical, 0
        else:
            self._logical += 1
        return (self._wall, self._logical, self.node_id)

    def check_remote(self, remote, physical=None):
        """Raise :class:`ClockSkewError` if ``remote`` is beyond physical now + max offset."""
        if physical is None:
            physical = self._physical()
        offset = remote[0] - physical
        if offset > self.max_offset_ms:
            raise ClockSkewError(
                "HLC stamp %s from node %r is %d ms ahead of local physical time (max tolerated offset %d ms); rejected"
                % (format_stamp(remote), remote[2], offset, self.max_offset_ms),
                node_id=remote[2], offset_ms=offset, max_offset_ms=self.max_offset_ms)
        return offset

    def update(self, remote):
        """Merge a received stamp (receive event) and return the new local stamp.

        The guard runs first: a stamp too far in the future raises
        :class:`ClockSkewError` and leaves the clock untouched.
        """
        physical = self._physical()
        self.check_remote(remote, physical)
        r_wall, r_logical = remote[0], remote[1]
        wall, logical = self._wall, self._logical
        new_wall = max(wall, r_wall, physical)
        if new_wall == wall and new_wall == r_wall:
            logical = max(logical, r_logical) + 1
        elif new_wall == wall:
            logical += 1
        elif new_wall == r_wall:
            logical = r_logical + 1
        else:
            logical = 0
        self._wall, self._logical = new_wall, logical
        return (new_wall, logical, self.node_id)

    def copy(self, node_id=None):
        """An independent clock with the same state (optionally for another node id)."""
        return HLC(node_id or self.node_id, self.physical_clock, self.max_offset_ms, (self._wall, self._logical, node_id or self.node_id))

    def __repr__(self):
        return "HLC(%r, last=%s)" % (self.node_id, format_stamp(self.last))
