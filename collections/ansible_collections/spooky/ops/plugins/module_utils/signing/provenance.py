# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provenance log: append-only JSON lines, each chained to the one before by its hash.

One entry per line, compact JSON with sorted keys::

    {"action": "sign", "digest": "sha256:...", "key_id": "ed25519:...", "prev": "<sha256 hex of the previous line>",
     "seq": 7, "subject": "manifests", "time": "2026-01-02T03:04:05Z"}

``prev`` is the sha256 of the previous line's bytes (without its newline), ``GENESIS`` for the first line; ``seq``
counts from 1. Actions: ``sign`` (what was signed, by which key, when) and the key events ``key-generated``,
``key-imported``, ``key-rotated`` and ``key-revoked``.

``audit`` pinpoints the first place where the chain breaks (a line changed, removed or inserted) and every
suspicious ``sign`` entry: signed by a key the keyring does not know, by a revoked key at or after its compromise
time, or by a key outside its validity window. What the chain cannot show: lines cut off at the end, or a log
rewritten as a whole; compare ``head`` with a copy kept elsewhere (a transparency log such as Rekor does this).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os

try:
    import fcntl
except ImportError:  # not POSIX: appends are not locked
    fcntl = None

from ansible_collections.spooky.ops.plugins.module_utils.signing import errors
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import VALID
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, now, parse_time

GENESIS = "0" * 64
SIGN = "sign"
KEY_GENERATED = "key-generated"
KEY_IMPORTED = "key-imported"
KEY_ROTATED = "key-rotated"
KEY_REVOKED = "key-revoked"
CHAIN_BROKEN = "chain-broken"


def line_hash(raw):
    return hashlib.sha256(raw).hexdigest()


def encode(entry):
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _split(data):
    """(complete lines, incomplete tail or None)."""
    if not data:
        return [], None
    lines = data.split(b"\n")
    tail = lines.pop()
    return lines, (tail or None)


def read_lines(path):
    if not os.path.exists(path):
        return [], None
    with open(path, "rb") as handle:
        return _split(handle.read())


def append(path, action, key_id=None, subject=None, digest=None, t=None, **extra):
    """Append one entry, chained to the last line; returns it. The file is locked while it is read and extended."""
    entry = dict(extra, action=action, key_id=key_id, subject=subject, digest=digest, time=format_time(now() if t is None else t))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "r+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.seek(0)
            lines, tail = _split(handle.read())
            if tail is not None:
                raise SigningError("%s: the last line is incomplete (an interrupted write?): repair the log before appending" % path)
            entry["seq"] = len(lines) + 1
            entry["prev"] = line_hash(lines[-1]) if lines else GENESIS
            handle.seek(0, os.SEEK_END)
            handle.write(encode(entry) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return entry


def _chain_problem(number, raw, entry, expected_prev):
    """Why line ``number`` does not continue the chain, with the line to blame, or None."""
    if not isinstance(entry, dict):
        return number, "line %d is not a JSON object" % number
    seq = entry.get("seq")
    if seq != number:
        if isinstance(seq, int) and seq > number:
            return number, "line %d has sequence number %s: %d line(s) were removed before it" % (number, seq, seq - number)
        return number, "line %d has sequence number %s, expected %d: a line was inserted before it or it was changed" % (number, seq, number)
    if entry.get("prev") != expected_prev:
        if number == 1:
            return 1, "line 1 does not start the chain (its prev is not the genesis hash): the log was cut at the start"
        return number - 1, ("line %d was changed after it was written: line %d records another hash for it"
                            % (number - 1, number))
    for name in ("time", "action"):
        if not isinstance(entry.get(name), str):
            return number, "line %d has no %s" % (number, name)
    try:
        parse_time(entry["time"], "line %d time" % number)
    except SigningError as exc:
        return number, str(exc)
    return None


def _suspicion(entry, keyring):
    """(reason, detail) when a sign entry should not have happened, else None."""
    if entry.get("action") != SIGN:
        return None
    key_id = entry.get("key_id")
    key = keyring.get(key_id) if isinstance(key_id, str) else None
    what = "signed %s at %s" % (entry.get("subject") or "(no subject)", entry.get("time"))
    if key is None:
        return errors.UNKNOWN_KEY, "%s with key %s, which is not in the keyring" % (what, key_id)
    try:
        t = parse_time(entry.get("time"))
    except SigningError:
        return None  # reported as a chain problem
    reason, detail = key.status_at(t)
    if reason == VALID:
        return None
    if reason == errors.REVOKED_KEY:
        detail = "at or after its compromise time: " + detail
    return reason, "%s with key %s, %s" % (what, key_id, detail)


def _broken(path, blamed, found_at, message, entry):
    """The first break, naming the log, the line and, when it can be read, what the line says it signed and with which key."""
    entry = entry if isinstance(entry, dict) else {}
    key_id, subject = entry.get("key_id"), entry.get("subject")
    what = " (the line records %s of %s by key %s)" % (entry.get("action"), subject or "-", key_id or "none") if entry else ""
    return dict(line=blamed, found_at_line=found_at, reason=CHAIN_BROKEN, key_id=key_id, subject=subject,
                msg="%s: %s%s" % (path, message, what))


def audit(path, keyring):
    """Check the chain and every sign entry against the keyring. Returns a dict (see the provenance_audit module)."""
    lines, tail = read_lines(path)
    first_broken = None
    suspicious = []
    expected_prev = GENESIS
    entries = []
    for index, raw in enumerate(lines):
        number = index + 1
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeError):
            entry = None
        entries.append(entry)
        if first_broken is None:
            problem = _chain_problem(number, raw, entry, expected_prev)
            if problem is not None:
                blamed, message = problem
                first_broken = _broken(path, blamed, number, message, entries[blamed - 1])
        expected_prev = line_hash(raw)
        if isinstance(entry, dict):
            suspicion = _suspicion(entry, keyring)
            if suspicion is not None:
                reason, detail = suspicion
                suspicious.append(dict(line=number, seq=entry.get("seq"), time=entry.get("time"), key_id=entry.get("key_id"),
                                       subject=entry.get("subject"), digest=entry.get("digest"), reason=reason,
                                       msg="%s line %d: %s" % (path, number, detail)))
    if first_broken is None and tail is not None:
        first_broken = _broken(path, len(lines) + 1, len(lines) + 1,
                               "line %d is incomplete (an interrupted write, or the log was cut)" % (len(lines) + 1), None)
    return dict(path=path, exists=os.path.exists(path), entries=len(lines), head=line_hash(lines[-1]) if lines else GENESIS,
                chain_ok=first_broken is None, first_broken=first_broken, suspicious=suspicious,
                ok=first_broken is None and not suspicious)
