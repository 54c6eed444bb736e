# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.spooky.ops.plugins.module_utils.profiles import ProfileError, build_query, host_checks, validate

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "daily_check", "defaults", "main")
CATALOGUE = {"euystacio_qek": {"unit": "ratio", "min": 0, "max": 1}, "orca_trust_score": {"min": 0, "max": 100},
             "http_requests_total": {}}


def _load(name):
    with open(os.path.join(ROLE, name)) as handle:
        return yaml.safe_load(handle)


def _qek(**changes):
    threshold = {"name": "QEK", "metric": "euystacio_qek", "direction": "below", "warning": 0.88, "critical": 0.85}
    threshold.update(changes)
    return {"euystacio": {"thresholds": [dict((k, v) for k, v in threshold.items() if v is not None)]}}


def test_the_shipped_profiles_are_valid_and_carry_the_runbooks_numbers():
    profiles = _load("profiles.yml")["daily_check_profiles"]
    catalogue = _load("catalogue.yml")["daily_check_metric_catalogue"]
    assert validate(profiles, catalogue) >= 25
    assert set(profiles) == {"spooky_logic", "euystacio", "phoenix", "orca", "spyoncino"}

    def levels(platform, name):
        t = next(t for t in profiles[platform]["thresholds"] if t["name"] == name)
        return t["direction"], t.get("warning"), t.get("critical"), t.get("for")
    assert levels("euystacio", "QEK") == ("below", 0.88, 0.85, None)
    assert levels("euystacio", "H-VAR") == ("above", 0.08, 0.10, None)
    assert levels("euystacio", "EthischesIdeal") == ("below", 0.97, 0.95, None)
    assert levels("euystacio", "SymbiosisScore") == ("below", 0.6, 0.5, None)
    assert levels("spooky_logic", "CanaryAccuracy") == ("below", None, 0.7, "30m")
    assert levels("spooky_logic", "DailySpend") == ("above", None, 1000, None)
    assert levels("spooky_logic", "AbsorptionTrialSuccess")[:2] == ("below", 0.2)
    assert levels("phoenix", "HighErrorRate") == ("above", 0.05, None, "5m")
    assert levels("phoenix", "CriticalLatency") == ("above", None, 2, "5m")
    assert levels("orca", "TrustScore") == ("below", 70, 50, None)
    assert levels("orca", "ErrorRate") == ("above", 0.01, 0.05, "5m")
    assert levels("orca", "SyncLag")[:3] == ("above", 60, 300)
    assert levels("orca", "DriftRate")[:3] == ("above", 0.10, 0.15)
    assert levels("spyoncino", "QueueDepth") == ("above", None, 0.8, None)


@pytest.mark.parametrize("changes,message", [
    ({"warning": 0.84}, "profile 'euystacio', threshold 'QEK': warning (0.84) is beyond critical (0.85)"),
    ({"metric": "euystacio_qekk"}, "profile 'euystacio', threshold 'QEK': unknown metric 'euystacio_qekk'"),
    ({"critical": "0.85"}, "profile 'euystacio', threshold 'QEK': critical must be a number, got str '0.85'"),
    ({"critical": True}, "critical must be a number, got bool"),
    ({"critical": 85}, "critical 85 is outside the range of euystacio_qek (0..1 ratio)"),
    ({"direction": "down"}, "direction must be one of above, below, got 'down'"),
    ({"for": "soon"}, "for: invalid duration 'soon'"),
    ({"severity": {"critical": "P9"}}, "severity.critical: unknown severity 'P9'"),
    ({"critcal": 0.8}, "unknown key(s) critcal"),
    ({"warning": None, "critical": None}, "set a warning or a critical level"),
    ({"query": "up{$selector}"}, "query does not use its metric 'euystacio_qek'"),
])
def test_a_bad_threshold_is_rejected_with_its_profile_and_name(changes, message):
    with pytest.raises(ProfileError) as info:
        validate(_qek(**changes), CATALOGUE)
    assert message in str(info.value)
    assert "nothing was queried" in str(info.value)


def test_every_problem_is_listed_once():
    profiles = {"a": {"thresholds": [{"name": "x", "metric": "nope", "direction": "up", "critical": "high"}]}}
    with pytest.raises(ProfileError) as info:
        validate(profiles, CATALOGUE, {"h1": [{"metric": "nope"}], "h2": [{"metric": "nope"}]})
    text = str(info.value)
    assert text.startswith("7 problem(s)")
    assert "daily_check_thresholds of h1, h2, #1: 'name' is required" in text


def test_host_checks_follow_the_inventory_groups_and_fill_the_selector():
    profiles = _qek()
    profiles["orca"] = {"thresholds": [{"name": "TrustScore", "metric": "orca_trust_score", "direction": "below", "critical": 50,
                                        "severity": {"critical": "critical"}}]}
    checks = host_checks(profiles, ["clusters", "orca"], [], 'cluster="edge"')
    assert checks == [{"name": "TrustScore", "metric": "orca_trust_score", "query": 'orca_trust_score{cluster="edge"}',
                       "direction": "below", "platform": "orca", "critical": 50, "severity": {"critical": "P1"}}]
    both = host_checks(dict(profiles, euystacio2=_qek()["euystacio"]), ["euystacio", "euystacio2"])
    assert [c["name"] for c in both] == ["euystacio/QEK", "euystacio2/QEK"]
    assert both[0]["query"] == "euystacio_qek"


def test_build_query_with_and_without_selector():
    threshold = {"metric": "http_requests_total", "query": 'sum(rate(http_requests_total{$selector,code="500"}[5m]))'}
    assert build_query(threshold, 'cluster="a"') == 'sum(rate(http_requests_total{cluster="a",code="500"}[5m]))'
    assert build_query(threshold, "") == 'sum(rate(http_requests_total{code="500"}[5m]))'
