# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where backup sets live in a store, and what state each one is in.

Layout: ``<prefix>/<source>/<set id>/<object>``; the set id is the UTC start time, ``20260124T020000Z``.
A set is *complete* when its ``manifest.json`` exists (written last), *verified* when a restore
verification passed and wrote ``verified.json`` into it, and *incomplete* otherwise (a backup that
is running, or one that died: nothing ever restores from it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

SET_ID_FORMAT = "%Y%m%dT%H%M%SZ"
_SET_ID = re.compile(r"^\d{8}T\d{6}Z$")
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MANIFEST = "manifest.json"
VERIFIED = "verified.json"

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def utcnow():
    return datetime.datetime.now(UTC)


def set_id_for(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(SET_ID_FORMAT)


def parse_set_id(set_id):
    """The UTC datetime of a set id; raises BackupError for anything else."""
    if not isinstance(set_id, str) or not _SET_ID.match(set_id):
        raise BackupError("set id %r is not a UTC timestamp like 20260124T020000Z" % (set_id,))
    try:
        return datetime.datetime.strptime(set_id, SET_ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise BackupError("set id %r is not a valid date and time" % (set_id,))


def parse_time(value):
    """A datetime from an ISO 8601 string (Z or offset), a set id, or a datetime; naive means UTC."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if _SET_ID.match(text):
        return parse_set_id(text)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BackupError("time %r is not ISO 8601 (2026-01-24T02:00:00Z) nor a set id" % (value,))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_source(source):
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise BackupError("source name %r must be lower-case letters, digits, '.', '_' or '-'" % (source,))
    return source


def join(*parts):
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def source_prefix(prefix, source):
    return join(prefix, check_source(source)) + "/"


def set_prefix(prefix, source, set_id):
    parse_set_id(set_id)
    return join(prefix, check_source(source), set_id) + "/"


def sets_from_keys(keys, prefix, source):
    """The sets of `source` found in a list of object keys, newest first.

    Each: set_id, time (ISO), complete, verified, objects (names inside the set), keys (full keys).
    Keys that do not fit the layout are ignored.
    """
    base = source_prefix(prefix, source)
    found = {}
    for key in keys or ():
        if isinstance(key, dict):
            key = key.get("Key") or key.get("key")
        if not isinstance(key, str) or not key.startswith(base):
            continue
        rest = key[len(base):]
        if "/" not in rest:
            continue
        set_id, name = rest.split("/", 1)
        if not _SET_ID.match(set_id) or not name:
            continue
        entry = found.setdefault(set_id, dict(set_id=set_id, source=source, objects=[], keys=[]))
        entry["objects"].append(name)
        entry["keys"].append(key)
    result = []
    for set_id, entry in found.items():
        try:
            moment = parse_set_id(set_id)
        except BackupError:
            continue
        entry["time"] = iso(moment)
        entry["epoch"] = int((moment - EPOCH).total_seconds())
        entry["complete"] = MANIFEST in entry["objects"]
        entry["verified"] = entry["complete"] and VERIFIED in entry["objects"]
        entry["objects"].sort()
        entry["keys"].sort()
        entry["prefix"] = base + set_id + "/"
        result.append(entry)
    result.sort(key=lambda e: e["set_id"], reverse=True)
    return result


def latest(sets, verified=False):
    """The newest complete (or verified) set, or None."""
    for entry in sets:
        if entry.get("complete") and (entry.get("verified") or not verified):
            return entry
    return None
