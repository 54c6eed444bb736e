# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.daily_check import FilterModule as DailyFilters
from ansible_collections.spooky.ops.plugins.filter.pod_findings import FilterModule as PodFilters


def test_filters_are_registered():
    assert set(DailyFilters().filters()) == {"to_finding", "daily_summary", "cluster_findings", "profile_problems",
                                             "select_alerts", "for_host", "daily_check_thresholds", "report_markdown",
                                             "report_html"}
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


def test_profile_problems_lists_every_problem_naming_profile_and_threshold():
    filters = DailyFilters().filters()
    catalogue = {"euystacio_qek": {"unit": "ratio", "min": 0, "max": 1}}
    profiles = {"euystacio": {"thresholds": [{"name": "QEK", "metric": "euystacio_qek", "direction": "below", "warning": 0.8, "critical": 0.85}]}}
    hostvars = {"east": {"daily_check_thresholds": [{"name": "y", "metric": "nope", "direction": "above", "critical": 1}]}, "west": {}}
    problems = filters["profile_problems"](profiles, catalogue, hostvars, ["east", "west"])
    assert problems[0].startswith("profile 'euystacio', threshold 'QEK': warning (0.8) is beyond critical (0.85)")
    assert problems[1].startswith("daily_check_thresholds of east, threshold 'y': unknown metric 'nope'")
    assert filters["profile_problems"]({}, catalogue, hostvars, ["west"]) == []


def test_select_alerts_keeps_one_clusters_alerts():
    result = {"alerts": [{"name": "A", "labels": {"alertname": "A", "cluster": "east"}},
                         {"name": "B", "labels": {"alertname": "B", "cluster": "west"}},
                         {"name": "G", "labels": {"alertname": "G"}}], "sources": []}
    select = DailyFilters().filters()["select_alerts"]
    assert [a["name"] for a in select(result, {"cluster": "east"})["alerts"]] == ["A"]
    assert [a["name"] for a in select(result, {"cluster": "east"}, True)["alerts"]] == ["A", "G"]
    assert select({"skipped": True}, {"cluster": "east"}) == {"skipped": True}
