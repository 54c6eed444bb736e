"""The daily check against the lab: green when healthy, and the right finding and severity when one thing breaks."""

import json
import time
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from spooky_lab import clusters, prometheus, tls
from spooky_lab.services import alertmanager, health


@pytest.fixture
def report(lab_env):
    """The JSON report of the last daily check (its summary lines are in ["lines"])."""
    path = Path(lab_env["SPOOKY_REPORTS_DIR"]) / "daily_check.json"
    path.unlink(missing_ok=True)

    def read(result):
        assert path.exists(), result.stdout[-3000:]
        return json.loads(path.read_text())
    return read


@pytest.fixture
def summary(report):
    """The summary lines of the last daily check, from its JSON report."""
    def read(result):
        return [line.strip() for line in report(result)["lines"]]
    return read


def _put_gauge(cfg, metric, cluster, value):
    method, data = ("DELETE", None) if value is None else ("PUT", json.dumps({"value": value}).encode())
    request = urllib.request.Request(f"{prometheus.demo_app_url(cfg)}/gauges/{metric}?cluster={cluster}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def _wait_for(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} never happened")


def _gauge_is(cfg, metric, cluster, value):
    def check():
        samples = prometheus.query(cfg, f'{metric}{{cluster="{cluster}"}}')
        return samples and abs(float(samples[0]["value"][1]) - value) < 1e-9
    return check


def _alertmanager_has(cfg, alertname):
    def check():
        with urllib.request.urlopen(f"{alertmanager.url(cfg)}/api/v2/alerts", timeout=5) as response:
            return any(a["labels"].get("alertname") == alertname for a in json.load(response))
    return check


def _findings(document, cluster):
    return [f for f in document["clusters"][cluster]["findings"] if f["status"] != "ok"]


def test_healthy_lab_is_green(report, run_playbook, lab_env):
    ops_log = Path(lab_env["SPOOKY_REPORTS_DIR"]) / "ops_log.jsonl"
    before = ops_log.read_text().count("\n") if ops_log.exists() else 0
    result = run_playbook("playbooks/daily_check.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    document = report(result)
    lines = [line.strip() for line in document["lines"]]
    assert lines[0] == "Daily check: OK across 3 clusters (3 ok)"
    assert {"lab-east   ok", "lab-west   ok", "lab-edge   ok"} <= set(lines)
    assert document["severity"] is None and not document["fail"]
    # Every platform's thresholds were graded where the inventory groups put them, with a trend for the report.
    checks = {c: {f["check"] for f in info["findings"] if f.get("kind") == "metric"} for c, info in document["clusters"].items()}
    assert {"CanaryAccuracy", "DailySpend", "HighErrorRate", "CriticalLatency"} <= checks["lab-east"]
    assert {"QEK", "H-VAR", "EthischesIdeal", "SymbiosisScore"} <= checks["lab-west"]
    assert {"TrustScore", "SyncLag", "DriftRate", "QueueDepth"} <= checks["lab-edge"]
    qek = next(f for f in document["clusters"]["lab-west"]["findings"] if f["check"] == "QEK")
    assert len(qek["trend"]) > 10 and qek["value"] == pytest.approx(0.938)
    tls_ok = [f for f in document["clusters"]["lab-edge"]["findings"] if f["check"] == "tls"]
    assert tls_ok and tls_ok[0]["status"] == "ok" and tls_ok[0]["value"] > 300
    assert any("backup freshness skipped: no backup location is configured" in n for n in document["clusters"]["lab-east"]["notes"])
    # The Markdown and the self-contained HTML report, with inline SVG sparklines and no external asset.
    reports = Path(lab_env["SPOOKY_REPORTS_DIR"])
    assert "| lab-west | ok | - | 0 |" in (reports / "daily_check.md").read_text()
    page = (reports / "daily_check.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<polyline" in page
    assert "src=" not in page and "<link" not in page and "@import" not in page
    # The ops log got one line for this run.
    entries = [json.loads(line) for line in ops_log.read_text().splitlines()]
    assert len(entries) == before + 1
    last = entries[-1]
    assert last["playbook"].endswith("playbooks/daily_check.yml") and last["outcome"] == "ok"
    assert last["collection_version"] and set(last["hosts"]) == {"lab-east", "lab-west", "lab-edge", "localhost"}
    assert last["git_revision"] and last["run_id"]


def test_metric_over_its_critical_threshold(summary, report, run_playbook, lab):
    _put_gauge(lab, "euystacio_qek", "lab-west", 0.82)
    try:
        _wait_for(_gauge_is(lab, "euystacio_qek", "lab-west", 0.82), "QEK at 0.82 in Prometheus")
        result = run_playbook("playbooks/daily_check.yml")
    finally:
        _put_gauge(lab, "euystacio_qek", "lab-west", None)
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (1 critical, 2 ok); worst P1: respond within 15 minutes"
    assert lines[1].startswith("lab-west   critical P1 QEK is critical: 0.82 (warning < 0.88, critical < 0.85)")
    # What to do, quoted from the runbook, and since when.
    assert "| since " in lines[1] and "| do: QEK below minimum: check recent changes" in lines[1]
    assert "Daily check P1 on lab-west" in result.stdout and "Act now: [P1] lab-west QEK" in result.stdout
    assert {"lab-east   ok", "lab-edge   ok"} <= set(lines)


def test_crash_looping_pod_is_a_warning(summary, run_playbook, lab):
    apps = k8s_client.AppsV1Api(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context="lab-west"))
    fault = {"spec": {"template": {"metadata": {"annotations": {"lab.spooky.ops/fault": "crashloop"}}}}}
    apps.patch_namespaced_deployment("demo-canary", "demo", fault)
    try:
        result = run_playbook("playbooks/daily_check.yml")
    finally:
        apps.patch_namespaced_deployment("demo-canary", "demo", {"spec": {"template": {"metadata": {"annotations": None}}}})
    assert result.returncode == 0, result.stdout[-3000:]  # a warning (P2) does not fail the play
    lines = summary(result)
    assert lines[0] == "Daily check: WARNING across 3 clusters (1 warning, 2 ok); worst P2: respond within 30 minutes"
    assert lines[1].startswith("lab-west   warning  P2 pod demo/demo-canary-")
    assert "not Ready: CrashLoopBackOff (7 restarts)" in lines[1]
    assert any(line.startswith("warning  P2 Deployment demo/demo-canary below desired replicas: 0 of 1 ready") for line in lines)


def test_unreachable_cluster_is_critical_and_the_others_are_still_checked(summary, run_playbook, lab):
    clusters.control(lab, "lab-edge", "unreachable")
    try:
        result = run_playbook("playbooks/daily_check.yml")
    finally:
        clusters.control(lab, "lab-edge", "reachable")
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (1 critical, 2 ok); worst P1: respond within 15 minutes"
    assert lines[1].startswith("lab-edge   critical P1 Kubernetes API unreachable")
    assert {"lab-east   ok", "lab-west   ok"} <= set(lines)


def test_unreachable_prometheus_is_critical_for_every_cluster(summary, run_playbook):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    result = run_playbook("playbooks/daily_check.yml", "-e", f"spooky_prometheus_url=http://127.0.0.1:{closed}")
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (3 critical); worst P1: respond within 15 minutes"
    assert sum("P1 Prometheus unreachable, no threshold could be checked: Prometheus at" in line and "is unreachable" in line
               for line in lines) == 3


def test_expiring_certificate_is_a_p2_warning(report, run_playbook, lab):
    pki = health.pki_dir(lab.state_dir)
    tls.issue(pki, health.cert_name("lab-edge"), days=3)
    try:
        result = run_playbook("playbooks/daily_check.yml", "--tags", "endpoints")
    finally:
        tls.issue(pki, health.cert_name("lab-edge"), days=365)
    assert result.returncode == 0, result.stdout[-3000:]
    document = report(result)
    found = _findings(document, "lab-edge")
    assert [(f["check"], f["status"], f["severity"]) for f in found] == [("tls", "warning", "P2")]
    assert "expires in 3.0 days" in found[0]["message"] and found[0]["value"] == pytest.approx(3.0, abs=0.01)
    assert "rotate the certificate" in found[0]["runbook"]
    assert not _findings(document, "lab-east") and not _findings(document, "lab-west")


def test_firing_alert_from_the_collection_rules(report, run_playbook, lab):
    _put_gauge(lab, "spooky_daily_cost_dollars", "lab-east", 1500)
    try:
        _wait_for(_alertmanager_has(lab, "SpookyDailyCostHigh"), "SpookyDailyCostHigh in Alertmanager", timeout=45)
        result = run_playbook("playbooks/daily_check.yml", "--tags", "metrics,alerts")
    finally:
        _put_gauge(lab, "spooky_daily_cost_dollars", "lab-east", None)
    assert result.returncode != 0
    document = report(result)
    found = {f["check"]: f for f in _findings(document, "lab-east")}
    assert set(found) == {"DailySpend", "alert"}, found
    assert found["DailySpend"]["severity"] == "P1" and found["DailySpend"]["message"].startswith(
        "DailySpend is critical: 1500 (critical > 1000)")
    alert = found["alert"]
    assert alert["severity"] == "P1" and alert["status"] == "critical" and alert["since"]
    assert alert["message"].startswith("alert SpookyDailyCostHigh firing (cluster=lab-east")
    assert "from prometheus+alertmanager" in alert["message"] and "Spend dashboard" in alert["runbook"]
    assert not _findings(document, "lab-west") and not _findings(document, "lab-edge")


def test_backup_freshness_when_a_location_is_configured(report, run_playbook, lab):
    from spooky_lab.services import s3
    client = s3.client(lab)
    client.put_object(Bucket=s3.BUCKET, Key="daily-check-test/lab-west/postgres/20260101T000000Z/manifest.json", Body=b"{}")
    location = {"daily_check_backup_location": {
        "bucket": s3.BUCKET, "prefix": "daily-check-test/{{ inventory_hostname }}", "endpoint_url": s3.url(lab),
        "access_key": s3.ACCESS_KEY, "secret_key": s3.SECRET_KEY, "expected_sets": ["postgres", "redis"]}}
    result = run_playbook("playbooks/daily_check.yml", "--tags", "backups", "--limit", "lab-west,localhost", "-e", json.dumps(location))
    document = report(result)
    assert list(document["clusters"]) == ["lab-west"]
    found = {f["subject"]: f for f in document["clusters"]["lab-west"]["findings"] if f["check"] == "backup"}
    assert found["postgres"]["status"] == "ok"
    assert found["redis"]["status"] == "critical" and "has no backup at all" in found["redis"]["message"]
    assert result.returncode != 0  # a backup set without any backup is P1


@pytest.mark.parametrize("bad,message", [
    ({"name": "x", "metric": "euystacio_qek", "direction": "below", "warning": 0.8, "critical": 0.85},
     "threshold 'x': warning (0.8) is beyond critical (0.85)"),
    ({"name": "x", "metric": "made_up_metric", "direction": "above", "critical": 1}, "threshold 'x': unknown metric 'made_up_metric'"),
    ({"name": "x", "metric": "euystacio_qek", "direction": "below", "critical": "low"}, "threshold 'x': critical must be a number, got str"),
    ({"name": "x", "metric": "euystacio_qek", "direction": "down", "critical": 1}, "threshold 'x': direction must be one of above, below"),
])
def test_bad_threshold_is_rejected_before_any_query(report, run_playbook, bad, message):
    result = run_playbook("playbooks/daily_check.yml", "-e", json.dumps({"daily_check_thresholds": [bad]}))
    assert result.returncode != 0
    document = report(result)
    assert document["status"] == "invalid"
    assert [p for p in document["problems"] if message in p], document["problems"]
    assert "nothing was queried" in result.stdout
    assert "Kubernetes | list pods" not in result.stdout  # nothing was asked of any cluster


def test_bad_profile_names_the_profile_and_threshold(report, run_playbook):
    profiles = {"daily_check_profiles": {"euystacio": {"thresholds": [
        {"name": "QEK", "metric": "euystacio_qek", "direction": "below", "warning": 0.84, "critical": 0.85}]}}}
    result = run_playbook("playbooks/daily_check.yml", "-e", json.dumps(profiles))
    assert result.returncode != 0
    assert report(result)["problems"] == [
        "profile 'euystacio', threshold 'QEK': warning (0.84) is beyond critical (0.85): with direction below,"
        " warning must not be below critical"]
    assert "Kubernetes | list pods" not in result.stdout
