# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Detached signatures of a file or a directory, and their verification against the keyring.

The signature document (JSON, next to the file as ``<file>.sig``, or ``<dir>/SIGNATURE.sig``)::

    {"format": "spooky.ops/signature/v1", "algorithm": "ed25519", "type": "file" | "directory",
     "subject": "<base name>", "digest": "sha256:<hex>", "key_id": "ed25519:<hex>", "signed_at": "...Z",
     "signature": "<base64>", "files": {"<relative path>": "<sha256 hex>", ...}}   # files: directories only

The ed25519 signature covers the statement ``spooky.ops/signature/v1\\n<type>\\n<digest>\\n<key_id>\\n<signed_at>\\n``,
so neither the digest, the key nor the signing time can be changed without breaking it. ``subject`` is informative
(a renamed file keeps its signature); ``files`` lets the verifier name what changed in a directory: it is trusted
only when it reproduces the signed digest.

Verification order (the first problem found is the reason): the file exists, the signature exists and parses, the
key is in the keyring, the signature verifies with that key, the key is valid at the verification time and was
valid when it signed, the content still has the signed digest.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import json
import os

from ansible_collections.spooky.ops.plugins.module_utils.signing import errors
from ansible_collections.spooky.ops.plugins.module_utils.signing.digest import (
    DIRECTORY,
    FILE,
    compare_files,
    compute,
    default_signature_path,
    tree_digest_value,
)
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError, VerificationError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import VALID
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import ALGORITHM, SIGNATURE_BYTES, verify_signature
from ansible_collections.spooky.ops.plugins.module_utils.signing.storage import write_atomic
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, parse_time

FORMAT = "spooky.ops/signature/v1"


def statement(kind, digest, key_id, signed_at):
    """The bytes that are signed (``signed_at`` as its RFC 3339 string)."""
    return ("%s\n%s\n%s\n%s\n%s\n" % (FORMAT, kind, digest, key_id, signed_at)).encode("utf-8")


def make_document(path, digest, key, t):
    signed_at = format_time(t)
    signature = key.sign(statement(digest.kind, digest.value, key.key_id, signed_at))
    doc = dict(format=FORMAT, algorithm=ALGORITHM, type=digest.kind, subject=os.path.basename(os.path.normpath(path)),
               digest=digest.value, key_id=key.key_id, signed_at=signed_at, signature=base64.b64encode(signature).decode("ascii"))
    if digest.files is not None:
        doc["files"] = digest.files
    return doc


def dumps(doc):
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_document(signature_path, doc):
    write_atomic(signature_path, dumps(doc).encode("utf-8"))


def load_document(path, signature_path):
    """The parsed signature document of ``path``, or VerificationError (missing or malformed)."""
    if not os.path.exists(signature_path):
        raise VerificationError(errors.MISSING_SIGNATURE, path, "not signed: no signature at %s" % signature_path)
    try:
        with open(signature_path, "rb") as handle:
            doc = json.loads(handle.read().decode("utf-8"))
    except (ValueError, UnicodeError, IOError, OSError) as exc:
        raise VerificationError(errors.MALFORMED_SIGNATURE, path, "unreadable signature %s: %s" % (signature_path, exc))
    problem = _document_problem(doc)
    if problem:
        raise VerificationError(errors.MALFORMED_SIGNATURE, path, "malformed signature %s: %s" % (signature_path, problem),
                                doc.get("key_id") if isinstance(doc, dict) and isinstance(doc.get("key_id"), str) else None)
    return doc


def _document_problem(doc):
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("format") != FORMAT:
        return "format is %r, expected %s" % (doc.get("format"), FORMAT)
    if doc.get("algorithm") != ALGORITHM:
        return "algorithm %r is not supported, only %s" % (doc.get("algorithm"), ALGORITHM)
    if doc.get("type") not in (FILE, DIRECTORY):
        return "type must be file or directory"
    for name in ("digest", "key_id", "signed_at", "signature"):
        if not isinstance(doc.get(name), str):
            return "%s is missing" % name
    if not doc["digest"].startswith("sha256:"):
        return "digest must be sha256:<hex>"
    try:
        parse_time(doc["signed_at"], "signed_at")
    except SigningError as exc:
        return str(exc)
    try:
        raw = base64.b64decode(doc["signature"].encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeError):
        return "signature is not base64"
    if len(raw) != SIGNATURE_BYTES:
        return "an ed25519 signature has %d bytes, got %d" % (SIGNATURE_BYTES, len(raw))
    if doc["type"] == DIRECTORY and not isinstance(doc.get("files"), dict):
        return "the file list of a directory signature is missing"
    return None


def signature_verifies(doc, public_raw):
    raw = base64.b64decode(doc["signature"].encode("ascii"))
    return verify_signature(public_raw, raw, statement(doc["type"], doc["digest"], doc["key_id"], doc["signed_at"]))


def _short(digest):
    return digest[:19] + "..." if len(digest) > 22 else digest


def _tamper_detail(doc, actual):
    if doc["type"] != actual.kind:
        return "signed as a %s, but it is now a %s" % (doc["type"], actual.kind)
    if actual.kind == FILE:
        return "content changed since it was signed (signed %s, now %s)" % (_short(doc["digest"]), _short(actual.value))
    signed_files = doc.get("files")
    if tree_digest_value(signed_files) != doc["digest"]:
        return "content changed since it was signed (and the file list in the signature does not match its digest)"
    delta = compare_files(signed_files, actual.files)
    parts = ["%s %s" % (what, ", ".join(delta[what])) for what in ("changed", "added", "removed") if delta[what]]
    return "content changed since it was signed: %s" % "; ".join(parts)


def verify(path, keyring, at, signature_path=None, display_path=None):
    """Verify the signature of ``path`` at time ``at`` (epoch seconds). Returns a dict, or raises VerificationError."""
    shown = display_path or path
    if not os.path.lexists(path):
        raise VerificationError(errors.MISSING_FILE, shown, "no such file or directory")
    signature_path = signature_path or default_signature_path(path)
    doc = load_document(shown, signature_path)
    key_id = doc["key_id"]
    key = keyring.get(key_id)
    if key is None:
        raise VerificationError(errors.UNKNOWN_KEY, shown, "signed by a key that is not in the keyring", key_id)
    if not signature_verifies(doc, key.public_raw):
        raise VerificationError(errors.WRONG_KEY, shown, "the signature does not verify with the key it names: "
                                "signed with another key, or the signature file was altered", key_id)
    reason, detail = key.status_at(at)
    if reason != VALID:
        raise VerificationError(reason, shown, "%s (checked at %s)" % (detail, format_time(at)), key_id)
    signed_at = parse_time(doc["signed_at"])
    reason, detail = key.status_at(signed_at)
    if reason != VALID:
        raise VerificationError(reason, shown, "signed at %s, when it was not valid: %s" % (doc["signed_at"], detail), key_id)
    actual = compute(path, exclude=[signature_path])
    if actual.kind != doc["type"] or actual.value != doc["digest"]:
        raise VerificationError(errors.TAMPERED, shown, _tamper_detail(doc, actual), key_id)
    return dict(path=shown, signature=signature_path, key_id=key_id, digest=doc["digest"], type=doc["type"],
                signed_at=doc["signed_at"])


def current_signature(path, key, signature_path):
    """The existing signature document of ``path`` when it is still good for ``key``, else None."""
    try:
        doc = load_document(path, signature_path)
    except VerificationError:
        return None, None
    actual = compute(path, exclude=[signature_path])
    if (doc["key_id"] == key.key_id and doc["type"] == actual.kind and doc["digest"] == actual.value
            and doc.get("files") == actual.files and signature_verifies(doc, key.public_raw)):
        return doc, actual
    return None, actual


def existing_document(path, signature_path):
    """The existing signature document, or None when there is none or it does not parse."""
    try:
        return load_document(path, signature_path)
    except VerificationError:
        return None


def check_signing_key(keyring, key, t):
    """Refuse to sign with a key the keyring does not trust as its current key at t."""
    record = keyring.get(key.key_id)
    if record is None:
        raise SigningError("key %s is not in the keyring: register it with spooky.ops.signing_key first" % key.key_id)
    reason, detail = record.status_at(t)
    if reason != VALID:
        raise SigningError("cannot sign with key %s: %s" % (key.key_id, detail))
    if keyring.current != key.key_id:
        raise SigningError("key %s is not the current signing key (current: %s)" % (key.key_id, keyring.current or "none"))
    return record


def plan_signature(path, key, keyring, t, signature_path=None, force=False):
    """What signing ``path`` takes: (signature_path, new document or None when the existing one is good, previous)."""
    check_signing_key(keyring, key, t)
    if not os.path.lexists(path):
        raise SigningError("%s: no such file or directory" % path)
    signature_path = signature_path or default_signature_path(path)
    previous = existing_document(path, signature_path)
    good, actual = current_signature(path, key, signature_path)
    if good is not None and not force:
        return signature_path, None, previous
    if actual is None:
        actual = compute(path, exclude=[signature_path])
    return signature_path, make_document(path, actual, key, t), previous
