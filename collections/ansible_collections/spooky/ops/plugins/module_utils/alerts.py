# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firing alerts from Prometheus (/api/v1/alerts) and Alertmanager (/api/v2/alerts), as one list.

Plain Python, no Ansible imports. Both sources name an alert by its labels; an alert seen in both is
one alert (sources: prometheus+alertmanager). Alerts are kept when every matcher label equals, so a
cluster sees its own alerts (matchers {cluster: lab-east}); alerts without the matched labels at all
are kept only when `unlabelled` is true (the primary cluster takes the fleet's global alerts).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_ANNOTATION_KEYS = ("summary", "description", "runbook", "runbook_url")


def _key(labels):
    return tuple(sorted((k, str(v)) for k, v in (labels or {}).items()))


def from_prometheus(alerts, include_pending=False):
    """Normalize /api/v1/alerts entries (state firing or pending)."""
    out = []
    for alert in alerts or []:
        state = alert.get("state")
        if state != "firing" and not (include_pending and state == "pending"):
            continue
        out.append(_normal(alert.get("labels") or {}, alert.get("annotations") or {}, state, alert.get("activeAt"),
                           "prometheus", value=alert.get("value")))
    return out


def from_alertmanager(alerts, include_silenced=False):
    """Normalize /api/v2/alerts entries (status.state active; suppressed ones only when asked)."""
    out = []
    for alert in alerts or []:
        state = (alert.get("status") or {}).get("state", "active")
        if state == "suppressed" and not include_silenced:
            continue
        out.append(_normal(alert.get("labels") or {}, alert.get("annotations") or {},
                           "firing" if state in ("active", "unprocessed") else state, alert.get("startsAt"), "alertmanager"))
    return out


def _normal(labels, annotations, state, since, source, value=None):
    labels = dict((str(k), str(v)) for k, v in labels.items())
    entry = dict(name=labels.get("alertname", "(no alertname)"), state=state, since=since, labels=labels,
                 severity=labels.get("severity"), priority=labels.get("priority"), sources=[source])
    for key in _ANNOTATION_KEYS:
        if annotations.get(key):
            entry[key if key != "runbook_url" else "runbook"] = str(annotations[key])
    if value is not None:
        entry["value"] = value
    return entry


def merge(*lists):
    """One entry per alert (same labels); sources joined; the earliest `since` wins."""
    merged = {}
    order = []
    for alerts in lists:
        for alert in alerts:
            key = _key(alert["labels"])
            if key not in merged:
                merged[key] = dict(alert, sources=list(alert["sources"]))
                order.append(key)
                continue
            known = merged[key]
            for source in alert["sources"]:
                if source not in known["sources"]:
                    known["sources"].append(source)
            if alert.get("since") and (not known.get("since") or alert["since"] < known["since"]):
                known["since"] = alert["since"]
            for k, v in alert.items():
                known.setdefault(k, v)
    return [merged[k] for k in order]


def select(alerts, matchers=None, unlabelled=False, ignore=()):
    """Alerts whose labels match every matcher; those lacking every matcher label when `unlabelled`."""
    matchers = dict((str(k), str(v)) for k, v in (matchers or {}).items())
    keep = []
    for alert in alerts:
        if alert["name"] in ignore:
            continue
        labels = alert["labels"]
        if all(labels.get(k) == v for k, v in matchers.items()):
            keep.append(alert)
        elif unlabelled and not any(k in labels for k in matchers):
            keep.append(alert)
    return sorted(keep, key=lambda a: (a["name"], _key(a["labels"])))
