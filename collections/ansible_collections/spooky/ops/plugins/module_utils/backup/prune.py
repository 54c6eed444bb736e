# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention applied to a store: list a source's sets, plan (retention.plan), delete what the plan prunes, abort stale
multipart uploads. Used by backup_retention, and by backup_postgres right after its set completes (as pgBackRest
expires after each backup)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, retention


def apply(store, prefix, source, policy, rpo=0, incomplete_grace=86400, after_set=None, now=None, check_mode=False,
          abort_stale_uploads=True):
    """Prune the sets of `source`; returns dict(changed, pruned, kept, aborted_uploads, policy, verified_kept, sets[, blocked]).

    `policy` is checked (a dict of tiers or a profile name); `rpo` and `incomplete_grace` are seconds. In check mode
    nothing is deleted and `after_set` (the backup being taken) counts as complete, to show what would go.
    """
    policy = retention.check_policy(policy)
    now = now or catalog.utcnow()
    source_prefix = catalog.source_prefix(prefix, source)
    sets = catalog.sets_from_keys(store.list_keys(source_prefix), prefix, source)
    listed = sets
    if check_mode and after_set and not any(s["set_id"] == after_set for s in sets):
        listed = sets + [dict(set_id=after_set, complete=True, verified=False)]
    decision = retention.plan(listed, policy, now=now, rpo=rpo, incomplete_grace=incomplete_grace,
                              after_set=after_set if not check_mode else None)
    if check_mode and after_set:
        decision["blocked"] = None
    stale = []
    if abort_stale_uploads and not decision["blocked"]:
        stale = store.stale_uploads(source_prefix, now - datetime.timedelta(seconds=incomplete_grace))
    by_id = dict((s["set_id"], s) for s in sets)
    pruned = [] if decision["blocked"] else decision["prune"]
    if not check_mode:
        for entry in pruned:
            store.delete_set(by_id[entry["set_id"]])
        for upload in stale:
            store.abort_upload(upload)
    result = dict(changed=bool(pruned or stale), pruned=pruned, kept=decision["keep"], aborted_uploads=stale,
                  policy=decision["policy"], verified_kept=decision["verified_kept"], sets=[s["set_id"] for s in sets])
    if decision["blocked"] and decision["prune"]:
        result["blocked"] = decision["blocked"]
    return result
