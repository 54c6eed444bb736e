# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion loops (a variant promoted and demoted back and forth) and absorption trials (win rates)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PROMOTE = "promote"
DEMOTE = "demote"


def promotion_flips(decisions, window, now, min_flips=3):
    """Find variants whose promote/demote decisions flip at least `min_flips` times within `window` seconds before `now`.

    `decisions`: dicts with variant, action (promote|demote), ts, and optionally id. Repeated identical
    actions do not count as flips (a duplicate event repeats, a loop alternates). Returns
    {variant: dict(flips, decisions, looping)} for every variant seen in the window.
    """
    if window <= 0:
        raise ValueError("window must be positive, got %r" % (window,))
    if min_flips < 1:
        raise ValueError("min_flips must be at least 1, got %r" % (min_flips,))
    per_variant = {}
    for decision in sorted(decisions, key=lambda d: float(d["ts"])):
        action = decision.get("action")
        if action not in (PROMOTE, DEMOTE):
            raise ValueError("decision action must be promote or demote, got %r" % (action,))
        if float(decision["ts"]) < now - window or float(decision["ts"]) > now:
            continue
        state = per_variant.setdefault(decision["variant"], dict(flips=0, decisions=0, last=None, repeats=0))
        state["decisions"] += 1
        if state["last"] is not None:
            if state["last"] != action:
                state["flips"] += 1
            else:
                state["repeats"] += 1
        state["last"] = action
    return dict((variant, dict(flips=s["flips"], decisions=s["decisions"], repeats=s["repeats"], looping=s["flips"] >= min_flips))
                for variant, s in per_variant.items())


def duplicate_ids(decisions):
    """Ids carried by more than one decision event (duplicate bus deliveries)."""
    counts = {}
    for decision in decisions:
        if decision.get("id"):
            counts[decision["id"]] = counts.get(decision["id"], 0) + 1
    return sorted(k for k, v in counts.items() if v > 1)


def evaluate_trial(wins, trials, quarantine_below=0.2, min_samples=20):
    """Absorption trial verdict: quarantine (win rate below the threshold), retry (passing, or too few samples).

    Returns dict(win_rate (None without trials), verdict: quarantine | retry | insufficient, reason).
    """
    if trials < 0 or wins < 0 or wins > trials:
        raise ValueError("need 0 <= wins <= trials, got wins=%r trials=%r" % (wins, trials))
    if not 0 <= quarantine_below <= 1:
        raise ValueError("quarantine_below must be within 0..1, got %r" % (quarantine_below,))
    rate = float(wins) / trials if trials else None
    if trials < min_samples:
        return dict(win_rate=rate, verdict="insufficient",
                    reason="%d trials, fewer than the %d needed to judge: run the test suite again" % (trials, min_samples))
    if rate < quarantine_below:
        return dict(win_rate=rate, verdict="quarantine", reason="win rate %.3f < %.3f over %d trials" % (rate, quarantine_below, trials))
    return dict(win_rate=rate, verdict="retry", reason="win rate %.3f >= %.3f over %d trials: retry the test suite" % (rate, quarantine_below, trials))
