# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grading on Prometheus (fake client), alerts, workloads, endpoints, backups and the report of the daily check."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest

from ansible_collections.spooky.ops.plugins.module_utils import alerts, report
from ansible_collections.spooky.ops.plugins.module_utils.backup_freshness import grade_sets, newest_manifests
from ansible_collections.spooky.ops.plugins.module_utils.endpoint import grade_certificate, grade_http
from ansible_collections.spooky.ops.plugins.module_utils.findings import summarize
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusUnavailable
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.grading import grade, grade_all
from ansible_collections.spooky.ops.plugins.module_utils.workload_health import deployment_findings, hpa_findings


class FakePrometheus(object):
    """Answers instant queries with `now_value` and range queries with `history` (one value per step)."""

    def __init__(self, now_value, history, down=False):
        self.now_value, self.history, self.down = now_value, history, down

    def instant(self, query, time=None):
        if self.down:
            raise PrometheusUnavailable("Prometheus at http://p is unreachable: refused")
        if self.now_value is None:
            return {"resultType": "vector", "result": []}, []
        return {"resultType": "vector", "result": [{"metric": {"cluster": "w"}, "value": [time, str(self.now_value)]}]}, []

    def range(self, query, start, end, step):
        count = int(round((end - start) / step)) + 1
        values = (self.history * count)[-count:] if len(self.history) < count else self.history[-count:]
        return {"resultType": "matrix", "result": [{"metric": {"cluster": "w"}, "values": [
            [start + i * step, str(v)] for i, v in enumerate(values)]}]}, []


QEK = {"name": "QEK", "query": "euystacio_qek", "direction": "below", "warning": 0.88, "critical": 0.85, "platform": "euystacio",
       "runbook": "check recent changes", "severity": {"critical": "P1"}}


def test_grade_gives_status_value_since_and_trend():
    history = [0.938] * 7 + [0.82] * 3  # the last three points breach
    result = grade(FakePrometheus(0.82, history), QEK, now=1000.0, trend_range=900, trend_points=10)
    assert result["status"] == "critical" and result["value"] == 0.82
    assert result["message"] == "QEK is critical: 0.82 (warning < 0.88, critical < 0.85) for cluster=w"
    assert len(result["trend"]) == 10 and result["trend"][-1] == [1000.0, 0.82]
    assert result["since"] == "1970-01-01T00:13:20Z"  # 1000 - 2 * 100 s: the first of the three
    assert result["runbook"] == "check recent changes" and result["platform"] == "euystacio"


def test_grade_over_a_for_window_and_without_data():
    held = dict(QEK, **{"for": "5m"})
    assert grade(FakePrometheus(0.82, [0.82, 0.9, 0.82]), held, now=1000.0, trend_points=0)["status"] == "ok"
    assert grade(FakePrometheus(0.82, [0.82]), held, now=1000.0, trend_points=0)["status"] == "critical"
    empty = grade(FakePrometheus(None, []), dict(QEK, no_data="ok"), now=1000.0, trend_points=0)
    assert empty["status"] == "ok" and "returned no data" in empty["message"]


def test_grade_all_raises_when_prometheus_is_down():
    with pytest.raises(PrometheusUnavailable):
        grade_all(FakePrometheus(1, [1], down=True), [QEK, dict(QEK, name="Q2")], now=1.0, workers=2)


def test_alerts_merge_select_and_ignore():
    prom = alerts.from_prometheus([
        {"labels": {"alertname": "A", "cluster": "e", "severity": "critical"}, "state": "firing", "activeAt": "2026-01-01T00:01:00Z",
         "annotations": {"summary": "s"}},
        {"labels": {"alertname": "P", "cluster": "e"}, "state": "pending"},
        {"labels": {"alertname": "Watchdog"}, "state": "firing"}])
    am = alerts.from_alertmanager([
        {"labels": {"alertname": "A", "cluster": "e", "severity": "critical"}, "startsAt": "2026-01-01T00:00:30Z",
         "status": {"state": "active"}},
        {"labels": {"alertname": "S", "cluster": "e"}, "status": {"state": "suppressed"}}])
    merged = alerts.merge(prom, am)
    assert [(a["name"], a["sources"], a["since"]) for a in merged] == [
        ("A", ["prometheus", "alertmanager"], "2026-01-01T00:00:30Z"), ("Watchdog", ["prometheus"], None)]
    assert [a["name"] for a in alerts.select(merged, {"cluster": "e"}, unlabelled=True, ignore=["Watchdog"])] == ["A"]
    assert alerts.select(merged, {"cluster": "w"}) == []


def test_deployments_below_desired_and_hpas_at_max():
    deps = [{"metadata": {"namespace": "d", "name": "ok"}, "spec": {"replicas": 2}, "status": {"readyReplicas": 2}},
            {"metadata": {"namespace": "d", "name": "zero"}, "spec": {"replicas": 0}, "status": {}},
            {"metadata": {"namespace": "d", "name": "low"}, "spec": {"replicas": 3}, "status": {"readyReplicas": 1, "availableReplicas": 1}}]
    assert [(d["name"], d["ready"], d["desired"]) for d in deployment_findings(deps)] == [("low", 1, 3)]
    hpas = [{"metadata": {"namespace": "d", "name": "max"}, "spec": {"maxReplicas": 10}, "status": {"currentReplicas": 10}},
            {"metadata": {"namespace": "d", "name": "room"}, "spec": {"maxReplicas": 10}, "status": {"currentReplicas": 3}}]
    assert [(h["name"], h["current"], h["max"]) for h in hpa_findings(hpas)] == [("max", 10, 10)]
    with pytest.raises(TypeError):
        deployment_findings("nope")


def test_endpoint_and_certificate_grading():
    assert grade_http({"status_code": 200, "latency_ms": 3.0})[0] == "ok"
    assert grade_http({"status_code": 503, "latency_ms": 3.0})[0] == "critical"
    assert grade_http({"status_code": 200, "latency_ms": 700.0}, latency_warning_ms=500)[0] == "warning"
    assert grade_http({"error": "unreachable: refused", "latency_ms": 1.0}) == ("critical", "unreachable: refused")
    base = {"not_after": "2026-01-04T00:00:00Z", "subject": "CN=x", "issuer": "CN=ca"}
    assert grade_certificate(dict(base, days_left=-1.0))[:2] == ("critical", "P1")
    assert grade_certificate(dict(base, days_left=3.0))[:2] == ("warning", "P2")
    assert grade_certificate(dict(base, days_left=20.0))[:2] == ("warning", "P3")
    assert grade_certificate(dict(base, days_left=200.0))[:2] == ("ok", None)


def test_backup_freshness_per_set():
    objects = [("lab/postgres/1/manifest.json", 1000.0), ("lab/postgres/2/manifest.json", 5000.0),
               ("lab/redis/1/manifest.json", 100.0), ("lab/redis/1/data.bin", 9000.0), ("other/x/manifest.json", 9000.0)]
    newest = newest_manifests(objects, "lab/")
    assert newest == {"postgres": ("lab/postgres/2/manifest.json", 5000.0), "redis": ("lab/redis/1/manifest.json", 100.0)}
    sets = dict((s["name"], s) for s in grade_sets(newest, now=6000.0, max_age=3600, max_age_by_set={"redis": 1800},
                                                   expected=["kube"]))
    assert sets["postgres"]["status"] == "ok" and sets["redis"]["status"] == "critical" and sets["kube"]["status"] == "critical"
    assert "has no backup at all" in sets["kube"]["message"]


def test_reports_are_self_contained_with_sparklines():
    trend = [[0, 0.93], [60, 0.9], [120, None], [180, 0.82]]
    summary = summarize({"w <x>": [
        {"check": "QEK", "kind": "metric", "status": "critical", "message": "QEK is critical: 0.82", "value": 0.82, "trend": trend,
         "threshold": {"direction": "below", "warning": 0.88, "critical": 0.85}, "runbook": "check | changes"}]})
    page = report.html(summary, generated_at="2026-01-01T00:00:00Z")
    assert page.count("<polyline") == 2 and "<svg" in page and "&lt;x&gt;" in page and "<x>" not in page
    assert "src=" not in page and "<link" not in page
    text = report.markdown(summary)
    assert "| P1 | critical | QEK | QEK is critical: 0.82 |  | check \\| changes |" in text
    assert "| QEK |  | critical | 0.82 | warning < 0.88, critical < 0.85 |" in text
    assert "no trend" in report.sparkline([[0, 1.0]])
