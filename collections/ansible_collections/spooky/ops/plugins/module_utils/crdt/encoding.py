# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical JSON encoding and strict decoding helpers.

Canonical form: ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` encoded as UTF-8.  The same logical
document therefore always produces the same bytes (and the same hash) on every
cluster, which the digests and the shard manifests rely on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError, InvalidJSONError

FORMAT_VERSION = 1

try:  # the C accelerated string encoder (always present on CPython)
    from json.encoder import c_encode_basestring as _encode_str
except ImportError:  # pragma: no cover - pure Python fallback
    _encode_str = None
if _encode_str is None:  # pragma: no cover
    from json.encoder import py_encode_basestring as _encode_str

_INT_REPR = int.__repr__
_FLOAT_REPR = float.__repr__


def is_int(value):
    """True for a real integer (bool is excluded)."""
    return isinstance(value, int) and not isinstance(value, bool)


def canonical_dumps(obj):
    """Return the canonical JSON text of ``obj`` (str)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(obj):
    """Return the canonical JSON encoding of ``obj`` as UTF-8 bytes."""
    return canonical_dumps(obj).encode("utf-8")


def encode_str(text):
    """JSON string literal of ``text`` exactly as :func:`canonical_dumps` writes it."""
    return _encode_str(text)


def value_fingerprint(value):
    """Canonical JSON text of a JSON value, with fast paths for scalars.

    Equal to ``canonical_dumps(value)`` for every valid value; it is used to
    hash entries and to break ties deterministically (``1``, ``1.0`` and
    ``True`` are equal in Python but are different JSON values).
    """
    cls = type(value)
    if cls is str:
        return _encode_str(value)
    if cls is int:
        return _INT_REPR(value)
    if cls is float:
        if not math.isfinite(value):
            raise ValueError("non-finite float %r is not a valid JSON value" % (value,))
        return _FLOAT_REPR(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return canonical_dumps(value)


def check_json_value(value, where="value", _depth=0):
    """Raise ``ValueError`` unless ``value`` is a plain JSON value that round-trips.

    Accepted: None, bool, int, finite float, str, list of values, dict with str
    keys.  Tuples, sets, bytes, non-str dict keys, NaN and Infinity are refused
    because they would not survive an encode/decode round trip unchanged.
    """
    if _depth > 64:
        raise ValueError("%s: nesting deeper than 64 levels" % where)
    cls = type(value)
    if value is None or cls in (bool, int):
        return
    if cls is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("%s: string contains a lone surrogate and cannot be encoded as UTF-8" % where)
        return
    if cls is float:
        if not math.isfinite(value):
            raise ValueError("%s: non-finite float %r is not a valid JSON value" % (where, value))
        return
    if cls is list:
        for index, item in enumerate(value):
            check_json_value(item, "%s[%d]" % (where, index), _depth + 1)
        return
    if cls is dict:
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("%s: object key %r is not a string" % (where, key))
            check_json_value(item, "%s.%s" % (where, key), _depth + 1)
        return
    raise ValueError("%s: %s is not a JSON value type" % (where, cls.__name__))


def _reject_constant(name):
    raise ValueError("non-finite number %s is not allowed" % name)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number %s overflows to a non-finite float" % text[:40])
    return value


def _no_duplicates(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, dummy in pairs:
            if key in seen:
                raise ValueError("duplicate object key %r" % (key,))
            seen.add(key)
    return obj


def strict_loads(raw, what="document"):
    """Parse ``raw`` (bytes or str) as strict JSON.

    Rejects invalid UTF-8, duplicate object keys, NaN/Infinity (also numbers
    that overflow to infinity) and trailing garbage with :class:`InvalidJSONError`.
    """
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJSONError("%s is not valid UTF-8: %s" % (what, exc))
    elif not isinstance(raw, str):
        raise InvalidJSONError("%s must be bytes or str, got %s" % (what, type(raw).__name__))
    try:
        obj = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise InvalidJSONError("%s is not valid JSON: %s" % (what, exc))
    if "\\ud" in raw or "\\uD" in raw:
        # A \uD800-\uDFFF escape may decode to a lone surrogate, which cannot be
        # re-encoded as UTF-8 (rare path: only checked when such an escape exists).
        try:
            canonical_bytes(obj)
        except UnicodeEncodeError:
            raise InvalidJSONError("%s contains a lone UTF-16 surrogate escape" % what)
    return obj


def type_name(value):
    """JSON-ish name of the type of ``value`` for error messages."""
    if value is None:
        return "null"
    cls = type(value)
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(cls, cls.__name__)


def check_object(obj, where, required, optional=()):
    """Validate that ``obj`` is a dict with exactly the ``required`` fields (plus ``optional`` ones)."""
    if not isinstance(obj, dict):
        raise DecodeError("%s: expected an object, got %s" % (where, type_name(obj)))
    allowed = set(required) | set(optional)
    unknown = sorted(key for key in obj if key not in allowed)
    if unknown:
        raise DecodeError("%s: unknown field(s) %s" % (where, ", ".join(repr(key) for key in unknown)))
    missing = [key for key in required if key not in obj]
    if missing:
        raise DecodeError("%s: missing field(s) %s" % (where, ", ".join(repr(key) for key in missing)))
    return obj


def check_header(obj, where, type_tag, required=(), optional=()):
    """Validate an object with ``type`` and ``v`` header fields."""
    check_object(obj, where, ("type", "v") + tuple(required), optional)
    if obj["type"] != type_tag:
        raise DecodeError("%s: expected type %r, got %r" % (where, type_tag, obj["type"]))
    version = obj["v"]
    if not is_int(version) or version != FORMAT_VERSION:
        raise DecodeError("%s: unsupported format version %r (this library reads v%d)" % (where, version, FORMAT_VERSION))
    return obj


def expect_int(value, where, minimum=0):
    """Return ``value`` if it is an int (not bool) >= ``minimum``."""
    if not is_int(value):
        raise DecodeError("%s: expected an integer, got %s" % (where, type_name(value)))
    if value < minimum:
        raise DecodeError("%s: expected an integer >= %d, got %d" % (where, minimum, value))
    return value


def expect_str(value, where, nonempty=True):
    """Return ``value`` if it is a (non-empty) string."""
    if not isinstance(value, str):
        raise DecodeError("%s: expected a string, got %s" % (where, type_name(value)))
    if nonempty and not value:
        raise DecodeError("%s: expected a non-empty string" % where)
    return value


def expect_dict(value, where):
    """Return ``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise DecodeError("%s: expected an object, got %s" % (where, type_name(value)))
    return value


def load_object(raw, what):
    """Accept either raw JSON (bytes/str) or an already parsed object."""
    if isinstance(raw, (bytes, bytearray, str)):
        return strict_loads(raw, what)
    return raw
