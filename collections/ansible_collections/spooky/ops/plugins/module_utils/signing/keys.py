# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ed25519 key pairs through ``cryptography``.

The key id is ``ed25519:`` followed by the hex sha256 of the raw 32-byte public key. Private keys are PEM
(PKCS#8, as ``openssl genpkey -algorithm ed25519`` writes them), optionally encrypted with a passphrase.
A ``SigningKey`` never shows its private half: not in ``repr()``, not in any error message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib
import traceback

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError

try:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

ALGORITHM = "ed25519"
KEY_ID_PREFIX = "ed25519:"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def key_id_for(public_raw):
    return KEY_ID_PREFIX + hashlib.sha256(public_raw).hexdigest()


def decode_public_key(public_b64, what="public key"):
    """The raw 32 bytes of a base64 public key, or SigningError."""
    try:
        raw = base64.b64decode(public_b64.encode("ascii") if not isinstance(public_b64, bytes) else public_b64, validate=True)
    except (binascii.Error, ValueError, AttributeError, UnicodeError):
        raise SigningError("%s: not valid base64" % what)
    if len(raw) != PUBLIC_KEY_BYTES:
        raise SigningError("%s: an ed25519 public key has %d bytes, got %d" % (what, PUBLIC_KEY_BYTES, len(raw)))
    return raw


def _require():
    if not HAS_CRYPTOGRAPHY:
        raise SigningError("the Python library cryptography is required to sign and verify")


class SigningKey(object):
    """A private ed25519 key. ``key_id``, ``public_raw`` and ``public_b64`` are public."""

    def __init__(self, private_key):
        self._private = private_key
        self.public_raw = private_key.public_key().public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
        self.public_b64 = base64.b64encode(self.public_raw).decode("ascii")
        self.key_id = key_id_for(self.public_raw)

    def __repr__(self):
        return "SigningKey(%s)" % self.key_id

    @classmethod
    def generate(cls):
        _require()
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data, passphrase=None, what="private key"):
        _require()
        if not isinstance(data, bytes):
            data = data.encode("utf-8")
        password = passphrase.encode("utf-8") if passphrase else None
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except TypeError as exc:  # passphrase given for an unencrypted key, or missing for an encrypted one
            raise SigningError("%s: %s" % (what, "a passphrase is needed to read it" if "encrypted" in str(exc).lower() and not password
                                           else "it is not encrypted, but a passphrase was given"))
        except (ValueError, binascii.Error, UnsupportedAlgorithm):
            # Deliberately without cryptography's message: never risk echoing the input.
            raise SigningError("%s: not a readable PEM private key (or a wrong passphrase)" % what)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningError("%s: not an ed25519 key" % what)
        return cls(key)

    def to_pem(self, passphrase=None):
        encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                      else serialization.NoEncryption())
        return self._private.private_bytes(encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
                                           encryption_algorithm=encryption)

    def sign(self, data):
        return self._private.sign(data)


def verify_signature(public_raw, signature, data):
    """True when ``signature`` (raw bytes) over ``data`` verifies with the raw public key."""
    _require()
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except InvalidSignature:
        return False
    return True
