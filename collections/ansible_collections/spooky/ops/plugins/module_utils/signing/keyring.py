# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The public keyring: every signing key with its validity window and revocation.

JSON document (``FORMAT``)::

    {"format": "spooky.ops/keyring/v1", "current": "ed25519:<hex>",
     "keys": [{"key_id": "ed25519:<hex>", "algorithm": "ed25519", "public_key": "<base64 of 32 bytes>",
               "created_at": "...Z", "not_before": "...Z", "not_after": null | "...Z",
               "revoked_at": null | "...Z", "compromised_at": null | "...Z", "revocation_reason": null | "..."}]}

A key is valid at time t when ``not_before <= t < not_after`` (no ``not_after``: open ended) and it is not revoked
at t. A revoked key is refused from its compromise time on (``compromised_at``, or ``revoked_at`` when no
compromise time was given): anything signed with it from then on is suspect. Rotation keeps the old key valid for
an overlap (its ``not_after``) so that what it signed still verifies until it is re-signed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.spooky.ops.plugins.module_utils.signing import errors
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import ALGORITHM, decode_public_key, key_id_for
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, parse_time

FORMAT = "spooky.ops/keyring/v1"
_TIMES = ("created_at", "not_before", "not_after", "revoked_at", "compromised_at")

VALID = "valid"
CLOCK_SKEW = 300  # seconds a compromise time may lie ahead of this clock (another controller's "now")


class Key(object):
    """One public key of the keyring. Times are epoch seconds (or None)."""

    def __init__(self, key_id, public_key, created_at, not_before=None, not_after=None, revoked_at=None,
                 compromised_at=None, revocation_reason=None):
        self.key_id = key_id
        self.public_key = public_key
        self.created_at = created_at
        self.not_before = created_at if not_before is None else not_before
        self.not_after = not_after
        self.revoked_at = revoked_at
        self.compromised_at = compromised_at
        self.revocation_reason = revocation_reason

    @property
    def public_raw(self):
        return decode_public_key(self.public_key, "key %s" % self.key_id)

    @property
    def revoked_from(self):
        """From when on the key is refused: its compromise time, else its revocation time (None: not revoked)."""
        if self.revoked_at is None:
            return None
        if self.compromised_at is None:
            return self.revoked_at
        return min(self.compromised_at, self.revoked_at)

    def status_at(self, t):
        """(reason, detail): reason is VALID or one of errors.REVOKED_KEY, EXPIRED_KEY, NOT_YET_VALID."""
        if self.revoked_from is not None and t >= self.revoked_from:
            detail = "key revoked at %s" % format_time(self.revoked_at)
            if self.compromised_at is not None:
                detail += ", compromised since %s" % format_time(self.compromised_at)
            if self.revocation_reason:
                detail += " (%s)" % self.revocation_reason
            return errors.REVOKED_KEY, detail
        if self.not_after is not None and t >= self.not_after:
            return errors.EXPIRED_KEY, "key expired at %s" % format_time(self.not_after)
        if t < self.not_before:
            return errors.NOT_YET_VALID, "key not valid before %s" % format_time(self.not_before)
        return VALID, "key valid"

    def is_valid_at(self, t):
        return self.status_at(t)[0] == VALID

    def to_dict(self):
        data = dict(key_id=self.key_id, algorithm=ALGORITHM, public_key=self.public_key, revocation_reason=self.revocation_reason)
        for name in _TIMES:
            data[name] = format_time(getattr(self, name))
        return data

    @classmethod
    def from_dict(cls, data, where="key"):
        if not isinstance(data, dict):
            raise SigningError("%s: expected a mapping" % where)
        key_id = data.get("key_id")
        if data.get("algorithm", ALGORITHM) != ALGORITHM:
            raise SigningError("%s (%s): algorithm %r is not supported, only %s" % (where, key_id, data.get("algorithm"), ALGORITHM))
        public_key = data.get("public_key")
        if not isinstance(public_key, str):
            raise SigningError("%s (%s): public_key is missing" % (where, key_id))
        raw = decode_public_key(public_key, "%s (%s)" % (where, key_id))
        if key_id != key_id_for(raw):
            raise SigningError("%s: key id %s does not match its public key (%s)" % (where, key_id, key_id_for(raw)))
        times = {}
        for name in _TIMES:
            times[name] = parse_time(data.get(name), "%s (%s) %s" % (where, key_id, name))
        if times["created_at"] is None:
            raise SigningError("%s (%s): created_at is missing" % (where, key_id))
        reason = data.get("revocation_reason")
        return cls(key_id, public_key, revocation_reason=None if reason is None else str(reason), **times)


class Keyring(object):
    def __init__(self, keys=None, current=None):
        self.keys = list(keys or [])
        self.current = current

    # -- reading and writing -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data, where="keyring"):
        if not isinstance(data, dict):
            raise SigningError("%s: expected a JSON object" % where)
        if data.get("format", FORMAT) != FORMAT:
            raise SigningError("%s: format %r is not %s" % (where, data.get("format"), FORMAT))
        raw_keys = data.get("keys", [])
        if not isinstance(raw_keys, list):
            raise SigningError("%s: keys must be a list" % where)
        keys = [Key.from_dict(item, "%s: keys[%d]" % (where, index)) for index, item in enumerate(raw_keys)]
        ids = [k.key_id for k in keys]
        duplicates = sorted(set(i for i in ids if ids.count(i) > 1))
        if duplicates:
            raise SigningError("%s: key listed twice: %s" % (where, ", ".join(duplicates)))
        current = data.get("current")
        if current is not None and current not in ids:
            raise SigningError("%s: current key %s is not in the keyring" % (where, current))
        return cls(keys, current)

    @classmethod
    def loads(cls, text, where="keyring"):
        if isinstance(text, dict):
            return cls.from_dict(text, where)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SigningError("%s: not valid JSON: %s" % (where, exc))
        return cls.from_dict(data, where)

    @classmethod
    def load(cls, path, missing_ok=False):
        """The keyring in ``path``; an empty one when the file does not exist and ``missing_ok``."""
        if not os.path.exists(path):
            if missing_ok:
                return cls()
            raise SigningError("%s: no keyring at this path" % path)
        with open(path, "rb") as handle:
            return cls.loads(handle.read().decode("utf-8"), path)

    def to_dict(self):
        return dict(format=FORMAT, current=self.current, keys=[k.to_dict() for k in self.keys])

    def dumps(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    # -- queries -------------------------------------------------------------------------------------------
    def get(self, key_id):
        for key in self.keys:
            if key.key_id == key_id:
                return key
        return None

    def current_key(self, t):
        """The current signing key if it is valid at t, else None."""
        key = self.get(self.current) if self.current else None
        if key is not None and key.is_valid_at(t):
            return key
        return None

    # -- changes -------------------------------------------------------------------------------------------
    def add(self, key_id, public_key, t, make_current=True):
        if self.get(key_id) is not None:
            raise SigningError("key %s is already in the keyring" % key_id)
        key = Key(key_id, public_key, created_at=t, not_before=t)
        self.keys.append(key)
        if make_current:
            self.current = key_id
        return key

    def rotate(self, key_id, public_key, t, overlap):
        """Make a new key current; the previous current key stays valid for ``overlap`` seconds, then expires.

        Returns the previous current key (or None)."""
        if overlap < 0:
            raise SigningError("the overlap must not be negative, got %s seconds" % overlap)
        previous = self.get(self.current) if self.current else None
        self.add(key_id, public_key, t, make_current=True)
        if previous is not None and previous.revoked_at is None:
            end = t + int(overlap)
            if previous.not_after is None or previous.not_after > end:
                previous.not_after = end
        return previous

    def revoke(self, key_id, t, compromised_at=None, reason=None):
        """Revoke a key (from ``compromised_at`` on, default t). Returns True when the keyring changed."""
        key = self.get(key_id)
        if key is None:
            raise SigningError("cannot revoke %s: no such key in the keyring" % key_id)
        if compromised_at is not None and compromised_at > t + CLOCK_SKEW:
            raise SigningError("the compromise time %s of %s is in the future" % (format_time(compromised_at), key_id))
        if compromised_at is not None:
            compromised_at = min(compromised_at, t)
        changed = False
        if key.revoked_at is None:
            key.revoked_at = t
            changed = True
        compromised = key.revoked_at if compromised_at is None else compromised_at
        if key.compromised_at is None or compromised < key.compromised_at:  # only ever earlier: more is suspect, never less
            key.compromised_at = compromised
            changed = True
        if reason and key.revocation_reason != reason:
            key.revocation_reason = reason
            changed = True
        if self.current == key_id:
            self.current = None
            changed = True
        return changed
