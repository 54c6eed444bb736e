"""blue_green.yml and rollback.yml against the lab."""

import json
import urllib.request

import pytest
from kubernetes import config as k8s_config
from kubernetes import dynamic

from spooky_lab import prometheus

STABLE = "registry.lab.local/spooky/demo:1.4.2"


def _client(lab, cluster):
    return dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context=cluster))


def _image(deployment):
    return deployment.spec.template.spec.containers[0].image


def _gauge(lab, metric, cluster, value):
    method, data = ("DELETE", None) if value is None else ("PUT", json.dumps({"value": value}).encode())
    request = urllib.request.Request(f"{prometheus.demo_app_url(lab)}/gauges/{metric}?cluster={cluster}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


@pytest.fixture
def slots(lab):
    """Blue live with 1.4.2 on every cluster before and after the test."""
    def reset():
        for cluster in ("lab-east", "lab-west", "lab-edge"):
            client = _client(lab, cluster)
            deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
            client.resources.get(api_version="v1", kind="Service").patch(
                name="demo-live", namespace="demo", content_type="application/merge-patch+json", body={"spec": {"selector": {"slot": "blue"}}})
            deployments.patch(name="demo-blue", namespace="demo", content_type="application/merge-patch+json", body={"spec": {"replicas": 2}})
            try:
                deployments.delete(name="demo-green", namespace="demo")
            except Exception:  # noqa: BLE001 - absent is fine
                pass
    reset()
    yield
    reset()


def live(lab, cluster):
    client = _client(lab, cluster)
    selector = client.resources.get(api_version="v1", kind="Service").get(name="demo-live", namespace="demo").spec.selector.slot
    deployment = client.resources.get(api_version="apps/v1", kind="Deployment").get(name=f"demo-{selector}", namespace="demo")
    return selector, _image(deployment)


def test_blue_green_switches_keeps_blue_hot_then_retires_it_and_is_idempotent(lab, slots, run_playbook):
    result = run_playbook("playbooks/blue_green.yml", "-e", "blue_green_version=1.5.0")
    assert result.returncode == 0, result.stdout[-3000:]
    for cluster in ("lab-east", "lab-west", "lab-edge"):
        assert live(lab, cluster) == ("green", "registry.lab.local/spooky/demo:1.5.0")
        blue = _client(lab, cluster).resources.get(api_version="apps/v1", kind="Deployment").get(name="demo-blue", namespace="demo")
        assert blue.spec.replicas == 0 and _image(blue) == STABLE
    again = run_playbook("playbooks/blue_green.yml", "-e", "blue_green_version=1.5.0")
    assert again.returncode == 0 and "changed=1" not in again.stdout.split("PLAY RECAP")[-1]


def test_green_that_never_gets_ready_is_never_switched_to(lab, slots, run_playbook):
    result = run_playbook("playbooks/blue_green.yml", "-e", "blue_green_version=1.5.0", "--limit", "lab-west",
                          "-e", json.dumps({"blue_green_pod_annotations": {"lab.spooky.ops/fault": "not-ready"}, "blue_green_ready_timeout": 3}))
    assert result.returncode != 0 and "traffic is back on blue" in result.stdout
    assert live(lab, "lab-west") == ("blue", STABLE)


def test_failed_check_after_the_switch_switches_back(lab, slots, run_playbook):
    check = {"name": "QEK", "query": 'euystacio_qek{cluster="{{ inventory_hostname }}"}', "direction": "below", "critical": 0.85}
    _gauge(lab, "euystacio_qek", "lab-west", 0.5)
    try:
        result = run_playbook("playbooks/blue_green.yml", "-e", "blue_green_version=1.5.0", "--limit", "lab-west",
                              "-e", json.dumps({"blue_green_post_switch_checks": [check]}))
    finally:
        _gauge(lab, "euystacio_qek", "lab-west", None)
    assert result.returncode != 0 and "traffic is back on blue" in result.stdout
    assert live(lab, "lab-west") == ("blue", STABLE)


def test_rollback_controller_rolls_back_only_where_accuracy_is_low(lab, run_playbook):
    east = _client(lab, "lab-east")
    deployments = east.resources.get(api_version="apps/v1", kind="Deployment")
    body = {"spec": {"template": {"spec": {"containers": [{"name": "demo", "image": "registry.lab.local/spooky/demo:1.6.0-bad"}]}}}}
    deployments.patch(name="demo-canary", namespace="demo", content_type="application/strategic-merge-patch+json", body=body)
    _gauge(lab, "spooky_canary_accuracy", "lab-east", 0.55)
    try:
        result = run_playbook("playbooks/rollback.yml")
    finally:
        _gauge(lab, "spooky_canary_accuracy", "lab-east", None)
    assert result.returncode == 0, result.stdout[-3000:]
    assert _image(deployments.get(name="demo-canary", namespace="demo")) == STABLE
    control = east.resources.get(api_version="v1", kind="ConfigMap").get(name="spooky-control", namespace="demo")
    assert control.data.control_playbook == "enabled"
    assert "No rollback on lab-west" in result.stdout and "metrics source is up" in result.stdout


def test_emergency_undo_returns_to_the_previous_revision(lab, run_playbook):
    deployments = _client(lab, "lab-edge").resources.get(api_version="apps/v1", kind="Deployment")
    body = {"spec": {"template": {"spec": {"containers": [{"name": "demo", "image": "registry.lab.local/spooky/demo:9.9.9"}]}}}}
    deployments.patch(name="demo-stable", namespace="demo", content_type="application/strategic-merge-patch+json", body=body)
    result = run_playbook("playbooks/rollback.yml", "-e", "rollback_mode=undo", "--limit", "lab-edge")
    assert result.returncode == 0, result.stdout[-3000:]
    after = deployments.get(name="demo-stable", namespace="demo")
    assert _image(after) != "registry.lab.local/spooky/demo:9.9.9" and after.status.readyReplicas == after.spec.replicas
