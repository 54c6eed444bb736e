# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import admit_replica
from ansible_collections.spooky.ops.plugins.module_utils.federation.reconcile import join, key_diff


def _replica(doc, name):
    if isinstance(doc, dict):
        doc = json.dumps(doc)
    if not isinstance(doc, (str, bytes)):
        raise AnsibleFilterError("spooky.ops.%s: expects an encoded replica document (a mapping or its JSON), got %s" % (name, type(doc).__name__))
    admission = admit_replica(doc)
    if not admission.ok:
        raise AnsibleFilterError("spooky.ops.%s: replica refused (%s): %s" % (name, admission.quarantine.reason, admission.quarantine.message))
    return admission.replica


def crdt_merge(docs, *others):
    """Join of replica documents (a list, or the input and further arguments): the merged document."""
    if isinstance(docs, list):
        items = list(docs) + list(others)
    else:
        items = [docs] + list(others)
    if not items:
        raise AnsibleFilterError("spooky.ops.crdt_merge: nothing to merge")
    return join(_replica(doc, "crdt_merge") for doc in items).to_obj()


def crdt_digest(doc):
    """Root digest of a replica document's content."""
    return _replica(doc, "crdt_digest").root_digest()


def crdt_diff(doc, other):
    """Keys (per map) whose entries differ between two replica documents, and whether the set/counter differ."""
    return key_diff(_replica(doc, "crdt_diff"), _replica(other, "crdt_diff"))


class FilterModule(object):
    def filters(self):
        return {"crdt_merge": crdt_merge, "crdt_digest": crdt_digest, "crdt_diff": crdt_diff}
