# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Threshold evaluation: a value against warning and critical levels in one direction.

Plain Python, no Ansible imports, so the rules can be tested directly. "above" means the value is
bad when it rises above the level (error rate, latency), "below" when it falls below it (QEK, trust
score). Missing or non-finite data is never "ok": it is "unknown", and the caller decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
DIRECTIONS = ("above", "below")
_RANK = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}


class ThresholdError(ValueError):
    """A threshold definition that cannot be right."""


def _number(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ThresholdError("%s must be a number, got %r" % (name, value))
    if math.isnan(value) or math.isinf(value):
        raise ThresholdError("%s must be a finite number, got %r" % (name, value))
    return float(value)


class Threshold(object):
    """Warning and critical levels in one direction; at least one level is required."""

    def __init__(self, direction, warning=None, critical=None, name=None):
        self.name = name or "threshold"
        if direction not in DIRECTIONS:
            raise ThresholdError("%s: direction must be one of %s, got %r" % (self.name, ", ".join(DIRECTIONS), direction))
        self.direction = direction
        self.warning = _number("%s: warning" % self.name, warning)
        self.critical = _number("%s: critical" % self.name, critical)
        if self.warning is None and self.critical is None:
            raise ThresholdError("%s: set a warning or a critical level (or both)" % self.name)
        if self.warning is not None and self.critical is not None:
            if direction == "above" and self.warning > self.critical:
                raise ThresholdError("%s: warning (%g) must not be above critical (%g) when bad is above"
                                     % (self.name, self.warning, self.critical))
            if direction == "below" and self.warning < self.critical:
                raise ThresholdError("%s: warning (%g) must not be below critical (%g) when bad is below"
                                     % (self.name, self.warning, self.critical))

    def _breaches(self, value, level):
        if level is None:
            return False
        return value > level if self.direction == "above" else value < level

    def evaluate(self, value):
        """The status of one value: ok, warning, critical, or unknown for missing/NaN/Inf data."""
        if value is None or isinstance(value, bool):
            return UNKNOWN
        try:
            value = float(value)
        except (TypeError, ValueError):
            return UNKNOWN
        if math.isnan(value) or math.isinf(value):
            return UNKNOWN
        if self._breaches(value, self.critical):
            return CRITICAL
        if self._breaches(value, self.warning):
            return WARNING
        return OK

    def evaluate_window(self, values):
        """The status of a value held for a duration ("for" in alerting rules): the mildest status of the samples.

        As with Prometheus' `for`, a breach counts only if every sample of the window breaches; a gap in
        the data (unknown) interrupts it; a window with no samples is unknown.
        """
        statuses = [self.evaluate(v) for v in values]
        if not statuses:
            return UNKNOWN
        return min(statuses, key=lambda s: _RANK[s])

    def describe(self):
        sign = ">" if self.direction == "above" else "<"
        parts = []
        if self.warning is not None:
            parts.append("warning %s %g" % (sign, self.warning))
        if self.critical is not None:
            parts.append("critical %s %g" % (sign, self.critical))
        return ", ".join(parts)


def worst(statuses):
    """The most severe of several statuses (ok < unknown < warning < critical); ok for none."""
    result = OK
    for status in statuses:
        if _RANK[status] > _RANK[result]:
            result = status
    return result
