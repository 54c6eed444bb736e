# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the event-bus runbooks: promotion loops, absorption trials, budget burn, replay checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.spooky.ops.plugins.module_utils.bus.budget import burn_rate
from ansible_collections.spooky.ops.plugins.module_utils.bus.dedupe import replay_report
from ansible_collections.spooky.ops.plugins.module_utils.bus.trials import duplicate_ids, evaluate_trial, promotion_flips


def _wrap(name, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except (ValueError, TypeError, KeyError) as exc:
        raise AnsibleFilterError("spooky.ops.%s: %s" % (name, to_native(exc)))


def promotion_loops(decisions, window, min_flips=3, now=None):
    """Per variant: flips, decisions, repeats, looping; plus the ids delivered more than once under C(_duplicate_ids)."""
    decisions = list(decisions or [])
    result = _wrap("promotion_loops", promotion_flips, decisions, float(window), time.time() if now is None else float(now), int(min_flips))
    return dict(variants=result, duplicate_ids=duplicate_ids(decisions),
                looping=sorted(v for v, s in result.items() if s["looping"]))


def absorption_verdict(trial, quarantine_below=0.2, min_samples=20):
    return _wrap("absorption_verdict", evaluate_trial, int(trial["wins"]), int(trial["trials"]), float(quarantine_below), int(min_samples))


def spend_burn_rate(samples, daily_budget):
    return _wrap("spend_burn_rate", burn_rate, list(samples or []), float(daily_budget))


def bus_replay_report(ids, expected=None):
    return _wrap("bus_replay_report", replay_report, list(ids or []), None if expected is None else list(expected))


class FilterModule(object):
    def filters(self):
        return dict(promotion_loops=promotion_loops, absorption_verdict=absorption_verdict, spend_burn_rate=spend_burn_rate,
                    bus_replay_report=bus_replay_report)
