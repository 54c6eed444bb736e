# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups, retention and restore verification -- plain Python, no Ansible imports.

One concern per module:

* ``crypto``     AES-256-GCM artifact encryption (streamed), keys and key ids, sha256 of files
* ``archive``    deterministic tar.gz of a directory, and the tree digest that checks an extraction
* ``manifest``   the manifest of a backup set: built, signed (HMAC), verified, written atomically
* ``catalog``    set ids and the sets found under a store prefix (complete, verified, incomplete)
* ``retention``  grandfather-father-son retention: which sets to keep, which to prune, and why
* ``compare``    restored content against the manifest (tables, keyspaces, objects, trees)
* ``pgstats``    row counts and checksums of PostgreSQL tables, optionally in an exported snapshot
* ``kube``       Kubernetes objects cleaned for backup, re-targeted and ordered for restore
* ``s3``         the few S3 calls retention needs (boto3), with faults as exceptions
* ``errors``     the exceptions, each with a message for the operator
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
