# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions of the signing helpers. No message ever carries private key material."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Why a verification failed (VerificationError.reason), stable strings for playbooks and reports.
MISSING_FILE = "missing-file"
MISSING_SIGNATURE = "missing-signature"
MALFORMED_SIGNATURE = "malformed-signature"
UNKNOWN_KEY = "unknown-key"
WRONG_KEY = "wrong-key"
REVOKED_KEY = "revoked-key"
EXPIRED_KEY = "expired-key"
NOT_YET_VALID = "key-not-yet-valid"
TAMPERED = "tampered"

REASONS = (MISSING_FILE, MISSING_SIGNATURE, MALFORMED_SIGNATURE, UNKNOWN_KEY, WRONG_KEY, REVOKED_KEY, EXPIRED_KEY,
           NOT_YET_VALID, TAMPERED)


class SigningError(Exception):
    """Bad input or state (a malformed keyring, an unusable key, a path that does not exist)."""


class VerificationError(SigningError):
    """A signature that does not hold. ``str()`` names the file and the key: ``<path>: <detail> [key <id>]``."""

    def __init__(self, reason, path, detail, key_id=None):
        self.reason = reason
        self.path = path
        self.detail = detail
        self.key_id = key_id
        super(VerificationError, self).__init__(
            "%s: %s [key %s]" % (path, detail, key_id or "none"))

    def as_dict(self):
        return dict(path=self.path, reason=self.reason, key_id=self.key_id, msg=str(self))
