"""The daily check against the lab: green when healthy, and the right finding when one thing breaks."""

import json
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from spooky_lab import clusters, prometheus


@pytest.fixture
def summary(lab_env):
    """The summary lines of the last daily check, from its JSON report."""
    report = Path(lab_env["SPOOKY_REPORTS_DIR"]) / "daily_check.json"
    report.unlink(missing_ok=True)

    def read(result):
        assert report.exists(), result.stdout[-3000:]
        return [line.strip() for line in json.loads(report.read_text())["lines"]]
    return read


def _put_gauge(cfg, metric, cluster, value):
    method, data = ("DELETE", None) if value is None else ("PUT", json.dumps({"value": value}).encode())
    request = urllib.request.Request(f"{prometheus.demo_app_url(cfg)}/gauges/{metric}?cluster={cluster}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def _wait_for(cfg, promql, predicate, timeout=20):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        samples = prometheus.query(cfg, promql)
        if samples and predicate(samples):
            return
        time.sleep(0.5)
    raise AssertionError(f"{promql} never matched")


QEK = json.dumps({"daily_check_thresholds": [
    {"name": "QEK", "query": 'euystacio_qek{cluster="{{ inventory_hostname }}"}', "direction": "below", "warning": 0.88, "critical": 0.85},
]})


def test_healthy_lab_is_green(summary, run_playbook):
    result = run_playbook("playbooks/daily_check.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    lines = summary(result)
    assert "Daily check: OK across 3 clusters (3 ok)" in lines
    assert {"lab-east   ok", "lab-west   ok", "lab-edge   ok"} <= set(lines)


def test_metric_over_its_critical_threshold(summary, run_playbook, lab):
    _put_gauge(lab, "euystacio_qek", "lab-west", 0.82)
    try:
        _wait_for(lab, 'euystacio_qek{cluster="lab-west"}', lambda s: abs(float(s[0]["value"][1]) - 0.82) < 1e-9)
        result = run_playbook("playbooks/daily_check.yml", "-e", QEK)
    finally:
        _put_gauge(lab, "euystacio_qek", "lab-west", None)
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (1 critical, 2 ok)"
    assert lines[1].startswith("lab-west   critical QEK is critical: 0.82 (warning < 0.88, critical < 0.85)")
    assert "Daily check CRITICAL on lab-west" in result.stdout


def test_crash_looping_pod_is_a_warning(summary, run_playbook, lab):
    apps = k8s_client.AppsV1Api(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context="lab-west"))
    fault = {"spec": {"template": {"metadata": {"annotations": {"lab.spooky.ops/fault": "crashloop"}}}}}
    apps.patch_namespaced_deployment("demo-canary", "demo", fault)
    try:
        result = run_playbook("playbooks/daily_check.yml")
    finally:
        apps.patch_namespaced_deployment("demo-canary", "demo", {"spec": {"template": {"metadata": {"annotations": None}}}})
    assert result.returncode == 0, result.stdout[-3000:]  # a warning does not fail the play
    lines = summary(result)
    assert lines[0] == "Daily check: WARNING across 3 clusters (1 warning, 2 ok)"
    assert lines[1].startswith("lab-west   warning  pod demo/demo-canary-")
    assert lines[1].endswith("not Ready: CrashLoopBackOff (7 restarts)")


def test_unreachable_cluster_is_critical_and_the_others_are_still_checked(summary, run_playbook, lab):
    clusters.control(lab, "lab-edge", "unreachable")
    try:
        result = run_playbook("playbooks/daily_check.yml")
    finally:
        clusters.control(lab, "lab-edge", "reachable")
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (1 critical, 2 ok)"
    assert lines[1].startswith("lab-edge   critical Kubernetes API unreachable")
    assert {"lab-east   ok", "lab-west   ok"} <= set(lines)


def test_unreachable_prometheus_is_critical_for_every_cluster(summary, run_playbook):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    result = run_playbook("playbooks/daily_check.yml", "-e", f"spooky_prometheus_url=http://127.0.0.1:{closed}")
    assert result.returncode != 0
    lines = summary(result)
    assert lines[0] == "Daily check: CRITICAL across 3 clusters (3 critical)"
    assert sum("HighErrorRate is unknown: Prometheus at" in line and "is unreachable" in line for line in lines) == 3


@pytest.mark.parametrize("bad,message", [
    ({"name": "x", "query": "up", "direction": "below", "warning": 0.8, "critical": 0.85}, "must not be below critical"),
    ({"name": "x", "query": "up", "direction": "down", "critical": 1}, "value of direction must be one of"),
])
def test_bad_threshold_is_rejected_with_a_clear_message(run_playbook, bad, message):
    result = run_playbook("playbooks/daily_check.yml", "-e", json.dumps({"daily_check_thresholds": [bad]}))
    assert result.returncode != 0
    assert message in result.stdout
