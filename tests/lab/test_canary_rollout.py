"""canary_rollout.yml against the lab: rollback by threshold, by the judge, on missing data; check mode; bad input.

The healthy path is tested where it runs anyway: tests/lab/test_job_templates_runner.py runs the canary_rollout job
template with its defaults (Phoenix's phases, every cluster) and checks the promotion in every cluster, the report
and its chart; molecule/canary runs a rollout twice and its idempotence step proves the second run changes nothing.
"""

import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from kubernetes import config as k8s_config
from kubernetes import dynamic

from spooky_lab import prometheus

CLUSTERS = ("lab-east", "lab-west", "lab-edge")
STABLE = "registry.lab.local/spooky/demo:1.4.2"


def _client(lab, cluster):
    return dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context=cluster))


def cluster_state(lab):
    """What a rollout may change, per cluster: images of both Deployments and the HTTPRoute's weights."""
    state = {}
    for cluster in CLUSTERS:
        client = _client(lab, cluster)
        deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
        route = client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute").get(name="demo", namespace="demo")
        state[cluster] = {
            "stable": deployments.get(name="demo-stable", namespace="demo").spec.template.spec.containers[0].image,
            "canary": deployments.get(name="demo-canary", namespace="demo").spec.template.spec.containers[0].image,
            "weights": {ref["name"]: ref.get("weight") for ref in route.to_dict()["spec"]["rules"][0]["backendRefs"]},
        }
    return state


def set_scenario(lab, cluster, scenario, since=None):
    body = {"canary": scenario}
    if since is not None:
        body["since"] = since
    request = urllib.request.Request(f"{prometheus.demo_app_url(lab)}/scenario/{cluster}", data=json.dumps(body).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


@pytest.fixture
def fresh(lab, lab_env):
    """Every test starts from the seeded state (stable 1.4.2, weight 0, healthy canaries) and leaves it so."""
    def reset():
        for cluster in CLUSTERS:
            set_scenario(lab, cluster, "healthy")
            client = _client(lab, cluster)
            deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
            for name in ("demo-stable", "demo-canary"):
                deployments.patch(name=name, namespace="demo", content_type="application/strategic-merge-patch+json",
                                  body={"spec": {"template": {"spec": {"containers": [{"name": "demo", "image": STABLE}]}}}})
            routes = client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute")
            routes.patch(name="demo", namespace="demo", content_type="application/merge-patch+json", body={"spec": {"rules": [
                {"backendRefs": [{"name": "demo-stable", "port": 80, "weight": 100}, {"name": "demo-canary", "port": 80, "weight": 0}]}]}})
    reset()
    report = Path(lab_env["SPOOKY_REPORTS_DIR"]) / "canary_rollout.json"
    report.unlink(missing_ok=True)
    yield report
    reset()


def read(report):
    return json.loads(report.read_text())


def test_failing_canary_is_rolled_back_in_every_touched_cluster(lab, fresh, run_playbook):
    set_scenario(lab, "lab-west", "failing")  # 2% errors, in the second wave
    before = cluster_state(lab)
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0")
    assert result.returncode != 0
    assert "ROLLED BACK: lab-west failed" in result.stdout, result.stdout[-3000:]
    report = read(fresh)
    assert report["outcome"] == "rolled_back"
    west = report["clusters"]["lab-west"]
    assert west["outcome"] == "rolled_back" and "error_rate" in west["reason"]
    # failure_limit 0: the first failing tick rolls back.
    assert [t["outcome"] for t in west["history"]].count("fail") == 1 and west["history"][-1]["verdict"] == "rollback"
    assert cluster_state(lab) == {c: dict(s, canary=STABLE) for c, s in before.items()}  # weight 0, stable untouched


def test_slow_latency_creep_is_caught_by_the_judge_not_the_threshold(lab, fresh, run_playbook):
    set_scenario(lab, "lab-east", "slow", since=time.time() - 25 * 60)  # p95 crept to ~85 ms, under the 100 ms threshold
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0")
    assert result.returncode != 0
    east = read(fresh)["clusters"]["lab-east"]
    assert east["outcome"] == "rolled_back"
    last = east["history"][-1]
    assert last["verdict"] == "rollback" and last["judge"]["classification"] == "fail"
    assert "latency_p95" in last["judge"]["reason"]
    latencies = [t["metrics"]["latency_p95"]["canary"] for t in east["history"] if t["metrics"]["latency_p95"]["canary"] is not None]
    assert latencies and max(latencies) < 0.1  # the absolute threshold never fired
    assert all(c["status"] != "fail" for t in east["history"] for c in t["checks"])
    assert read(fresh)["clusters"]["lab-west"]["outcome"] == "not_started"  # the first failure stopped the other waves


def test_no_traffic_holds_then_rolls_back_never_promotes(lab, fresh, run_playbook):
    set_scenario(lab, "lab-east", "no-traffic")
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0")
    assert result.returncode != 0
    east = read(fresh)["clusters"]["lab-east"]
    verdicts = [t["verdict"] for t in east["history"]]
    assert "promote" not in verdicts and "continue" not in verdicts
    assert verdicts[-1] == "rollback" and set(verdicts[:-1]) == {"hold"}
    assert cluster_state(lab)["lab-east"]["weights"]["demo-canary"] == 0


def test_prometheus_down_is_an_error_then_a_rollback(lab, fresh, run_playbook):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0",
                          "-e", f"canary_prometheus_url=http://127.0.0.1:{closed}", "-e", "canary_warmup_seconds=0")
    assert result.returncode != 0
    east = read(fresh)["clusters"]["lab-east"]
    assert [t["outcome"] for t in east["history"]][:-1] == ["error"] * (len(east["history"]) - 1)
    assert east["history"][-1]["verdict"] == "rollback" and "promote" not in [t["verdict"] for t in east["history"]]


def test_check_mode_changes_nothing(lab, fresh, run_playbook):
    before = cluster_state(lab)
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0", check=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert cluster_state(lab) == before


@pytest.mark.parametrize("override,message", [
    ({"canary_phases": [{"weight": 120, "duration": "1m"}]}, "phases[0].weight"),
    ({"canary_phases": [{"weight": 20, "duration": "1m"}, {"weight": 20, "duration": "1m"}]}, "must increase"),
    ({"canary_phases": [{"weight": 5, "duration": "1m", "colour": "red"}]}, "colour"),
    ({"canary_metrics": [{"name": "x", "query": "up{pod=\"$pod\"}", "threshold": 1}]}, "unknown placeholder $pod"),
])
def test_bad_input_is_rejected_before_anything_changes(lab, fresh, run_playbook, override, message):
    before = cluster_state(lab)
    result = run_playbook("playbooks/canary_rollout.yml", "-e", "canary_version=1.5.0", "-e", json.dumps(override))
    assert result.returncode != 0
    assert message in result.stdout
    assert cluster_state(lab) == before
