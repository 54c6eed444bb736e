# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus-style durations ("90s", "5m", "1h30m", "7d") to seconds and back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def parse_duration(text):
    """Return seconds (float) for a duration string or a number of seconds; raise ValueError with the bad input."""
    if isinstance(text, bool):
        raise ValueError("duration must be a string like '5m' or a number of seconds, got a boolean")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError("duration must not be negative, got %r" % (text,))
        return float(text)
    value = str(text).strip()
    if not value:
        raise ValueError("duration must not be empty")
    if re.match(r"^\d+(\.\d+)?$", value):
        return float(value)
    position, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(value):
        raise ValueError("invalid duration %r: use a number with a unit such as 90s, 5m, 1h30m, 7d" % (value,))
    return total


def format_duration(seconds):
    """The shortest Prometheus duration for a whole number of seconds (used in PromQL range selectors)."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            out += "%d%s" % (count, unit)
    return out
