# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side encryption of backup artifacts: AES-256-GCM in authenticated segments, streamed.

File layout (``.enc``), format 2::

    b"SPKBAK2\\n" | header length (4 bytes, big endian) | header (JSON) | segment 0 | segment 1 | ... | final segment

Each segment is up to ``segment`` bytes of plaintext (1 MiB) encrypted with AES-256-GCM plus its 16-byte tag.
Its nonce is a random 7-byte prefix (in the header), the segment number (4 bytes) and a final flag (1 byte),
and the header is its associated data: the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizar
(also used by age and Tink). Every segment is authenticated before its plaintext is released, so a restore
can stream an artifact straight into pg_restore without ever handing it bytes that were not checked;
segments cannot be dropped, reordered or moved between artifacts, and a stream cut at a segment boundary
fails because its last segment lacks the final flag. The ``cryptography`` package has no streaming AEAD of
this kind (its GCM authenticates only at the end), hence these few lines around its AESGCM.

Format 1 (``SPKBAK1``: one GCM over the whole artifact, tag at the end) is still read, for sets taken
before format 2; its plaintext is authenticated only at the end.

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
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import IntegrityError, KeyMaterialError

MAGIC = b"SPKBAK2\n"
MAGIC_V1 = b"SPKBAK1\n"
CIPHER_NAME = "AES-256-GCM"
FORMAT_VERSION = 2
TAG_SIZE = 16
NONCE_SIZE = 12
NONCE_PREFIX_SIZE = 7
SEGMENT = 1024 * 1024
MAX_SEGMENT = 64 * 1024 * 1024
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
class FileSink(object):
    """Where EncryptingWriter puts the ciphertext by default: a temporary file beside `dest`, renamed on commit."""

    def __init__(self, dest, mode=0o600):
        self.dest = dest
        directory = ensure_parent(dest)
        fd, self._tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".part", dir=directory)
        os.fchmod(fd, mode)
        self._out = os.fdopen(fd, "wb")

    def write(self, data):
        self._out.write(data)

    def commit(self):
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.rename(self._tmp, self.dest)

    def abort(self):
        try:
            self._out.close()
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def _segment_nonce(prefix, index, final):
    if index > 0xFFFFFFFF:
        raise IntegrityError("an artifact cannot have more than 2^32 segments")
    return prefix + struct.pack(">IB", index, 1 if final else 0)


class EncryptingWriter(object):
    """A write-only file object: what is written is encrypted, segment by segment, into `sink`.

    `sink` is a file path (written through a temporary file, renamed on close) or an object with write(bytes),
    commit() and abort(), such as an S3 multipart upload. close() writes the final segment and commits;
    abort() discards. `result` (after close) holds sha256/size of the ciphertext and of the plaintext.
    """

    def __init__(self, key, sink, name, mode=0o600, segment=SEGMENT):
        _require()
        self.sink = FileSink(sink, mode) if isinstance(sink, str) else sink
        self.dest = getattr(self.sink, "dest", None)
        self.result = None
        self._key_id = key_id(key)
        self._segment = int(segment)
        self._aead = AESGCM(key)
        self._nonce_prefix = os.urandom(NONCE_PREFIX_SIZE)
        header = json.dumps({"v": FORMAT_VERSION, "cipher": CIPHER_NAME, "key_id": self._key_id, "segment": self._segment,
                             "nonce_prefix": base64.b64encode(self._nonce_prefix).decode("ascii"), "name": name},
                            sort_keys=True, separators=(",", ":")).encode("utf-8")
        self._aad = MAGIC + struct.pack(">I", len(header)) + header
        self._index = 0
        self._buffer = bytearray()
        self._cipher_hash = hashlib.sha256()
        self._plain_hash = hashlib.sha256()
        self._plain_size = 0
        self._cipher_size = 0
        try:
            self._emit(self._aad)
        except BaseException:
            self.sink.abort()
            raise

    def _emit(self, data):
        self.sink.write(data)
        self._cipher_hash.update(data)
        self._cipher_size += len(data)

    def _seal(self, plain, final):
        sealed = self._aead.encrypt(_segment_nonce(self._nonce_prefix, self._index, final), bytes(plain), self._aad)
        self._index += 1
        self._emit(sealed)

    def write(self, data):
        if not data:
            return 0
        self._plain_hash.update(data)
        self._plain_size += len(data)
        self._buffer += data
        # a full segment is sealed only once more data follows: the last one must carry the final flag
        if len(self._buffer) > self._segment:
            view = memoryview(self._buffer)
            start = 0
            while len(self._buffer) - start > self._segment:
                self._seal(view[start:start + self._segment], False)
                start += self._segment
            view.release()
            del self._buffer[:start]
        return len(data)

    def flush(self):
        pass

    def tell(self):
        return self._plain_size

    def close(self):
        if self.result is not None:
            return
        self._seal(self._buffer, True)
        self._buffer = bytearray()
        self.sink.commit()
        self.result = dict(sha256=self._cipher_hash.hexdigest(), size=self._cipher_size,
                           plain_sha256=self._plain_hash.hexdigest(), plain_size=self._plain_size,
                           encryption=CIPHER_NAME, key_id=self._key_id)

    def abort(self):
        self.sink.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def encrypt_file(key, src, dest, name, chunk=CHUNK):
    """Encrypt the file `src` into `dest` (a path or a sink); returns the sizes and sha256 sums (ciphertext and plaintext)."""
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
def _parse_header(raw_prefix, label):
    """(header, prefix length) from the first bytes of an artifact, or None when more bytes are needed."""
    if len(raw_prefix) < len(MAGIC) + 4:
        if not (MAGIC.startswith(bytes(raw_prefix[:len(MAGIC)])) or MAGIC_V1.startswith(bytes(raw_prefix[:len(MAGIC)]))):
            raise IntegrityError("%s is not a spooky.ops encrypted artifact (bad magic bytes): corrupt or not ours" % label, label)
        return None
    magic = bytes(raw_prefix[:len(MAGIC)])
    if magic not in (MAGIC, MAGIC_V1):
        raise IntegrityError("%s is not a spooky.ops encrypted artifact (bad magic bytes): corrupt or not ours" % label, label)
    (length,) = struct.unpack(">I", bytes(raw_prefix[len(MAGIC):len(MAGIC) + 4]))
    if length > MAX_HEADER:
        raise IntegrityError("%s has an impossible header length %d: corrupt" % (label, length), label)
    prefix_length = len(MAGIC) + 4 + length
    if len(raw_prefix) < prefix_length:
        return None
    try:
        header = json.loads(bytes(raw_prefix[len(MAGIC) + 4:prefix_length]).decode("utf-8"))
    except ValueError:
        raise IntegrityError("%s has an unreadable header: corrupt" % label, label)
    version = 1 if magic == MAGIC_V1 else FORMAT_VERSION
    if not isinstance(header, dict) or header.get("cipher") != CIPHER_NAME or header.get("v") != version:
        raise IntegrityError("%s uses cipher %r format %r, this version reads %s formats 1 and 2"
                             % (label, header.get("cipher") if isinstance(header, dict) else None,
                                header.get("v") if isinstance(header, dict) else None, CIPHER_NAME), label)
    return header, prefix_length


class Decryptor(object):
    """Incremental decryption: feed() ciphertext as it arrives, get back plaintext that has been authenticated.

    finish() checks what can only be checked at the end (the final segment, the size and sha256 the manifest
    gives) and returns the last plaintext. Any fault raises IntegrityError naming the artifact (or
    KeyMaterialError for the wrong key). With `total_size` (the stored object's size, known before reading)
    a size that differs from `expected_size` fails before anything is decrypted.
    """

    def __init__(self, key, name, expected_sha256=None, expected_size=None, total_size=None):
        _require()
        self.label = name
        self.key = key
        self.expected_sha256 = expected_sha256
        self.expected_size = None if expected_size is None else int(expected_size)
        if self.expected_size is not None and total_size is not None and int(total_size) != self.expected_size:
            raise IntegrityError("%s is %d bytes, the manifest says %d: the artifact is truncated or corrupt"
                                 % (name, int(total_size), self.expected_size), name)
        self.header = None
        self.version = None
        self._buffer = bytearray()
        self._cipher_hash = hashlib.sha256()
        self._plain_hash = hashlib.sha256()
        self.cipher_size = 0
        self.plain_size = 0
        self._index = 0
        self._aad = None
        self._v1 = None

    def _start(self):
        parsed = _parse_header(self._buffer, self.label)
        if parsed is None:
            return False
        header, prefix_length = parsed
        if header.get("key_id") != key_id(self.key):
            raise KeyMaterialError("%s was encrypted with key %s, but the key given is %s: use the key of that backup"
                                   % (self.label, header.get("key_id"), key_id(self.key)))
        self._aad = bytes(self._buffer[:prefix_length])
        del self._buffer[:prefix_length]
        self.header = header
        self.version = header["v"]
        try:
            if self.version == 1:
                nonce = base64.b64decode(header["nonce"])
                self._v1 = Cipher(algorithms.AES(self.key), modes.GCM(nonce)).decryptor()
                self._v1.authenticate_additional_data(self._aad)
            else:
                self._nonce_prefix = base64.b64decode(header["nonce_prefix"])
                self._segment = int(header["segment"])
                if len(self._nonce_prefix) != NONCE_PREFIX_SIZE or not 0 < self._segment <= MAX_SEGMENT:
                    raise ValueError("bad nonce prefix or segment size")
                self._aead = AESGCM(self.key)
        except (KeyError, TypeError, binascii.Error, ValueError):
            raise IntegrityError("%s has no valid nonce or segment size in its header: corrupt" % self.label, self.label)
        return True

    def _open(self, sealed, final):
        try:
            plain = self._aead.decrypt(_segment_nonce(self._nonce_prefix, self._index, final), bytes(sealed), self._aad)
        except InvalidTag:
            if final:
                raise IntegrityError("%s failed authentication at its end (segment %d): truncated, corrupt or tampered with"
                                     % (self.label, self._index), self.label)
            raise IntegrityError("%s failed authentication at segment %d (AES-GCM tag mismatch): corrupt or tampered with"
                                 % (self.label, self._index), self.label)
        self._index += 1
        self._plain_hash.update(plain)
        self.plain_size += len(plain)
        return plain

    def feed(self, data):
        """Plaintext authenticated so far (possibly empty)."""
        if not data:
            return b""
        self._cipher_hash.update(data)
        self.cipher_size += len(data)
        if self.expected_size is not None and self.cipher_size > self.expected_size:
            raise IntegrityError("%s is longer than the %d bytes the manifest says: corrupt or replaced"
                                 % (self.label, self.expected_size), self.label)
        self._buffer += data
        if self.header is None and not self._start():
            return b""
        out = []
        if self.version == 1:
            # format 1: the tag is the last 16 bytes; what comes before is released unauthenticated
            if len(self._buffer) > TAG_SIZE:
                body = bytes(self._buffer[:-TAG_SIZE])
                del self._buffer[:-TAG_SIZE]
                out.append(self._v1.update(body))
                self.plain_size += len(out[-1])
                self._plain_hash.update(out[-1])
            return b"".join(out)
        sealed_size = self._segment + TAG_SIZE
        # a full segment is opened as non-final only once more bytes follow it
        start = 0
        view = memoryview(self._buffer)
        while len(self._buffer) - start > sealed_size:
            out.append(self._open(view[start:start + sealed_size], False))
            start += sealed_size
        view.release()
        if start:
            del self._buffer[:start]
        return b"".join(out)

    def finish(self):
        """The last plaintext, once the end, the size and the sha256 all check out."""
        if self.header is None:
            raise IntegrityError("%s is truncated: its header is incomplete" % self.label, self.label)
        if self.expected_size is not None and self.cipher_size != self.expected_size:
            raise IntegrityError("%s is %d bytes, the manifest says %d: the artifact is truncated or corrupt"
                                 % (self.label, self.cipher_size, self.expected_size), self.label)
        if self.expected_sha256 and self._cipher_hash.hexdigest() != self.expected_sha256:
            raise IntegrityError("%s has sha256 %s, the manifest says %s: the artifact is corrupt or was replaced"
                                 % (self.label, self._cipher_hash.hexdigest(), self.expected_sha256), self.label)
        if self.version == 1:
            if len(self._buffer) != TAG_SIZE:
                raise IntegrityError("%s is truncated: fewer bytes than its header and tag need" % self.label, self.label)
            try:
                last = self._v1.finalize_with_tag(bytes(self._buffer))
            except InvalidTag:
                raise IntegrityError("%s failed authentication (AES-GCM tag mismatch): corrupt, truncated or tampered with"
                                     % self.label, self.label)
            self._plain_hash.update(last)
            self.plain_size += len(last)
            return last
        if len(self._buffer) < TAG_SIZE:
            raise IntegrityError("%s is truncated: its last segment is incomplete" % self.label, self.label)
        return self._open(self._buffer, True)

    @property
    def sha256(self):
        return self._cipher_hash.hexdigest()

    @property
    def plain_sha256(self):
        return self._plain_hash.hexdigest()


def read_header(path, name=None):
    """(header dict, header length incl. magic) of an encrypted artifact, without the key."""
    label = name or os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(len(MAGIC) + 4 + MAX_HEADER)
    except (IOError, OSError) as exc:
        raise IntegrityError("cannot read %s: %s" % (label, exc.strerror or exc), label)
    parsed = _parse_header(raw, label)
    if parsed is None:
        raise IntegrityError("%s is truncated: its header is incomplete" % label, label)
    return parsed


def decrypt_chunks(key, chunks, name, expected_sha256=None, expected_size=None, total_size=None):
    """Yield the plaintext of an artifact arriving as an iterable of byte strings, each block authenticated
    (format 2) before it is yielded; raises IntegrityError when anything does not check out."""
    decryptor = Decryptor(key, name, expected_sha256, expected_size, total_size)
    for chunk in chunks:
        block = decryptor.feed(chunk)
        if block:
            yield block
    last = decryptor.finish()
    if last:
        yield last


def _file_chunks(path, label, chunk=CHUNK):
    try:
        with open(path, "rb") as handle:
            while True:
                block = handle.read(chunk)
                if not block:
                    return
                yield block
    except (IOError, OSError) as exc:
        raise IntegrityError("cannot read %s: %s" % (label, exc.strerror or exc), label)


def decrypt_blocks(key, path, name=None, expected_sha256=None, expected_size=None, chunk=CHUNK):
    """Yield the plaintext blocks of the artifact file `path` (see decrypt_chunks)."""
    label = name or os.path.basename(path)
    try:
        size = os.path.getsize(path)
    except (IOError, OSError) as exc:
        raise IntegrityError("cannot read %s: %s" % (label, exc.strerror or exc), label)
    read_header(path, label)  # bad magic or the wrong key fail before anything else
    yield from decrypt_chunks(key, _file_chunks(path, label, chunk), label, expected_sha256, expected_size, size)


def decrypt_file(key, src, dest, name=None, expected_sha256=None, expected_size=None, mode=0o600):
    """Decrypt `src` into `dest` after checking it; returns plaintext sha256 and size.

    The plaintext goes to a temporary file beside `dest`, renamed only once everything checked out.
    """
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
