# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grandfather-father-son retention of backup sets: which to keep, which to prune, and why.

A policy is counts per tier (data, never code): ``last``, ``hourly``, ``daily``, ``weekly`` (ISO weeks),
``monthly``, ``yearly``. Each tier walks the complete sets from the newest and keeps the newest set of each
period until it has kept its count, counting only periods that have a backup (as restic's --keep-* do):
a week without backups does not use up a weekly slot. Times are UTC.

Whatever the policy says, a plan never prunes
  * the newest complete set, nor the newest verified one (so a store with a verified backup keeps one);
  * a complete set inside the RPO window (younger than `rpo` seconds);
  * an incomplete set younger than `incomplete_grace` (it may be a backup still uploading);
and prunes nothing at all while `after_set` (the backup just taken) is not complete: pruning follows a
completed backup, never a failed one (pgBackRest's rule: expire runs after a successful backup).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

TIERS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")

# The seeds' runbooks, as named profiles (the role's defaults carry the same numbers as data).
PROFILES = {
    # Phoenix (seed 002): Redis every 15 minutes, 24 hourly / 7 daily / 4 weekly.
    "phoenix-redis": dict(hourly=24, daily=7, weekly=4),
    # ORCA (seed 003): daily PostgreSQL full backup, 7 daily / 4 weekly / 12 monthly.
    "orca-postgres": dict(daily=7, weekly=4, monthly=12),
}


def _period(tier, moment):
    if tier == "hourly":
        return moment.strftime("%Y-%m-%dT%H")
    if tier == "daily":
        return moment.strftime("%Y-%m-%d")
    if tier == "weekly":
        year, week, _day = moment.isocalendar()[:3]
        return "%04d-W%02d" % (year, week)
    if tier == "monthly":
        return moment.strftime("%Y-%m")
    if tier == "yearly":
        return moment.strftime("%Y")
    raise BackupError("unknown tier %r" % tier)


def check_policy(policy):
    """A policy dict with every tier (0 when absent); raises BackupError naming the bad entry."""
    if isinstance(policy, str):
        if policy not in PROFILES:
            raise BackupError("unknown retention profile %r: known profiles are %s" % (policy, ", ".join(sorted(PROFILES))))
        policy = PROFILES[policy]
    if not isinstance(policy, dict):
        raise BackupError("a retention policy is a dict of tier counts or a profile name, got %r" % (policy,))
    unknown = sorted(set(policy) - set(TIERS))
    if unknown:
        raise BackupError("unknown retention tier(s) %s: tiers are %s" % (", ".join(unknown), ", ".join(TIERS)))
    result = {}
    for tier in TIERS:
        value = policy.get(tier, 0)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value))
            except ValueError:
                raise BackupError("retention %s must be a whole number, got %r" % (tier, value))
        if value < 0:
            raise BackupError("retention %s must not be negative, got %d" % (tier, value))
        result[tier] = value
    if not any(result.values()):
        raise BackupError("a retention policy must keep something: every tier count is 0")
    return result


def plan(sets, policy, now=None, rpo=0, incomplete_grace=86400, after_set=None):
    """Decide for every set; returns dict(keep=[...], prune=[...], blocked=None or a reason, policy=...).

    `sets` are catalog entries (set_id, complete, verified; time is taken from the set id). Entries of
    keep carry the list of reasons they are kept; entries of prune the one reason they go.
    """
    policy = check_policy(policy)
    now = catalog.parse_time(now) if now is not None else catalog.utcnow()
    if rpo < 0 or incomplete_grace < 0:
        raise BackupError("rpo and incomplete_grace must not be negative")
    entries = []
    for entry in sets or ():
        moment = catalog.parse_set_id(entry["set_id"])
        entries.append(dict(set_id=entry["set_id"], time=catalog.iso(moment), moment=moment,
                            complete=bool(entry.get("complete")), verified=bool(entry.get("verified") and entry.get("complete"))))
    entries.sort(key=lambda e: e["set_id"], reverse=True)
    complete = [e for e in entries if e["complete"]]
    reasons = dict((e["set_id"], []) for e in entries)

    if complete:
        reasons[complete[0]["set_id"]].append("newest complete backup")
    verified = [e for e in complete if e["verified"]]
    if verified:
        reasons[verified[0]["set_id"]].append("newest verified backup")
    rpo_start = now - datetime.timedelta(seconds=rpo)
    for e in complete:
        if rpo and e["moment"] >= rpo_start:
            reasons[e["set_id"]].append("inside the RPO window")

    for tier in TIERS:
        count = policy[tier]
        if not count:
            continue
        kept, last_period = 0, None
        for e in complete:
            if kept >= count:
                break
            period = e["set_id"] if tier == "last" else _period(tier, e["moment"])
            if period != last_period:
                reasons[e["set_id"]].append("%s %s" % (tier, period) if tier != "last" else "last %d" % count)
                kept += 1
                last_period = period

    grace_start = now - datetime.timedelta(seconds=incomplete_grace)
    keep, prune = [], []
    for e in entries:
        public = dict(set_id=e["set_id"], time=e["time"], complete=e["complete"], verified=e["verified"])
        if not e["complete"]:
            if e["moment"] >= grace_start:
                keep.append(dict(public, reasons=["incomplete, may still be uploading (younger than the grace period)"]))
            else:
                prune.append(dict(public, reason="incomplete (no manifest): an interrupted backup"))
        elif reasons[e["set_id"]]:
            keep.append(dict(public, reasons=reasons[e["set_id"]]))
        else:
            prune.append(dict(public, reason="outside every retention tier"))

    blocked = None
    if after_set is not None:
        catalog.parse_set_id(after_set)
        done = [e for e in complete if e["set_id"] == after_set]
        if not done:
            blocked = "backup %s has not completed (no manifest): nothing is pruned until a new backup completes" % after_set
    return dict(keep=keep, prune=prune, blocked=blocked, policy=policy,
                verified_kept=sum(1 for e in keep if e["verified"]), complete_kept=sum(1 for e in keep if e["complete"]))
