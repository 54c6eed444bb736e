# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest of a backup set: what it holds, how to check it, signed with a key derived from the backup key.

A set is valid only when its manifest exists: the manifest is written (and uploaded) last, after every
artifact it lists, so an interrupted backup leaves a set without one, which nothing takes as a backup.

    {
      "format": "spooky.ops/backup-manifest/v1",
      "set_id": "20260124T020000Z", "source": {"kind": "postgres", "name": "postgres-orca", ...},
      "started": "2026-01-24T02:00:00Z", "completed": "2026-01-24T02:03:10Z", "key_id": "...",
      "artifacts": [{"name": "orca", "object": "orca.pgc.enc", "size": 1234, "sha256": "...",
                     "plain_size": 4321, "plain_sha256": "...", "encryption": "AES-256-GCM", "time": "...",
                     "type": "postgres-dump", "content": {"tables": {"public.agents": {"rows": 400, ...}}}}],
      "hmac": "..."
    }

The HMAC (SHA-256, over the canonical JSON without the "hmac" field) detects a manifest edited or
forged by anyone without the key, which would otherwise be a way to make a bad artifact look good.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import json
import os
import re
import tempfile

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog
from ansible_collections.spooky.ops.plugins.module_utils.backup.crypto import derive, ensure_parent, key_id
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError, KeyMaterialError

FORMAT = "spooky.ops/backup-manifest/v1"
FILENAME = "manifest.json"
ARTIFACT_FIELDS = ("name", "object", "size", "sha256", "plain_size", "plain_sha256", "encryption", "time", "type")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_OBJECT = re.compile(r"^[A-Za-z0-9._-]+$")


def canonical(document):
    body = dict((k, v) for k, v in document.items() if k != "hmac")
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(document, key):
    return hmac.new(derive(key, "manifest"), canonical(document), hashlib.sha256).hexdigest()


def check_artifact(entry, index=None):
    where = "artifacts[%s]" % index if index is not None else "artifact"
    if not isinstance(entry, dict):
        raise BackupError("%s must be a dict, got %s" % (where, type(entry).__name__))
    missing = [f for f in ARTIFACT_FIELDS if f not in entry]
    if missing:
        raise BackupError("%s (%s) lacks %s" % (where, entry.get("name", "?"), ", ".join(missing)))
    if not _OBJECT.match(str(entry["object"])):
        raise BackupError("%s object %r must be a plain file name (letters, digits, . _ -)" % (where, entry["object"]))
    for field in ("sha256", "plain_sha256"):
        if not _SHA256.match(str(entry[field])):
            raise BackupError("%s (%s) %s is not a sha256 hex digest" % (where, entry["name"], field))
    for field in ("size", "plain_size"):
        if not isinstance(entry[field], int) or isinstance(entry[field], bool) or entry[field] < 0:
            raise BackupError("%s (%s) %s must be a non-negative integer" % (where, entry["name"], field))
    return entry


def build(set_id, source, artifacts, key, started, completed, extra=None):
    """A signed manifest. `source` is a dict with at least kind and name; `artifacts` are backup_artifact results."""
    catalog.parse_set_id(set_id)
    if not isinstance(source, dict) or not source.get("kind") or not source.get("name"):
        raise BackupError("source must be a dict with kind and name, got %r" % (source,))
    if not artifacts:
        raise BackupError("a backup set needs at least one artifact")
    names = set()
    for index, entry in enumerate(artifacts):
        check_artifact(entry, index)
        if entry["object"] in names:
            raise BackupError("artifact object %s appears twice in the set" % entry["object"])
        names.add(entry["object"])
        if entry.get("key_id") and entry["key_id"] != key_id(key):
            raise KeyMaterialError("artifact %s was encrypted with key %s, the manifest would be signed with key %s"
                                   % (entry["name"], entry["key_id"], key_id(key)))
    document = dict(format=FORMAT, set_id=set_id, source=source, started=started, completed=completed,
                    key_id=key_id(key), artifacts=sorted(artifacts, key=lambda a: a["object"]))
    if extra:
        document.update(extra)
    document["hmac"] = sign(document, key)
    return document


def verify(document, key=None, name=None):
    """Check the format, the artifacts and (with the key) the HMAC; returns the document or raises IntegrityError."""
    label = name or FILENAME
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IntegrityError("%s is not a %s manifest" % (label, FORMAT), label)
    try:
        catalog.parse_set_id(document.get("set_id"))
        for index, entry in enumerate(document.get("artifacts") or []):
            check_artifact(entry, index)
    except BackupError as exc:
        raise IntegrityError("%s is malformed: %s" % (label, exc), label)
    if not document.get("artifacts"):
        raise IntegrityError("%s lists no artifacts" % label, label)
    if key is not None:
        if document.get("key_id") != key_id(key):
            raise KeyMaterialError("%s was signed with key %s, the key given is %s" % (label, document.get("key_id"), key_id(key)))
        if not hmac.compare_digest(str(document.get("hmac", "")), sign(document, key)):
            raise IntegrityError("%s fails its HMAC check: it was edited or is not from this key's backups" % label, label)
    return document


def dumps(document):
    return json.dumps(document, sort_keys=True, indent=2) + "\n"


def loads(raw, key=None, where=FILENAME, label=None):
    """Parse and verify the bytes of a manifest read from `where` (a path or a store key)."""
    label = label or os.path.basename(where)
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise IntegrityError("manifest %s is not valid JSON (truncated?): %s" % (where, exc), label)
    return verify(document, key, label)


def load(path, key=None):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        raise IntegrityError("cannot read manifest %s: %s" % (path, exc.strerror or exc), os.path.basename(path))
    return loads(raw, key, path)


def same_content(one, other):
    """Whether two manifests describe the same set (the completion time and the HMAC aside)."""
    def strip(document):
        return dict((k, v) for k, v in document.items() if k not in ("completed", "hmac"))
    return canonical(strip(one)) == canonical(strip(other))


def current(path, key):
    """The verified manifest at `path`, or None when there is none (or it does not verify)."""
    if not os.path.exists(path):
        return None
    try:
        return load(path, key)
    except BackupError:
        return None


def write(path, document, key=None):
    """Write atomically (temporary file, fsync, rename).

    Returns the manifest now at `path` and whether it changed: an existing manifest of the same set with the
    same content (verified with `key`) is kept as it is.
    """
    text = dumps(document)
    existing = current(path, key) if key is not None else None
    if existing is not None and same_content(existing, document):
        return existing, False
    directory = ensure_parent(path)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return document, True
