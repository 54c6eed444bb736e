# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How old the newest backup of each backup set is, from the manifests under a storage prefix.

Plain Python, no Ansible imports. A backup set is the first path component under the prefix
(`<prefix>/<set>/.../<...>manifest.json`); its age is the age of its newest manifest: a backup
counts once its manifest is written, which is the last step of a backup. Phoenix backs Redis up
every 15 minutes and its configuration hourly, ORCA and Spooky Logic daily (seeds 000, 002, 003):
the maximum age is per set, with a default.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.durations import format_duration
from ansible_collections.spooky.ops.plugins.module_utils.findings import iso

OK, WARNING, CRITICAL = "ok", "warning", "critical"


def newest_manifests(objects, prefix="", suffix="manifest.json"):
    """{set: (key, last_modified_unix)} of the newest manifest of each set; objects are (key, last_modified_unix)."""
    prefix = prefix.strip("/")
    base = prefix + "/" if prefix else ""
    newest = {}
    for key, modified in objects:
        if not key.startswith(base) or not key.endswith(suffix):
            continue
        rest = key[len(base):]
        if "/" not in rest:
            continue  # a manifest directly under the prefix belongs to no set
        name = rest.split("/", 1)[0]
        if name not in newest or modified > newest[name][1]:
            newest[name] = (key, modified)
    return newest


def grade_sets(newest, now, max_age, max_age_by_set=None, expected=None):
    """One entry per set (found or expected): name, newest, age_seconds, max_age_seconds, status, message, manifest.

    Older than its maximum age: warning; older than twice it, or an expected set without any backup: critical.
    """
    max_age_by_set = max_age_by_set or {}
    names = sorted(set(newest) | set(expected or []))
    sets = []
    for name in names:
        limit = float(max_age_by_set.get(name, max_age))
        if name not in newest:
            sets.append(dict(name=name, newest=None, age_seconds=None, max_age_seconds=limit, status=CRITICAL, manifest=None,
                             message="backup set %s has no backup at all (expected one at most %s old)" % (name, format_duration(limit))))
            continue
        key, modified = newest[name]
        age = max(0.0, now - modified)
        if age > 2 * limit:
            status = CRITICAL
        elif age > limit:
            status = WARNING
        else:
            status = OK
        sets.append(dict(name=name, newest=iso(modified), age_seconds=round(age, 1), max_age_seconds=limit, status=status,
                         manifest=key, message="backup set %s: newest backup %s old (%s; maximum age %s)" % (
                             name, format_duration(age), status, format_duration(limit))))
    return sets
