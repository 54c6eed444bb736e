# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.findings import metric_finding, pod_finding, summarize, to_finding


def test_metric_statuses():
    ok = metric_finding({"status": "ok", "message": "m", "item": {"name": "HighErrorRate"}, "prometheus_available": True})
    assert ok == {"check": "HighErrorRate", "status": "ok", "message": "m"}
    assert metric_finding({"status": "unknown", "prometheus_available": True})["status"] == "warning"
    assert metric_finding({"status": "unknown", "prometheus_available": False})["status"] == "critical"
    with pytest.raises(ValueError):
        metric_finding({"status": "purple"})


def test_pod_finding_message():
    finding = pod_finding({"namespace": "demo", "name": "web-1", "ready": False, "reason": "CrashLoopBackOff", "restarts": 7})
    assert finding["status"] == "warning"
    assert finding["message"] == "pod demo/web-1 not Ready: CrashLoopBackOff (7 restarts)"
    with pytest.raises(ValueError):
        to_finding({}, "node")


def test_summary_is_the_worst_per_cluster_and_overall():
    summary = summarize({
        "east": [{"check": "HighErrorRate", "status": "ok", "message": ""}],
        "west": [{"check": "pod", "status": "warning", "message": "pod demo/x not Ready"}],
        "edge": [{"check": "kubernetes-api", "status": "critical", "message": "Kubernetes API unreachable"},
                 {"check": "pod", "status": "warning", "message": "w"}],
    })
    assert summary["status"] == "critical"
    assert summary["critical_clusters"] == ["edge"]
    assert {c: v["status"] for c, v in summary["clusters"].items()} == {"east": "ok", "west": "warning", "edge": "critical"}
    assert summary["lines"][0] == ("Daily check: CRITICAL across 3 clusters (1 critical, 1 warning, 1 ok);"
                                   " worst P1: respond within 15 minutes")
    # The worst cluster first, its most severe finding on the line that names it.
    assert summary["lines"][1].split()[:2] == ["edge", "critical"]
    assert [line.split()[0] for line in summary["lines"][1:] if not line.startswith("   ")] == ["edge", "west", "east"]


def test_a_cluster_whose_check_did_not_finish_is_critical():
    summary = summarize({"east": None})
    assert summary["status"] == "critical" and "did not finish" in summary["lines"][1]
