# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Threshold profiles of the daily check: validation before any query, and the checks of one cluster.

Plain Python, no Ansible imports. A profile is data, one per platform (an inventory group of the
same name picks it)::

    euystacio:
      description: Euystacio / Protocollo Meta Salvage
      source: seed 001, Metric Thresholds
      thresholds:
        - name: QEK
          metric: euystacio_qek            # must be in the metric catalogue
          query: euystacio_qek{$selector}  # optional; default <metric>{$selector}
          direction: below                 # bad when it falls below
          warning: 0.88
          critical: 0.85
          for: 15m                         # optional: held for the whole window
          severity: {critical: P1}         # optional: P0-P3 per status (default critical P1, warning P2)
          no_data: unknown                 # optional: status without data (ok for optional exporters)
          runbook: check recent changes ...

`$selector` in a query is replaced by the cluster's label matcher (e.g. cluster="lab-east").
Every error names the profile and the threshold, so a tired operator can fix the right line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration
from ansible_collections.spooky.ops.plugins.module_utils.severity import normalize as normalize_severity

DIRECTIONS = ("above", "below")
NO_DATA = ("unknown", "ok", "warning", "critical")
REQUIRED = ("name", "metric", "direction")
ALLOWED = frozenset(("name", "metric", "query", "direction", "warning", "critical", "for", "severity", "no_data",
                     "runbook", "description", "source", "unit"))
SELECTOR = "$selector"
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


class ProfileError(ValueError):
    """One or more thresholds of the profiles cannot be right; the message lists every one."""


def _type(value):
    """A plain type name (str, not a templating engine's subclass of it)."""
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return "null" if value is None else type(value).__name__


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def threshold_errors(threshold, catalogue, where):
    """Every problem of one threshold, each message starting with `where` (profile and threshold)."""
    if not isinstance(threshold, dict):
        return ["%s: a threshold must be a mapping, got %s" % (where, _type(threshold))]
    name = threshold.get("name")
    if name is not None:
        where = "%s, threshold '%s'" % (where, name)
    errors = []
    for key in REQUIRED:
        if threshold.get(key) in (None, ""):
            errors.append("%s: '%s' is required" % (where, key))
    unknown = sorted(set(threshold) - ALLOWED)
    if unknown:
        errors.append("%s: unknown key(s) %s (allowed: %s)" % (where, ", ".join(unknown), ", ".join(sorted(ALLOWED))))
    if name is not None and not isinstance(name, str):
        errors.append("%s: name must be a string, got %s" % (where, _type(name)))
    metric = threshold.get("metric")
    spec = None
    if metric is not None:
        if not isinstance(metric, str) or not _METRIC_NAME.match(metric):
            errors.append("%s: metric must be a Prometheus metric name, got %r" % (where, metric))
        elif metric not in catalogue:
            errors.append("%s: unknown metric '%s' (not in the metric catalogue daily_check_metric_catalogue; known: %s)"
                          % (where, metric, ", ".join(sorted(catalogue))))
        else:
            spec = catalogue[metric] or {}
    query = threshold.get("query")
    if query is not None:
        if not isinstance(query, str) or not query.strip():
            errors.append("%s: query must be a non-empty string, got %r" % (where, query))
        elif isinstance(metric, str) and metric not in query:
            errors.append("%s: query does not use its metric '%s': %s" % (where, metric, query))
    direction = threshold.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        errors.append("%s: direction must be one of %s, got %r" % (where, ", ".join(DIRECTIONS), direction))
    levels = {}
    for key in ("warning", "critical"):
        if key not in threshold or threshold[key] is None:
            continue
        value = threshold[key]
        if not _is_number(value):
            errors.append("%s: %s must be a number, got %s %r" % (where, key, _type(value), str(value) if isinstance(value, str) else value))
            continue
        levels[key] = float(value)
        if spec:
            low, high = spec.get("min"), spec.get("max")
            if (low is not None and value < low) or (high is not None and value > high):
                errors.append("%s: %s %g is outside the range of %s (%s..%s %s)" % (
                    where, key, value, metric, "" if low is None else low, "" if high is None else high, spec.get("unit", "")))
    if "warning" not in threshold and "critical" not in threshold:
        errors.append("%s: set a warning or a critical level (or both)" % where)
    if len(levels) == 2 and direction in DIRECTIONS:
        warning, critical = levels["warning"], levels["critical"]
        if direction == "above" and warning > critical:
            errors.append("%s: warning (%g) is beyond critical (%g): with direction above, warning must not be above critical"
                          % (where, warning, critical))
        if direction == "below" and warning < critical:
            errors.append("%s: warning (%g) is beyond critical (%g): with direction below, warning must not be below critical"
                          % (where, warning, critical))
    if threshold.get("for") is not None:
        try:
            if parse_duration(threshold["for"]) <= 0:
                errors.append("%s: for must be a positive duration, got %r" % (where, threshold["for"]))
        except ValueError as exc:
            errors.append("%s: for: %s" % (where, exc))
    severity = threshold.get("severity")
    if severity is not None:
        if not isinstance(severity, dict) or set(severity) - set(("warning", "critical")):
            errors.append("%s: severity must map warning and/or critical to P0-P3, got %r" % (where, severity))
        else:
            for key, value in severity.items():
                try:
                    normalize_severity(value)
                except ValueError as exc:
                    errors.append("%s: severity.%s: %s" % (where, key, exc))
    if threshold.get("no_data") is not None and threshold["no_data"] not in NO_DATA:
        errors.append("%s: no_data must be one of %s, got %r" % (where, ", ".join(NO_DATA), threshold["no_data"]))
    for key in ("runbook", "description", "source", "unit"):
        if threshold.get(key) is not None and not isinstance(threshold[key], str):
            errors.append("%s: %s must be a string, got %s" % (where, key, _type(threshold[key])))
    return errors


def profile_errors(name, profile, catalogue):
    where = "profile '%s'" % name
    if not isinstance(profile, dict):
        return ["%s: a profile must be a mapping with a 'thresholds' list, got %s" % (where, _type(profile))]
    thresholds = profile.get("thresholds")
    if not isinstance(thresholds, list):
        return ["%s: 'thresholds' must be a list, got %s" % (where, _type(thresholds))]
    errors = []
    seen = set()
    for index, threshold in enumerate(thresholds):
        errors += threshold_errors(threshold, catalogue, "%s, threshold #%d" % (where, index + 1)
                                   if not isinstance(threshold, dict) or not threshold.get("name") else where)
        tname = threshold.get("name") if isinstance(threshold, dict) else None
        if tname in seen:
            errors.append("%s: threshold name '%s' is used twice" % (where, tname))
        seen.add(tname)
    return errors


def validate(profiles, catalogue, extra_by_host=None):
    """Check every profile and every host's extra thresholds; raise ProfileError listing all problems.

    `profiles` maps a profile (platform) name to a profile; `catalogue` maps the known metric names
    to {help, unit, min, max}; `extra_by_host` maps a host to its extra thresholds (a list).
    Returns the number of thresholds checked.
    """
    if not isinstance(catalogue, dict) or not catalogue:
        raise ProfileError("the metric catalogue (daily_check_metric_catalogue) must be a non-empty mapping")
    if not isinstance(profiles, dict):
        raise ProfileError("daily_check_profiles must be a mapping of profile name to profile, got %s" % type(profiles).__name__)
    errors = []
    count = 0
    for name in sorted(profiles):
        errors += profile_errors(name, profiles[name], catalogue)
        count += len((profiles[name] or {}).get("thresholds") or []) if isinstance(profiles[name], dict) else 0
    # Hosts sharing the same extra thresholds (group_vars, -e) are checked, and named, together.
    groups = []
    for host in sorted(extra_by_host or {}):
        extra = extra_by_host[host]
        if extra in (None, "", []):
            continue
        for group in groups:
            if group[1] == extra:
                group[0].append(host)
                break
        else:
            groups.append(([host], extra))
    for hosts, extra in groups:
        label = "daily_check_thresholds of %s" % ", ".join(hosts)
        if not isinstance(extra, list):
            errors.append("%s: must be a list, got %s" % (label, _type(extra)))
            continue
        for index, threshold in enumerate(extra):
            named = isinstance(threshold, dict) and threshold.get("name")
            errors += threshold_errors(threshold, catalogue, label if named else "%s, #%d" % (label, index + 1))
            count += 1
    # Several hosts share the same extra thresholds (group_vars, -e): say each problem once.
    unique = []
    for error in errors:
        if error not in unique:
            unique.append(error)
    if unique:
        raise ProfileError("%d problem(s) in the daily check thresholds, nothing was queried:\n  - %s"
                           % (len(unique), "\n  - ".join(unique)))
    return count


def build_query(threshold, selector):
    query = threshold.get("query") or "%s{%s}" % (threshold["metric"], SELECTOR)
    selector = selector or ""
    # An empty selector must not leave "{,code=...}" or "{}" behind.
    if not selector:
        query = query.replace("{%s," % SELECTOR, "{").replace(",%s}" % SELECTOR, "}").replace("{%s}" % SELECTOR, "")
    return query.replace(SELECTOR, selector)


def host_checks(profiles, group_names, extra=None, selector=""):
    """The checks of one cluster: the thresholds of every profile whose name is one of its groups, then its extras.

    Each check is ready for spooky.ops.metric_thresholds: name, query (selector filled in), direction,
    warning, critical, for, no_data, severity, runbook, platform, metric, unit. A name used by two
    profiles of the same cluster is prefixed with the profile ("orca/HighErrorRate").
    """
    chosen = []
    for platform in sorted(p for p in profiles if p in (group_names or [])):
        for threshold in profiles[platform].get("thresholds") or []:
            chosen.append((platform, threshold))
    for threshold in extra or []:
        chosen.append(("extra", threshold))
    names = [t["name"] for _p, t in chosen]
    checks = []
    for platform, threshold in chosen:
        name = threshold["name"] if names.count(threshold["name"]) == 1 else "%s/%s" % (platform, threshold["name"])
        check = dict(name=name, metric=threshold["metric"], query=build_query(threshold, selector),
                     direction=threshold["direction"], platform=platform)
        for key in ("warning", "critical", "for", "no_data", "runbook", "unit"):
            if threshold.get(key) is not None:
                check[key] = threshold[key]
        if threshold.get("severity"):
            check["severity"] = dict((k, normalize_severity(v)) for k, v in threshold["severity"].items())
        checks.append(check)
    return checks
