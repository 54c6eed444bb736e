# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timestamps: RFC 3339 strings in UTC with whole seconds (``2026-01-02T03:04:05Z``) <-> epoch seconds (int).

A time without a zone is refused: a compromise time is the last place to guess the operator's time zone.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import datetime
import re
import time

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError

DAY = 86400

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|z|[+-]\d{2}:?\d{2})$")


def now():
    return int(time.time())


def format_time(ts):
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def parse_time(value, what="time"):
    """Epoch seconds from an RFC 3339 string (fractions of a second are dropped), an int/float, or ``now``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SigningError("%s: expected an RFC 3339 time such as 2026-01-02T03:04:05Z, got %r" % (what, value))
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text == "now":
        return now()
    match = _RFC3339.match(text)
    if not match:
        raise SigningError("%s: expected an RFC 3339 time with a zone, such as 2026-01-02T03:04:05Z, got %r" % (what, text))
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second or 0), 59))
    except (ValueError, OverflowError):
        raise SigningError("%s: %r is not a valid date and time" % (what, text))
    ts = calendar.timegm(moment.timetuple())
    if zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ts -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return ts
