# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deduplication of bus events by id within a time window, with bounded memory.

The filter remembers the ids it has seen for `window` seconds (and at most `max_ids` of them, the
oldest forgotten first), as JetStream does with the `Nats-Msg-Id` header and its duplicate window.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import OrderedDict

MSG_ID_HEADER = "Nats-Msg-Id"


class DedupeFilter(object):
    """`seen(event_id, now)` is True for an id already seen within the window, else records it."""

    def __init__(self, window=120.0, max_ids=100000):
        if window <= 0:
            raise ValueError("window must be positive, got %r" % (window,))
        if max_ids < 1:
            raise ValueError("max_ids must be at least 1, got %r" % (max_ids,))
        self.window = float(window)
        self.max_ids = int(max_ids)
        self._ids = OrderedDict()  # id -> time first seen, oldest first
        self.duplicates = 0
        self.accepted = 0
        self._next_sweep = float("-inf")

    def __len__(self):
        return len(self._ids)

    def _expire(self, now):
        ids = self._ids
        horizon = now - self.window
        while ids:
            oldest, seen_at = next(iter(ids.items()))
            if seen_at > horizon and len(ids) <= self.max_ids:
                break
            ids.popitem(last=False)
        self._next_sweep = now + self.window / 8.0

    def seen(self, event_id, now):
        if not event_id:
            raise ValueError("an event needs an id to be deduplicated")
        ids = self._ids
        first = ids.get(event_id)
        if first is not None:
            if now - first < self.window:
                self.duplicates += 1
                return True
            del ids[event_id]
        ids[event_id] = now
        self.accepted += 1
        # Expired ids never count (the check above compares times); sweeping them only bounds memory.
        if len(ids) > self.max_ids:
            ids.popitem(last=False)
        elif now >= self._next_sweep:
            self._expire(now)
        return False


def dedupe(events, window=120.0, max_ids=100000, id_key="id", time_key="ts"):
    """Split `events` (dicts with an id and a time) into (unique, duplicates), keeping order."""
    flt = DedupeFilter(window, max_ids)
    unique, duplicates = [], []
    for event in events:
        (duplicates if flt.seen(event[id_key], float(event[time_key])) else unique).append(event)
    return unique, duplicates


def replay_report(ids, expected=None):
    """Compare the ids read back from a stream with the ids that were published.

    Returns dict(count, unique, duplicates (ids seen more than once, with counts), missing (expected ids not seen)).
    """
    counts = {}
    for event_id in ids:
        counts[event_id] = counts.get(event_id, 0) + 1
    dups = dict((k, v) for k, v in counts.items() if v > 1)
    missing = sorted(set(expected) - set(counts)) if expected is not None else []
    return dict(count=sum(counts.values()), unique=len(counts), duplicates=dups, missing=missing,
                ok=not dups and not missing)
