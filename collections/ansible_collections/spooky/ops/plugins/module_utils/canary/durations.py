# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations as data: ``"10m"``, ``"1h30m"``, ``"500ms"``, ``"2.5m"`` or a number of seconds.

Phase durations and tick intervals are plain data in the spec; the analysis multiplies
them by ``time_scale`` so the lab can replay a 10-minute phase in 10 seconds
(``time_scale: 0.0166``) without editing the runbook.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError

UNIT_SECONDS = {
    'ms': 0.001,
    's': 1.0,
    'm': 60.0,
    'h': 3600.0,
    'd': 86400.0,
    'w': 604800.0,
}

# one or more <number><unit> groups, e.g. 1h30m, 2.5m, 500ms (ms must be tried before m)
_PART = re.compile(r'(\d+(?:\.\d+)?)(ms|s|m|h|d|w)')
_WHOLE = re.compile(r'^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$')
# what PromQL accepts inside a range selector: integers only, y allowed
PROMQL_DURATION = re.compile(r'^(?:\d+(?:ms|s|m|h|d|w|y))+$')


def parse_duration(value, path='duration', allow_zero=True):
    """Return ``value`` as a float number of seconds; raise :class:`SpecError` naming ``path``."""
    if isinstance(value, bool) or value is None:
        raise SpecError((path, 'must be a duration such as "5m", "90s" or a number of seconds (got %r)' % (value,)))
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(' ', '')
        if not _WHOLE.match(text):
            raise SpecError((path, 'invalid duration %r (use e.g. "10m", "1h30m", "90s", "500ms" or seconds)' % (value,)))
        seconds = sum(float(num) * UNIT_SECONDS[unit] for num, unit in _PART.findall(text))
    else:
        raise SpecError((path, 'must be a duration string or a number of seconds (got %s)' % type(value).__name__))
    if not math.isfinite(seconds) or seconds < 0:
        raise SpecError((path, 'must be a finite, non-negative duration (got %r)' % (value,)))
    if seconds == 0 and not allow_zero:
        raise SpecError((path, 'must be greater than zero'))
    return seconds


def promql_duration(value, path='interval'):
    """Return a duration literal PromQL accepts in a range selector (``[5m]``).

    Strings already in PromQL syntax are kept verbatim; anything else is parsed and
    re-expressed with the largest unit that represents it exactly (``90`` -> ``"90s"``,
    ``"1.5m"`` -> ``"90s"``, ``0.25`` -> ``"250ms"``).
    """
    if isinstance(value, str) and PROMQL_DURATION.match(value.strip()):
        if parse_duration(value.strip(), path) <= 0:
            raise SpecError((path, 'must be greater than zero'))
        return value.strip()
    seconds = parse_duration(value, path, allow_zero=False)
    millis = seconds * 1000.0
    if abs(millis - round(millis)) > 1e-6:
        raise SpecError((path, 'PromQL durations have millisecond resolution (got %r)' % (value,)))
    millis = int(round(millis))
    if millis == 0:
        raise SpecError((path, 'must be at least 1ms'))
    for unit, size in (('w', 604800000), ('d', 86400000), ('h', 3600000), ('m', 60000), ('s', 1000)):
        if millis % size == 0:
            return '%d%s' % (millis // size, unit)
    return '%dms' % millis
