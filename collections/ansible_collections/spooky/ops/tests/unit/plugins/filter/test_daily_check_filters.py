# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.daily_check import FilterModule as DailyFilters
from ansible_collections.spooky.ops.plugins.filter.pod_findings import FilterModule as PodFilters


def test_filters_are_registered():
    assert set(DailyFilters().filters()) == {"to_finding", "daily_summary"}
    assert set(PodFilters().filters()) == {"pod_findings"}


def test_daily_summary_reads_hostvars_and_flags_missing_clusters():
    hostvars = {"east": {"daily_check_findings": [{"check": "x", "status": "ok", "message": ""}]}, "west": {}}
    summary = DailyFilters().filters()["daily_summary"](["east", "west"], hostvars)
    assert summary["clusters"]["east"]["status"] == "ok"
    assert summary["clusters"]["west"]["status"] == "critical"


def test_filter_errors_are_ansible_errors():
    with pytest.raises(AnsibleFilterError, match="pod_findings"):
        PodFilters().filters()["pod_findings"]("not a list")
    with pytest.raises(AnsibleFilterError, match="to_finding"):
        DailyFilters().filters()["to_finding"]({}, "node")
