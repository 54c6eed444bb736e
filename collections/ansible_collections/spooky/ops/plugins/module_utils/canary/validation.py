# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers to validate plain dicts with path-qualified messages.

There is no Ansible ``argument_spec`` in module_utils, so the spec is checked by
hand. Problems are *collected* (not raised one at a time) so that a playbook
author sees every mistake of a spec in one run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import math

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import SpecError


def join(path, key):
    """``join('phases', 2) == 'phases[2]'``, ``join('judge', 'confidence') == 'judge.confidence'``."""
    if isinstance(key, int):
        return '%s[%d]' % (path, key)
    return '%s.%s' % (path, key) if path else str(key)


def fmt_number(value):
    """Render a number compactly for messages (``20`` not ``20.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return '%.6g' % value
    return str(value)


class Problems:
    """Collects ``(path, message)`` problems; :meth:`raise_if_any` raises one :class:`SpecError`."""

    def __init__(self):
        self.items = []

    def add(self, path, message):
        self.items.append((path, message))

    def extend(self, error):
        self.items.extend(error.problems)

    def __len__(self):
        return len(self.items)

    def raise_if_any(self):
        if self.items:
            raise SpecError(self.items)


def mapping(value, path, problems, allowed, required=()):
    """Check that ``value`` is a dict with only ``allowed`` keys and all ``required`` ones.

    Returns the dict (or ``None`` if it is not a dict). Unknown keys are reported with a
    "did you mean" hint.
    """
    if not isinstance(value, dict):
        problems.add(path, 'must be a mapping (got %s)' % type(value).__name__)
        return None
    for key in value:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), list(allowed), n=1)
            extra = " -- did you mean '%s'?" % hint[0] if hint else ''
            problems.add(join(path, key), 'unknown field (expected one of: %s)%s' % (', '.join(sorted(allowed)), extra))
    for key in required:
        if key not in value:
            problems.add(join(path, key), 'is required')
    return value


_MISSING = object()


def number(parent, key, path, problems, default=_MISSING, minimum=None, maximum=None,
           min_exclusive=False, max_exclusive=False, integer=False):
    """Read ``parent[key]`` as a finite number within bounds; report and return ``default`` on error."""
    where = join(path, key)
    value = parent.get(key, _MISSING) if isinstance(parent, dict) else _MISSING
    if value is _MISSING or value is None:
        if default is _MISSING:
            problems.add(where, 'is required')
            return None
        return default
    kind = 'an integer' if integer else 'a number'
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, 'must be %s (got %r)' % (kind, value))
        return None if default is _MISSING else default
    if integer and not (isinstance(value, int) or float(value).is_integer()):
        problems.add(where, 'must be %s (got %r)' % (kind, value))
        return None if default is _MISSING else default
    if not math.isfinite(value):
        problems.add(where, 'must be finite (got %r)' % (value,))
        return None if default is _MISSING else default
    if minimum is not None and (value < minimum or (min_exclusive and value == minimum)):
        problems.add(where, 'must be %s %s (got %s)' % ('greater than' if min_exclusive else 'at least', fmt_number(minimum), fmt_number(value)))
    elif maximum is not None and (value > maximum or (max_exclusive and value == maximum)):
        problems.add(where, 'must be %s %s (got %s)' % ('less than' if max_exclusive else 'at most', fmt_number(maximum), fmt_number(value)))
    return int(value) if integer else value


def boolean(parent, key, path, problems, default=False):
    where = join(path, key)
    value = parent.get(key, None) if isinstance(parent, dict) else None
    if value is None:
        return default
    if not isinstance(value, bool):
        problems.add(where, 'must be a boolean (got %r)' % (value,))
        return default
    return value


def string(parent, key, path, problems, default=_MISSING, pattern=None, pattern_hint=None):
    where = join(path, key)
    value = parent.get(key, None) if isinstance(parent, dict) else None
    if value is None:
        if default is _MISSING:
            problems.add(where, 'is required')
            return None
        return default
    if not isinstance(value, str) or not value.strip():
        problems.add(where, 'must be a non-empty string (got %r)' % (value,))
        return None if default is _MISSING else default
    if pattern is not None and not pattern.match(value):
        problems.add(where, 'invalid value %r (%s)' % (value, pattern_hint or 'bad format'))
    return value


def choice(parent, key, path, problems, choices, default):
    where = join(path, key)
    value = parent.get(key, None) if isinstance(parent, dict) else None
    if value is None:
        return default
    if value not in choices:
        problems.add(where, 'must be one of %s (got %r)' % (', '.join(choices), value))
        return default
    return value
