# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils import severity
from ansible_collections.spooky.ops.plugins.module_utils.findings import cluster_findings, summarize


def test_table_reconciles_the_runbooks_response_times():
    within = dict((row["severity"], row["respond_seconds"]) for row in severity.TABLE)
    assert within == {"P0": 300, "P1": 900, "P2": 1800, "P3": 14400}  # Euystacio 0-5 min, ORCA/Phoenix 15 min, Phoenix 30 min, ORCA 4 h


@pytest.mark.parametrize("finding,expected", [
    ({"status": "ok"}, None),
    ({"status": "critical"}, "P1"),
    ({"status": "warning"}, "P2"),
    ({"status": "unknown"}, "P3"),
    ({"status": "warning", "severity": "p0"}, "P0"),
    ({"status": "critical", "severity": "info"}, "P3"),
])
def test_severity_of_a_finding(finding, expected):
    assert severity.of_finding(finding) == expected


def test_unknown_severity_is_rejected():
    with pytest.raises(ValueError, match="unknown severity"):
        severity.normalize("urgent")
    assert severity.worst([None, "P2", "P1", "P3"]) == "P1" and severity.worst([]) is None


def test_unreachable_cluster_and_prometheus_are_p1_and_alert_source_errors_are_not_repeated():
    findings = cluster_findings({
        "api": {"reachable": False, "error": "connection refused", "context": "edge", "checked_at": 0},
        "metrics": {"prometheus_available": False, "error": "Prometheus at http://p is unreachable", "url": "http://p"},
        "alerts": {"alerts": [], "sources": [{"name": "prometheus", "url": "http://p", "available": False, "error": "down"}]},
    })
    assert [(f["check"], f["status"], f["severity"]) for f in findings] == [
        ("kubernetes-api", "critical", "P1"), ("prometheus", "critical", "P1")]
    assert findings[0]["since"] == "1970-01-01T00:00:00Z"


def test_threshold_severity_map_alerts_priority_and_tls_severity():
    findings = cluster_findings({
        "metrics": {"prometheus_available": True, "results": [
            {"name": "SyncLag", "status": "critical", "message": "m", "severity": {"critical": "P2"}, "since": "2026-01-01T00:00:00Z",
             "runbook": "check data sources", "trend": [[0, 1.0]]},
            {"name": "QEK", "status": "ok", "message": "ok", "runbook": "r"},
            {"name": "Gone", "status": "unknown", "message": "no data"}]},
        "alerts": {"alerts": [{"name": "X", "priority": "P0", "labels": {"alertname": "X", "cluster": "e"}, "sources": ["prometheus"],
                               "since": "2026-01-01T00:00:00Z", "summary": "boom"}], "sources": []},
        "endpoints": [{"url": "https://h/health", "name": "h", "http_status": "ok", "http_message": "HTTP 200 in 3 ms",
                       "tls": {"days_left": 3.0, "not_after": "2026-01-04T00:00:00Z"}, "tls_status": "warning", "tls_severity": "P2",
                       "tls_message": "expires in 3.0 days"}],
    }, {"tls": "rotate it"})
    by_check = dict((f["check"], f) for f in findings)
    assert by_check["SyncLag"]["severity"] == "P2" and by_check["SyncLag"]["runbook"] == "check data sources"
    assert "runbook" not in by_check["QEK"] and "severity" not in by_check["QEK"]
    assert by_check["Gone"]["status"] == "warning" and by_check["Gone"]["severity"] == "P2"
    assert by_check["alert"]["severity"] == "P0" and by_check["alert"]["status"] == "critical"
    assert by_check["alert"]["message"] == "alert X firing (cluster=e, from prometheus): boom"
    assert by_check["tls"]["severity"] == "P2" and by_check["tls"]["runbook"] == "rotate it"
    assert by_check["endpoint"]["status"] == "ok"


def test_summary_fails_on_p0_p1_only_and_says_what_to_do():
    summary = summarize({
        "east": [{"check": "QEK", "status": "critical", "message": "QEK is critical: 0.82", "since": "2026-01-01T00:00:00Z",
                  "runbook": "check recent changes"}],
        "west": [{"check": "tls", "status": "warning", "severity": "P2", "message": "expires in 3 days"}],
        "edge": [],
    }, {"edge": ["backup freshness skipped"]})
    assert summary["severity"] == "P1" and summary["fail"] and summary["paging_clusters"] == ["east"]
    assert summary["lines"][0] == ("Daily check: CRITICAL across 3 clusters (1 critical, 1 warning, 1 ok); "
                                   "worst P1: respond within 15 minutes")
    assert summary["lines"][1] == ("  east       critical P1 QEK is critical: 0.82 | since 2026-01-01 00:00:00 UTC"
                                   " | do: check recent changes")
    assert summary["actions"] == ["[P1] east QEK: QEK is critical: 0.82 | since 2026-01-01 00:00:00 UTC | do: check recent changes"]
    assert summary["clusters"]["edge"]["notes"] == ["backup freshness skipped"]
    assert not summarize({"west": [{"check": "tls", "status": "warning", "severity": "P2", "message": "m"}]})["fail"]
