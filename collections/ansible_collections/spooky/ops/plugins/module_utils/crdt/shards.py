# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Split an encoded replica into ConfigMap-sized shards and reassemble it.

A ConfigMap holds at most 1 MiB of data in total, so each shard is kept under
a byte limit (default 900 KiB, leaving room for keys and metadata).  Shards are
UTF-8 text cut on character boundaries, so they can be stored in a
ConfigMap's ``data`` field.  The manifest lists the shard count and the sha256
of every shard and of the whole payload; :func:`join_shards` raises
:class:`ShardError` for a missing, extra or altered shard.

Manifest encoding::

    {"type": "spooky.crdt.shards", "v": 1, "count": 2, "bytes": 1500000,
     "sha256": "<whole payload>", "shards": [{"bytes": 921600, "sha256": "..."}, ...]}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    is_int,
    canonical_bytes,
    check_header,
    check_object,
    expect_int,
    expect_str,
    load_object,
    type_name,
    FORMAT_VERSION,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError, ShardError

TYPE_TAG = "spooky.crdt.shards"
CONFIGMAP_LIMIT_BYTES = 1024 * 1024
DEFAULT_SHARD_BYTES = 900 * 1024


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def shard_key(index):
    """Conventional ConfigMap data key of shard ``index`` (``shard-00000``...)."""
    return "shard-%05d" % index


def split_shards(payload, max_bytes=DEFAULT_SHARD_BYTES):
    """Split UTF-8 ``payload`` (bytes or str) into text shards of at most ``max_bytes`` bytes.

    Returns ``(manifest, shards)`` where ``shards`` is a list of str.
    """
    if not is_int(max_bytes) or not 4 <= max_bytes <= CONFIGMAP_LIMIT_BYTES:
        raise ValueError("max_bytes must be an integer between 4 and %d, got %r" % (CONFIGMAP_LIMIT_BYTES, max_bytes))
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    else:
        payload = bytes(payload)
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("payload is not UTF-8 text: %s" % exc)
    shards = []
    entries = []
    start = 0
    size = len(payload)
    while start < size:
        end = min(start + max_bytes, size)
        # never cut inside a multi-byte character: back off over continuation bytes
        while end < size and (payload[end] & 0xC0) == 0x80:
            end -= 1
        chunk = payload[start:end]
        shards.append(chunk.decode("utf-8"))
        entries.append({"bytes": len(chunk), "sha256": _sha256(chunk)})
        start = end
    manifest = {"type": TYPE_TAG, "v": FORMAT_VERSION, "count": len(shards), "bytes": size,
                "sha256": _sha256(payload), "shards": entries}
    return manifest, shards


def encode_manifest(manifest):
    """Canonical JSON bytes of a manifest."""
    return canonical_bytes(manifest)


def decode_manifest(raw):
    """Parse and validate a manifest (bytes/str/object)."""
    obj = load_object(raw, "shard manifest")
    check_header(obj, "manifest", TYPE_TAG, required=("count", "bytes", "sha256", "shards"))
    count = expect_int(obj["count"], "manifest.count")
    expect_int(obj["bytes"], "manifest.bytes")
    _expect_sha(obj["sha256"], "manifest.sha256")
    if not isinstance(obj["shards"], list):
        raise DecodeError("manifest.shards: expected an array, got %s" % type_name(obj["shards"]))
    if len(obj["shards"]) != count:
        raise DecodeError("manifest.shards: lists %d shards but count is %d" % (len(obj["shards"]), count))
    for index, entry in enumerate(obj["shards"]):
        where = "manifest.shards[%d]" % index
        check_object(entry, where, ("bytes", "sha256"))
        expect_int(entry["bytes"], where + ".bytes")
        _expect_sha(entry["sha256"], where + ".sha256")
    return obj


def _expect_sha(value, where):
    expect_str(value, where)
    if len(value) != 64 or any(char not in "0123456789abcdef" for char in value):
        raise DecodeError("%s: expected 64 lowercase hex digits" % where)


def join_shards(manifest, shards):
    """Reassemble the payload bytes, verifying every shard against the manifest.

    :param manifest: manifest object (or its JSON).
    :param shards: list of shard texts in order, or a dict index -> text
        (e.g. built from ConfigMaps that may be missing); None marks a missing shard.
    :raises ShardError: missing, extra or altered shard, or a whole-payload mismatch.
    """
    try:
        manifest = decode_manifest(manifest)
    except DecodeError as exc:
        raise ShardError("shard manifest is invalid: %s" % exc)
    count = manifest["count"]
    if isinstance(shards, dict):
        extra = sorted(repr(index) for index in shards if not is_int(index) or not 0 <= index < count)
        if extra:
            raise ShardError("unexpected shard index(es) %s for a manifest of %d shards" % (", ".join(extra), count))
        ordered = [shards.get(index) for index in range(count)]
    else:
        ordered = list(shards)
        if len(ordered) > count:
            raise ShardError("got %d shards but the manifest lists %d" % (len(ordered), count))
        ordered.extend([None] * (count - len(ordered)))
    missing = [index for index, shard in enumerate(ordered) if shard is None]
    if missing:
        raise ShardError("missing shard(s) %s of %d" % (", ".join(str(index) for index in missing), count))
    parts = []
    for index, shard in enumerate(ordered):
        data = shard.encode("utf-8") if isinstance(shard, str) else bytes(shard)
        expected = manifest["shards"][index]
        digest = _sha256(data)
        if len(data) != expected["bytes"] or digest != expected["sha256"]:
            raise ShardError("shard %d of %d is altered: %d bytes sha256 %s, manifest says %d bytes sha256 %s"
                             % (index, count, len(data), digest[:16], expected["bytes"], expected["sha256"][:16]))
        parts.append(data)
    payload = b"".join(parts)
    if len(payload) != manifest["bytes"] or _sha256(payload) != manifest["sha256"]:
        raise ShardError("reassembled payload does not match the manifest sha256")
    return payload
