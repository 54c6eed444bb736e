# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Severities P0-P3: one table reconciled from the five runbooks, and the severity of a finding.

Plain Python, no Ansible imports. The runbooks disagree on names and times; this is the one table
the daily check uses (docs: roles/daily_check/README.md):

====  =====================================================  ==================  ==========================
P     what                                                   respond within      from the runbooks
====  =====================================================  ==================  ==========================
P0    system down, data loss, security breach                5 min (immediate)   Euystacio P0 (0-5 min)
P1    critical: service down, critical threshold, page now   15 min              ORCA P1 < 15 min, Phoenix
                                                                                 Critical 15 min, Euystacio P1
P2    warning: degraded, isolated issue                      30 min              Phoenix Warning 30 min (the
                                                                                 stricter of it and ORCA P2 < 1 h)
P3    minor / info, no user impact                           4 h (best effort)   ORCA P3 < 4 h (P4 folded in),
                                                                                 Phoenix Info, Euystacio P3
====  =====================================================  ==================  ==========================

A finding's severity is its explicit ``severity`` when it has one (an alert's ``priority`` label, a
threshold's ``severity`` map), else it follows its status: critical -> P1, warning -> P2,
unknown -> P3. The daily check never guesses P0: only an explicit priority gives it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SEVERITIES = ("P0", "P1", "P2", "P3")
PAGING = ("P0", "P1")

TABLE = (
    dict(severity="P0", name="critical incident", what="system down, data loss, security breach",
         respond_within="5 minutes", respond_seconds=300, escalation="page now; immediate actions within 0-5 min",
         sources="Euystacio P0 (immediate actions 0-5 min, triage 5-15 min)"),
    dict(severity="P1", name="critical", what="service down, a critical threshold crossed, cluster or Prometheus unreachable",
         respond_within="15 minutes", respond_seconds=900, escalation="page the on-call engineer",
         sources="ORCA P1 (< 15 min, immediate page), Phoenix Critical (15 min), Euystacio P1"),
    dict(severity="P2", name="warning", what="degraded performance, partial degradation, isolated issue",
         respond_within="30 minutes", respond_seconds=1800, escalation="on-call, business hours",
         sources="Phoenix Warning (30 min), ORCA P2 (< 1 h: the stricter wins), Euystacio P2"),
    dict(severity="P3", name="minor", what="minor issue or information, no user impact",
         respond_within="4 hours", respond_seconds=14400, escalation="ticket, next business day",
         sources="ORCA P3 (< 4 h; P4 cosmetic folded in), Phoenix Info (best effort), Euystacio P3"),
)
_BY_NAME = dict((row["severity"], row) for row in TABLE)
_FROM_STATUS = {"critical": "P1", "warning": "P2", "unknown": "P3"}
# Words found in alert labels and threshold maps, and the severity they mean.
_ALIASES = {"p0": "P0", "p1": "P1", "p2": "P2", "p3": "P3", "p4": "P3", "page": "P1", "critical": "P1",
            "high": "P1", "warning": "P2", "medium": "P2", "info": "P3", "low": "P3", "none": "P3"}


def normalize(value):
    """'P1', 'p1', 'critical', 'warning', 'info' -> P0..P3; None for None; ValueError for anything else."""
    if value is None:
        return None
    key = str(value).strip().lower()
    if key not in _ALIASES:
        raise ValueError("unknown severity %r: use one of %s (or critical, warning, info)" % (value, ", ".join(SEVERITIES)))
    return _ALIASES[key]


def of_finding(finding):
    """The severity of a finding (None when it is ok)."""
    status = finding.get("status")
    if status == "ok":
        return None
    explicit = finding.get("severity")
    if explicit:
        return normalize(explicit)
    return _FROM_STATUS.get(status, "P3")


def rank(severity):
    """Sort key: P0 first, None (ok) last."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def worst(severities):
    """The most urgent of several severities; None when there is none."""
    result = None
    for severity in severities:
        if severity is not None and rank(severity) < rank(result):
            result = severity
    return result


def describe(severity):
    """The table row of a severity (a copy)."""
    return dict(_BY_NAME[severity])


def is_paging(severity):
    return severity in PAGING
