# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event-bus filters are thin shells over module_utils/bus; errors become AnsibleFilterError."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.bus import FilterModule

F = FilterModule().filters()


def test_promotion_loops():
    decisions = [dict(variant="v", action=("promote", "demote")[i % 2], ts=i, id="e%d" % i) for i in range(4)]
    decisions.append(dict(variant="v", action="demote", ts=4, id="e3"))
    result = F["promotion_loops"](decisions, 100, min_flips=3, now=10)
    assert result["looping"] == ["v"] and result["duplicate_ids"] == ["e3"]


def test_absorption_and_budget_and_replay():
    assert F["absorption_verdict"](dict(wins=1, trials=30))["verdict"] == "quarantine"
    assert F["spend_burn_rate"]([dict(ts=0, total=0), dict(ts=86400, total=500)], 1000)["burn_rate"] == 0.5
    assert F["bus_replay_report"](["a", "a"], ["a", "b"])["missing"] == ["b"]


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError):
        F["absorption_verdict"](dict(wins=5, trials=1))
    with pytest.raises(AnsibleFilterError):
        F["spend_burn_rate"]([], 0)
