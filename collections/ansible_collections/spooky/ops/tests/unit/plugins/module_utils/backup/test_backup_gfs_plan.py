# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grandfather-father-son retention: tiers, the sets that always stay, and what a plan never does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import random

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, retention
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=catalog.UTC)


def every(step, count, complete=True, verified=()):
    """`count` sets, one each `step` back from NOW; indices in `verified` are verified (0 = newest)."""
    return [dict(set_id=catalog.set_id_for(NOW - step * i), complete=complete, verified=i in verified) for i in range(count)]


def kept(plan):
    return [k["set_id"] for k in plan["keep"]]


def test_phoenix_profile_on_15_minute_redis_backups():
    sets = every(datetime.timedelta(minutes=15), 4 * 24 * 40)  # 40 days
    plan = retention.plan(sets, "phoenix-redis", now=NOW)
    reasons = [r for k in plan["keep"] for r in k["reasons"]]
    assert sum(r.startswith("hourly") for r in reasons) == 24
    assert sum(r.startswith("daily") for r in reasons) == 7
    assert sum(r.startswith("weekly") for r in reasons) == 4
    # the newest of each hour is kept: the set at HH:00 (the newest in hour HH is HH:45 except for the current hour)
    assert len(plan["keep"]) == len(set(kept(plan))) < 24 + 7 + 4
    assert plan["keep"][0]["set_id"] == sets[0]["set_id"] and "newest complete backup" in plan["keep"][0]["reasons"]


def test_orca_profile_on_daily_postgres_backups():
    sets = every(datetime.timedelta(days=1), 400)
    plan = retention.plan(sets, "orca-postgres", now=NOW)
    months = sorted({r for k in plan["keep"] for r in k["reasons"] if r.startswith("monthly")})
    assert len(months) == 12 and months[-1] == "monthly 2026-03"
    # 7 newest days are the daily tier
    assert kept(plan)[:7] == [s["set_id"] for s in sets[:7]]
    assert len(plan["prune"]) == 400 - len(plan["keep"])


def test_newest_verified_is_kept_however_old():
    sets = every(datetime.timedelta(days=1), 100, verified=(99,))
    plan = retention.plan(sets, dict(daily=3), now=NOW)
    assert sets[99]["set_id"] in kept(plan)
    assert "newest verified backup" in plan["keep"][-1]["reasons"]
    assert plan["verified_kept"] == 1


def test_rpo_window_is_kept():
    sets = every(datetime.timedelta(hours=1), 48)
    plan = retention.plan(sets, dict(daily=1), now=NOW, rpo=6 * 3600)
    assert kept(plan) == [s["set_id"] for s in sets[:7]]  # 0..6 hours old (inclusive), daily one is the newest


def test_incomplete_sets_get_a_grace_period_then_go():
    sets = every(datetime.timedelta(hours=1), 3) + [dict(set_id=catalog.set_id_for(NOW - datetime.timedelta(minutes=5)), complete=False),
                                                    dict(set_id=catalog.set_id_for(NOW - datetime.timedelta(days=3)), complete=False)]
    plan = retention.plan(sets, dict(last=10), now=NOW, incomplete_grace=3600)
    pruned = {p["set_id"]: p["reason"] for p in plan["prune"]}
    assert list(pruned) == [sets[-1]["set_id"]] and "interrupted" in pruned[sets[-1]["set_id"]]
    assert sets[-2]["set_id"] in kept(plan)


def test_nothing_is_pruned_until_the_new_backup_completes():
    sets = every(datetime.timedelta(days=1), 30)
    running = catalog.set_id_for(NOW + datetime.timedelta(minutes=1))
    plan = retention.plan(sets + [dict(set_id=running, complete=False)], dict(daily=2), now=NOW, after_set=running)
    assert plan["prune"] and "has not completed" in plan["blocked"]
    done = retention.plan(sets, dict(daily=2), now=NOW, after_set=sets[0]["set_id"])
    assert done["blocked"] is None


def test_a_plan_is_stable_a_second_run_prunes_nothing():
    rng = random.Random(7)
    for dummy in range(30):
        sets = [dict(set_id=catalog.set_id_for(NOW - datetime.timedelta(minutes=rng.randint(0, 200000))),
                     complete=rng.random() > 0.1, verified=rng.random() > 0.8) for dummy2 in range(rng.randint(1, 120))]
        sets = list(dict((s["set_id"], s) for s in sets).values())
        policy = dict((tier, rng.randint(0, 8)) for tier in retention.TIERS)
        policy["daily"] = max(policy["daily"], 1)
        rpo = rng.choice([0, 3600, 86400])
        plan = retention.plan(sets, policy, now=NOW, rpo=rpo)
        remaining = [s for s in sets if s["set_id"] in set(kept(plan))]
        assert retention.plan(remaining, policy, now=NOW, rpo=rpo)["prune"] == []
        complete = [s for s in sets if s["complete"]]
        if complete:
            assert max(complete, key=lambda s: s["set_id"])["set_id"] in kept(plan)
        verified = [s for s in complete if s["verified"]]
        if verified:
            assert plan["verified_kept"] >= 1
            assert max(verified, key=lambda s: s["set_id"])["set_id"] in kept(plan)


def test_second_run_with_same_inputs_prunes_nothing():
    sets = every(datetime.timedelta(hours=5), 500, verified=(3, 400))
    plan = retention.plan(sets, "orca-postgres", now=NOW, rpo=86400)
    remaining = [s for s in sets if s["set_id"] in set(kept(plan))]
    assert retention.plan(remaining, "orca-postgres", now=NOW, rpo=86400)["prune"] == []


@pytest.mark.parametrize("policy,message", [
    ({}, "must keep something"),
    ({"daily": -1}, "must not be negative"),
    ({"fortnightly": 2}, "unknown retention tier"),
    ("gold", "unknown retention profile"),
    ({"daily": "seven"}, "whole number"),
])
def test_bad_policies(policy, message):
    with pytest.raises(BackupError, match=message):
        retention.plan([], policy, now=NOW)


def test_weekly_tier_uses_iso_weeks():
    # 2026-01-04 is a Sunday (ISO week 1 of 2026); 2026-01-05 starts week 2
    sets = [dict(set_id="20260105T010000Z", complete=True), dict(set_id="20260104T230000Z", complete=True),
            dict(set_id="20260103T010000Z", complete=True)]
    plan = retention.plan(sets, dict(weekly=2), now=NOW)
    assert kept(plan) == ["20260105T010000Z", "20260104T230000Z"]
