# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restored content against what the manifest recorded at backup time.

Each comparison returns ``dict(ok, checked, mismatches)``: ``checked`` counts the facts compared, each
mismatch is one line naming the table, database, object or file and both values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError


def _result(checked, mismatches):
    return dict(ok=not mismatches, checked=checked, mismatches=mismatches)


def tables(expected, actual):
    """PostgreSQL tables: {"schema.table": {"rows": n, "checksum": "...", "method": "..."}} on both sides."""
    expected, actual = expected or {}, actual or {}
    mismatches, checked = [], 0
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            mismatches.append("table %s is missing after the restore (%s rows in the backup)" % (name, expected[name].get("rows")))
            continue
        if name not in expected:
            mismatches.append("table %s exists after the restore but not in the manifest" % name)
            continue
        want, got = expected[name], actual[name]
        checked += 1
        if want.get("rows") != got.get("rows"):
            mismatches.append("table %s has %s rows, the backup had %s" % (name, got.get("rows"), want.get("rows")))
        if want.get("checksum") is not None:
            checked += 1
            if want.get("method") != got.get("method"):
                mismatches.append("table %s was checksummed with %s at backup time, with %s now"
                                  % (name, want.get("method"), got.get("method")))
            elif want.get("checksum") != got.get("checksum"):
                mismatches.append("table %s checksum is %s, the backup had %s: the rows differ"
                                  % (name, got.get("checksum"), want.get("checksum")))
    return _result(checked, mismatches)


def keyspace(expected, actual):
    """Redis: {"db0": keys, ...}. Databases with no keys may be absent on either side."""
    expected = dict((k, int(v)) for k, v in (expected or {}).items() if int(v))
    actual = dict((k, int(v)) for k, v in (actual or {}).items() if int(v))
    mismatches = []
    for db in sorted(set(expected) | set(actual)):
        if expected.get(db, 0) != actual.get(db, 0):
            mismatches.append("redis %s has %d keys after the restore, the backup had %d" % (db, actual.get(db, 0), expected.get(db, 0)))
    return _result(len(set(expected) | set(actual)), mismatches)


def objects(expected, actual):
    """Kubernetes: {"Kind": {"name": digest or None}}; a digest (ConfigMap/Secret data) is compared when recorded."""
    expected, actual = expected or {}, actual or {}
    mismatches, checked = [], 0
    for kind in sorted(set(expected) | set(actual)):
        want, got = expected.get(kind) or {}, actual.get(kind) or {}
        for name in sorted(set(want) | set(got)):
            checked += 1
            if name not in got:
                mismatches.append("%s %s is missing after the restore" % (kind, name))
            elif name not in want:
                mismatches.append("%s %s exists after the restore but is not in the backup" % (kind, name))
            elif want[name] is not None and want[name] != got[name]:
                mismatches.append("%s %s has different data after the restore" % (kind, name))
    return _result(checked, mismatches)


def tree(expected, actual):
    """Directories: {"files", "bytes", "digest"}."""
    expected, actual = expected or {}, actual or {}
    mismatches = []
    for field in ("files", "bytes", "digest"):
        if expected.get(field) != actual.get(field):
            mismatches.append("the extracted tree has %s %s, the backup had %s" % (field, actual.get(field), expected.get(field)))
    return _result(3, mismatches)


COMPARATORS = {"tables": tables, "keyspace": keyspace, "objects": objects, "tree": tree}


def content(kind, expected, actual):
    if kind not in COMPARATORS:
        raise BackupError("unknown content kind %r: one of %s" % (kind, ", ".join(sorted(COMPARATORS))))
    return COMPARATORS[kind](expected, actual)
