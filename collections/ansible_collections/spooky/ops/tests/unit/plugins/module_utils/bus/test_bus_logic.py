# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deduplication, promotion loops, absorption trials, burn rate and queue saturation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.bus.budget import burn_rate, queue_saturation
from ansible_collections.spooky.ops.plugins.module_utils.bus.dedupe import DedupeFilter, dedupe, replay_report
from ansible_collections.spooky.ops.plugins.module_utils.bus.trials import duplicate_ids, evaluate_trial, promotion_flips


def test_dedupe_window():
    flt = DedupeFilter(window=10)
    assert flt.seen("a", 0) is False
    assert flt.seen("a", 5) is True
    assert flt.seen("a", 10.5) is False  # outside the window: accepted again
    assert flt.duplicates == 1 and flt.accepted == 2


def test_dedupe_memory_is_bounded():
    flt = DedupeFilter(window=1e9, max_ids=100)
    for i in range(10000):
        flt.seen(str(i), i)
    assert len(flt) <= 100
    assert flt.seen("9999", 10000) is True


@pytest.mark.parametrize("args", [dict(window=0), dict(window=1, max_ids=0)])
def test_dedupe_rejects_bad_settings(args):
    with pytest.raises(ValueError):
        DedupeFilter(**args)


def test_dedupe_needs_ids():
    with pytest.raises(ValueError):
        DedupeFilter().seen("", 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1000)), max_size=200))
def test_dedupe_matches_a_naive_model(pairs):
    events = [dict(id=str(i), ts=t) for i, t in sorted(pairs, key=lambda p: p[1])]
    unique, duplicates = dedupe(events, window=50, max_ids=10 ** 6)
    last = {}
    expected_dups = 0
    for event in events:
        first = last.get(event["id"])
        if first is not None and event["ts"] - first < 50:
            expected_dups += 1
        else:
            last[event["id"]] = event["ts"]
    assert len(duplicates) == expected_dups
    assert len(unique) + len(duplicates) == len(events)


def test_replay_report():
    report = replay_report(["a", "b", "b", "d"], expected=["a", "b", "c", "d"])
    assert report == dict(count=4, unique=3, duplicates={"b": 2}, missing=["c"], ok=False)
    assert replay_report(["a", "b"], expected=["a", "b"])["ok"] is True


def test_promotion_loop_detected():
    decisions = [dict(variant="v2", action="promote" if i % 2 == 0 else "demote", ts=100 + i) for i in range(6)]
    decisions.append(dict(variant="v3", action="promote", ts=101))
    flips = promotion_flips(decisions, window=600, now=200, min_flips=3)
    assert flips["v2"]["looping"] is True and flips["v2"]["flips"] == 5
    assert flips["v3"]["looping"] is False


def test_promotion_duplicates_are_not_flips():
    decisions = [dict(variant="v2", action="promote", ts=1, id="e1"), dict(variant="v2", action="promote", ts=2, id="e1")]
    flips = promotion_flips(decisions, window=600, now=10)
    assert flips["v2"] == dict(flips=0, decisions=2, repeats=1, looping=False)
    assert duplicate_ids(decisions) == ["e1"]


def test_promotion_window_and_bad_actions():
    decisions = [dict(variant="v", action=a, ts=t) for a, t in (("promote", 1), ("demote", 2), ("promote", 3), ("demote", 500))]
    assert "v" not in promotion_flips(decisions[:3], window=10, now=500)
    with pytest.raises(ValueError):
        promotion_flips([dict(variant="v", action="toggle", ts=1)], window=10, now=5)


@pytest.mark.parametrize("wins,trials,verdict", [(3, 20, "quarantine"), (4, 20, "retry"), (10, 20, "retry"), (0, 5, "insufficient")])
def test_absorption_trials(wins, trials, verdict):
    assert evaluate_trial(wins, trials, quarantine_below=0.2, min_samples=20)["verdict"] == verdict


def test_absorption_rejects_nonsense():
    with pytest.raises(ValueError):
        evaluate_trial(5, 3)


@given(st.integers(0, 500), st.integers(1, 500))
def test_absorption_quarantine_iff_below(wins, trials):
    wins = min(wins, trials)
    result = evaluate_trial(wins, trials, min_samples=1)
    assert (result["verdict"] == "quarantine") == (wins / trials < 0.2)


def test_burn_rate_seed_000_daily_cost():
    samples = [dict(ts=0, total=0), dict(ts=3600, total=60), dict(ts=7200, total=10)]  # a reset after 60
    result = burn_rate(samples, daily_budget=1000)
    assert result["spent"] == 70 and result["per_day"] == pytest.approx(840)
    assert result["exhausted"] is False
    runaway = burn_rate([dict(ts=0, total=0), dict(ts=3600, total=50)], daily_budget=1000)
    assert runaway["per_day"] == pytest.approx(1200) and runaway["exhausted"] is True
    assert burn_rate([dict(ts=0, total=5)], 1000)["burn_rate"] is None
    with pytest.raises(ValueError):
        burn_rate([], 0)


def test_queue_saturation():
    assert queue_saturation([0.5, 0.9], [1.0, 3.0])["saturated"] is True
    assert queue_saturation([0.9], [3.0, 1.0])["saturated"] is False  # deep but draining
    assert queue_saturation([0.5], [1.0, 9.0])["saturated"] is False
    assert queue_saturation([], [])["saturated"] is False
    with pytest.raises(ValueError):
        queue_saturation([0.9], [1, 2], depth_threshold=0)
