# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception classes of the federation CRDT library.

Every error carries a short machine-readable ``reason`` (used as the quarantine
reason when a replica document is rejected) and a human readable message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class CRDTError(Exception):
    """Base class of every error raised by the CRDT library."""

    reason = "crdt_error"


class DecodeError(CRDTError, ValueError):
    """A document is well-formed JSON but does not match the expected schema.

    Raised for wrong types, unknown or missing fields, bad HLC stamps, wrong
    ``type``/``v`` headers and broken invariants (e.g. a dot not covered by the
    ORSWOT clock).
    """

    reason = "invalid_document"


class InvalidJSONError(DecodeError):
    """The raw bytes are not valid (UTF-8, strict, duplicate-free) JSON."""

    reason = "invalid_json"


class ClockSkewError(CRDTError):
    """A remote HLC stamp is further ahead of local physical time than tolerated."""

    reason = "clock_future"

    def __init__(self, message, node_id=None, offset_ms=None, max_offset_ms=None):
        super(ClockSkewError, self).__init__(message)
        self.node_id = node_id
        self.offset_ms = offset_ms
        self.max_offset_ms = max_offset_ms


class DigestMismatchError(CRDTError):
    """The digest stored in a replica document does not match its content."""

    reason = "digest_mismatch"

    def __init__(self, message, component=None, stored=None, computed=None):
        super(DigestMismatchError, self).__init__(message)
        self.component = component
        self.stored = stored
        self.computed = computed


class ShardError(CRDTError):
    """A shard set is incomplete or a shard was altered."""

    reason = "shard_invalid"


class GCPolicyError(CRDTError, ValueError):
    """The tombstone garbage-collection policy is unsafe or malformed."""

    reason = "gc_policy_invalid"


class MerkleShapeError(CRDTError, ValueError):
    """Two Merkle trees with different fan-out or depth cannot be compared."""

    reason = "merkle_shape_mismatch"
