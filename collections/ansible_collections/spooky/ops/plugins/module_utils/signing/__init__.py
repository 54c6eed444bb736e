# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ed25519 signatures of manifests and bundles, the public keyring, and the provenance log -- plain Python.

One concern per module:

* ``times``       RFC 3339 timestamps <-> epoch seconds (UTC, whole seconds)
* ``digest``      the canonical digest of a file or a directory tree (signature files excluded)
* ``keys``        ed25519 key pairs (``cryptography``), key ids (``ed25519:<sha256 of the raw public key>``)
* ``keyring``     the public keyring: validity windows, rotation with an overlap, revocation
* ``signature``   the detached signature document: sign (idempotently) and verify against the keyring
* ``provenance``  the append-only, hash-chained JSON-lines log and its auditor
* ``storage``     private key files (0600, atomic) and JSON files written atomically
* ``secret``      private keys in a Kubernetes Secret, through a kubernetes.core API client
* ``errors``      ``SigningError`` and ``VerificationError`` (with a reason code, the file and the key)

Only ``keys`` needs ``cryptography``; its import is guarded (``keys.HAS_CRYPTOGRAPHY``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
