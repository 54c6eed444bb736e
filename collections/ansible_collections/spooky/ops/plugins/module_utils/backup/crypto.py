# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side encryption of backup artifacts: AES-256-GCM, streamed, so a 1 GB dump never sits in memory.

File layout (``.enc``)::

    b"SPKBAK1\\n" | header length (4 bytes, big endian) | header (JSON) | ciphertext | GCM tag (16 bytes)

The header (format version, cipher, key id, nonce, artifact name) is authenticated as associated data:
changing a byte anywhere makes decryption fail. A fresh 96-bit nonce per artifact. Decryption writes to a
temporary file beside the destination and renames it only after the tag (and the sha256 of the ciphertext,
when the manifest gives one) checked out, so unauthenticated plaintext never appears under the final name.

Keys are 32 bytes, given as base64 (what the lab writes), 64 hex digits, or the raw bytes. The key id is a
truncated hash of a derivation of the key: it names the key in manifests without revealing it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
import tempfile

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import IntegrityError, KeyMaterialError

MAGIC = b"SPKBAK1\n"
CIPHER_NAME = "AES-256-GCM"
FORMAT_VERSION = 1
TAG_SIZE = 16
NONCE_SIZE = 12
CHUNK = 1024 * 1024
MAX_HEADER = 64 * 1024


# --------------------------------------------------------------------------------- keys
def load_key(material):
    """32 key bytes from base64 text, 64 hex digits or raw bytes; raises KeyMaterialError otherwise."""
    if material is None:
        raise KeyMaterialError("no encryption key given: set a key file or a Kubernetes Secret holding the key")
    raw = material if isinstance(material, bytes) else material.encode("utf-8")
    text = raw.strip()
    if len(text) == 64:
        try:
            return binascii.unhexlify(text)
        except (binascii.Error, TypeError):
            pass
    try:
        decoded = base64.b64decode(text, validate=True)
        if len(decoded) == 32:
            return decoded
    except (binascii.Error, ValueError):
        pass
    if len(raw) == 32:
        return raw
    raise KeyMaterialError("the encryption key must be 32 bytes: base64 (44 characters), 64 hex digits or 32 raw bytes; "
                           "got %d bytes that are none of these" % len(raw))


def read_key_file(path):
    try:
        with open(path, "rb") as handle:
            return load_key(handle.read())
    except (IOError, OSError) as exc:
        raise KeyMaterialError("cannot read the encryption key file %s: %s" % (path, exc.strerror or exc))


def derive(key, purpose):
    """A sub-key for `purpose` (HMAC-SHA256 of the key), so the key itself is only ever used for AES."""
    return hmac.new(key, b"spooky.ops/backup/" + purpose.encode("ascii"), hashlib.sha256).digest()


def key_id(key):
    return hashlib.sha256(derive(key, "key-id")).hexdigest()[:16]


def ensure_parent(path, mode=0o700):
    """Create the directory of `path` (and its parents) when missing; new directories get `mode`."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, mode)
    return directory


# ------------------------------------------------------------------------------ hashing
def sha256_file(path, chunk=CHUNK):
    """(hex sha256, size) of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _require():
    if not HAS_CRYPTOGRAPHY:
        raise KeyMaterialError("the Python package cryptography is required for backup encryption: %s" % CRYPTOGRAPHY_IMPORT_ERROR)


# ---------------------------------------------------------------------------- encrypt
class EncryptingWriter(object):
    """A write-only file object: what is written is encrypted into `dest` (via a temporary file).

    close() writes the tag and renames the temporary file to `dest`; abort() removes it.
    `result` (after close) holds sha256/size of the ciphertext file and of the plaintext.
    """

    def __init__(self, key, dest, name, mode=0o600):
        _require()
        self.dest = dest
        self.result = None
        self._key_id = key_id(key)
        nonce = os.urandom(NONCE_SIZE)
        header = json.dumps({"v": FORMAT_VERSION, "cipher": CIPHER_NAME, "key_id": self._key_id,
                             "nonce": base64.b64encode(nonce).decode("ascii"), "name": name},
                            sort_keys=True, separators=(",", ":")).encode("utf-8")
        prefix = MAGIC + struct.pack(">I", len(header)) + header
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(prefix)
        directory = ensure_parent(dest)
        fd, self._tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".part", dir=directory)
        os.fchmod(fd, mode)
        self._out = os.fdopen(fd, "wb")
        self._cipher_hash = hashlib.sha256()
        self._plain_hash = hashlib.sha256()
        self._plain_size = 0
        self._cipher_size = 0
        self._emit(prefix)

    def _emit(self, data):
        if data:
            self._out.write(data)
            self._cipher_hash.update(data)
            self._cipher_size += len(data)

    def write(self, data):
        if not data:
            return 0
        data = bytes(data)
        self._plain_hash.update(data)
        self._plain_size += len(data)
        self._emit(self._encryptor.update(data))
        return len(data)

    def flush(self):
        pass

    def tell(self):
        return self._plain_size

    def close(self):
        if self.result is not None:
            return
        self._emit(self._encryptor.finalize())
        self._emit(self._encryptor.tag)
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.rename(self._tmp, self.dest)
        self.result = dict(sha256=self._cipher_hash.hexdigest(), size=self._cipher_size,
                           plain_sha256=self._plain_hash.hexdigest(), plain_size=self._plain_size,
                           encryption=CIPHER_NAME, key_id=self._key_id)

    def abort(self):
        try:
            self._out.close()
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def encrypt_file(key, src, dest, name, chunk=CHUNK):
    """Encrypt the file `src` into `dest`; returns the sizes and sha256 sums (ciphertext and plaintext)."""
    with open(src, "rb") as source:
        with EncryptingWriter(key, dest, name) as writer:
            while True:
                block = source.read(chunk)
                if not block:
                    break
                writer.write(block)
    return writer.result


def encrypt_bytes(key, data, dest, name):
    with EncryptingWriter(key, dest, name) as writer:
        writer.write(data)
    return writer.result


# ---------------------------------------------------------------------------- decrypt
def read_header(path, name=None):
    """(header dict, header length incl. magic) of an encrypted artifact, without the key."""
    label = name or os.path.basename(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            magic = handle.read(len(MAGIC))
            if magic != MAGIC:
                raise IntegrityError("%s is not a spooky.ops encrypted artifact (bad magic bytes): corrupt or not ours" % label, label)
            length_bytes = handle.read(4)
            if len(length_bytes) != 4:
                raise IntegrityError("%s is truncated: its header is incomplete" % label, label)
            (length,) = struct.unpack(">I", length_bytes)
            if length > MAX_HEADER:
                raise IntegrityError("%s has an impossible header length %d: corrupt" % (label, length), label)
            raw = handle.read(length)
    except (IOError, OSError) as exc:
        raise IntegrityError("cannot read %s: %s" % (label, exc.strerror or exc), label)
    if len(raw) != length:
        raise IntegrityError("%s is truncated: its header is incomplete" % label, label)
    try:
        header = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise IntegrityError("%s has an unreadable header: corrupt" % label, label)
    prefix_length = len(MAGIC) + 4 + length
    if size < prefix_length + TAG_SIZE:
        raise IntegrityError("%s is truncated: %d bytes, fewer than its header and tag need" % (label, size), label)
    if header.get("cipher") != CIPHER_NAME or header.get("v") != FORMAT_VERSION:
        raise IntegrityError("%s uses cipher %r format %r, this version reads %s format %d"
                             % (label, header.get("cipher"), header.get("v"), CIPHER_NAME, FORMAT_VERSION), label)
    return header, prefix_length


def _open_checked(key, path, name, expected_sha256, expected_size):
    label = name or os.path.basename(path)
    header, prefix_length = read_header(path, label)
    if header.get("key_id") != key_id(key):
        raise KeyMaterialError("%s was encrypted with key %s, but the key given is %s: use the key of that backup"
                               % (label, header.get("key_id"), key_id(key)))
    size = os.path.getsize(path)
    if expected_size is not None and size != int(expected_size):
        raise IntegrityError("%s is %d bytes, the manifest says %d: the artifact is truncated or corrupt"
                             % (label, size, int(expected_size)), label)
    try:
        nonce = base64.b64decode(header["nonce"])
    except (KeyError, TypeError, binascii.Error, ValueError):
        raise IntegrityError("%s has no valid nonce in its header: corrupt" % label, label)
    return label, header, prefix_length, size, nonce


def decrypt_blocks(key, path, name=None, expected_sha256=None, expected_size=None, chunk=CHUNK):
    """Yield plaintext blocks; raises IntegrityError at the end if the sha256 or the tag does not match.

    Callers must treat what they received as untrusted until the generator is exhausted without error.
    """
    _require()
    label, header, prefix_length, size, nonce = _open_checked(key, path, name, expected_sha256, expected_size)
    cipher_hash = hashlib.sha256()
    with open(path, "rb") as handle:
        prefix = handle.read(prefix_length)
        cipher_hash.update(prefix)
        remaining = size - prefix_length - TAG_SIZE
        # The tag is read first (it is needed only at the end, but GCM decryption wants it up front).
        handle.seek(size - TAG_SIZE)
        tag = handle.read(TAG_SIZE)
        handle.seek(prefix_length)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(prefix)
        while remaining > 0:
            block = handle.read(min(chunk, remaining))
            if not block:
                raise IntegrityError("%s ended early: truncated" % label, label)
            remaining -= len(block)
            cipher_hash.update(block)
            yield decryptor.update(block)
        cipher_hash.update(tag)
    if expected_sha256 and cipher_hash.hexdigest() != expected_sha256:
        raise IntegrityError("%s has sha256 %s, the manifest says %s: the artifact is corrupt or was replaced"
                             % (label, cipher_hash.hexdigest(), expected_sha256), label)
    try:
        yield decryptor.finalize()
    except InvalidTag:
        raise IntegrityError("%s failed authentication (AES-GCM tag mismatch): corrupt, truncated or tampered with" % label, label)


def decrypt_file(key, src, dest, name=None, expected_sha256=None, expected_size=None, mode=0o600):
    """Decrypt `src` into `dest` after checking it; returns plaintext sha256 and size, and the header."""
    directory = ensure_parent(dest)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".part", dir=directory)
    plain_hash = hashlib.sha256()
    plain_size = 0
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            for block in decrypt_blocks(key, src, name, expected_sha256, expected_size):
                if block:
                    out.write(block)
                    plain_hash.update(block)
                    plain_size += len(block)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dict(plain_sha256=plain_hash.hexdigest(), plain_size=plain_size)


def decrypt_bytes(key, src, name=None, expected_sha256=None, expected_size=None):
    return b"".join(decrypt_blocks(key, src, name, expected_sha256, expected_size))
