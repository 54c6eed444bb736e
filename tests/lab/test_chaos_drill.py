"""The monthly chaos drills of seed 000 (playbooks/chaos_drill.yml) and the module toggle of seed 004
(playbooks/module_toggle.yml) against the lab: NATS, the pipeline service and its metrics in Prometheus, the
federation of the three clusters, the policy gate.

Each drill must pass on the lab and fail, with its own verdict, when its safety property is broken on purpose. To
keep the suite fast, the drills run together: once as they are, once with every property broken (the drills run on
after a failed one, so one run shows the four failures), and the partition drill on two of its conflicting keys.
"""

import asyncio
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from spooky_lab import prometheus
from spooky_lab.pipeline_app import NOTIFIER, UPLOADER
from spooky_lab.services import nats, pipeline

FAST_PARTITION = ["-e", '{"chaos_conflict_keys": ["checkout/eu-1", "search/eu-1"]}']
BROKEN = ["-e", "chaos_partition_reconcile=false chaos_bus_dedupe=false chaos_policy_neutered=true chaos_budget_graceful=false"]


def _report(lab_env, name):
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def _wait(predicate, timeout=30.0, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def _prom(lab, query):
    with urllib.request.urlopen(f"{prometheus.url(lab)}/api/v1/query?" + urllib.parse.urlencode({"query": query}), timeout=5) as response:
        return {r["metric"].get("module"): float(r["value"][1]) for r in json.loads(response.read())["data"]["result"]}


def _command(lab, **payload):
    """Publish a control command to the pipeline, as an operator would (a fresh message id each time)."""
    import nats as nats_py

    async def main():
        nc = await nats_py.connect(nats.url(lab))
        await nc.jetstream().publish("dashboard.control.command", json.dumps(payload).encode(),
                                     headers={"Nats-Msg-Id": f"test-{time.monotonic_ns()}"})
        await nc.close()
    asyncio.run(main())


def _working(lab, *modules):
    state = pipeline.state(lab)["modules"]
    return all(state[m]["enabled"] and not state[m]["paused"] for m in modules)


@pytest.fixture
def pipeline_at_work(lab):
    """Every module of the pipeline running (other tests pause the notifier and leave it so), seen by Prometheus."""
    pipeline.flood(lab, 0, module=UPLOADER, rate_limit=10)
    for module in (NOTIFIER, UPLOADER):
        _command(lab, command="pipeline.resume", module=module)
        _command(lab, command="module.enable", module=module)
    assert _wait(lambda: _working(lab, NOTIFIER, UPLOADER), 10)
    assert _wait(lambda: _prom(lab, "spooky_pipeline_module_paused + (1 - spooky_pipeline_module_enabled)") == {NOTIFIER: 0, UPLOADER: 0}, 40)
    return lab


def test_the_four_drills_pass_on_the_lab(pipeline_at_work, run_playbook, lab_env):
    lab = pipeline_at_work
    result = run_playbook("playbooks/chaos_drill.yml", "-e", "chaos_policy_approval=reject", *FAST_PARTITION)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Chaos drill passed: network partition, event bus outage, policy misfire," in result.stdout
    report = _report(lab_env, "chaos_drill.json")
    assert report["verdict"] == "pass" and report["failed"] == []
    drills = report["drills"]
    assert sorted(drills) == ["budget_exhaustion", "bus_outage", "partition", "policy_misfire"]
    assert all(d["verdict"] == "pass" and d["failures"] == [] for d in drills.values()), drills

    partition = drills["partition"]
    assert partition["converged"] and partition["lost"] == 0 and partition["conflicts"] == 2 and partition["partitioned"] == "lab-edge"
    assert _report(lab_env, "chaos_partition.json")["verdict"] == "pass"

    bus = drills["bus_outage"]
    assert bus["producer"]["failures"] > 0, "the bus was never down while the producer published"
    assert bus["replay"]["ok"] and bus["replay"]["unique"] == 200
    assert nats.healthy(lab)

    # Policy misfire: blocked, a human asked (here through the variable), the evidence attached.
    policy = drills["policy_misfire"]
    assert policy["gate_allowed"] is False and policy["escalated"] is True
    assert policy["human_decision"] == "reject" and policy["outcome"] == "held: a human rejected it"
    assert policy["asked_through"] == "variable chaos_policy_approval"
    assert [v.split(":")[0] for v in policy["violations"]] == ["spooky/chaos_misfire"]
    evidence = _report(lab_env, "chaos_policy_evidence.json")
    assert evidence["allow"] is False and evidence["violations"] == policy["violations"]
    assert evidence["decision"]["target"]["variant"] == "demo-canary"
    assert "POLICY GATE BLOCKED the promote of demo-canary" in result.stdout

    # Budget exhaustion: the notifier paused, the uploader kept delivering; both running again afterwards.
    budget = drills["budget_exhaustion"]
    assert budget["guard"]["exhausted"] and budget["guard"]["burn_rate"] > 1
    assert budget["paused_by_guard"] == [NOTIFIER]
    assert budget["stopped"] == {NOTIFIER: True, UPLOADER: False}
    assert budget["delivered"][UPLOADER] > 0
    assert _report(lab_env, "budget_guard.json")["paused"] == [NOTIFIER]
    assert _wait(lambda: _working(lab, NOTIFIER, UPLOADER), 10), "the drill must resume what the guard paused"


def test_each_drill_fails_when_its_safety_property_is_broken(pipeline_at_work, run_playbook, lab_env):
    lab = pipeline_at_work
    result = run_playbook("playbooks/chaos_drill.yml", "-e", "chaos_policy_approval=approve", *BROKEN, *FAST_PARTITION)
    assert result.returncode != 0
    assert "CHAOS DRILL FAILED, 4 of 4 drill(s)" in result.stdout, result.stdout[-4000:]
    report = _report(lab_env, "chaos_drill.json")
    assert report["verdict"] == "fail"
    assert sorted(report["failed"]) == ["budget_exhaustion", "bus_outage", "partition", "policy_misfire"]
    drills = report["drills"]

    partition = drills["partition"]
    assert partition["reconciled"] is False and partition["converged"] is False and partition["lost"] > 0
    assert "the clusters did not converge after the heal" in partition["failures"]

    bus = drills["bus_outage"]
    assert bus["dedupe"] is False and bus["replay"]["duplicates"] and not bus["replay"]["missing"]
    assert "duplicated after the outage (deduplication OFF)" in bus["failures"][0]

    policy = drills["policy_misfire"]
    assert policy["neutered"] is True and policy["gate_allowed"] is True and policy["escalated"] is False
    assert policy["outcome"] == "promoted without a human" and policy["violations"] == []
    assert "was not flagged" in policy["failures"][0]

    budget = drills["budget_exhaustion"]
    assert budget["stopped"][UPLOADER] is True
    assert f"critical {UPLOADER} was stopped" in budget["failures"]

    # The lab is put back: the bus is up, the pipeline works, the federation converges again.
    assert _wait(lambda: pipeline.state(lab)["bus_up"] == 1, 20)
    assert _wait(lambda: _working(lab, NOTIFIER, UPLOADER), 10)
    healed = run_playbook("playbooks/federation_reconcile.yml")
    assert healed.returncode == 0, healed.stdout[-3000:]


def test_one_drill_by_its_tag_with_a_human_approval(run_playbook, lab_env):
    result = run_playbook("playbooks/chaos_drill.yml", "--tags", "policy_misfire", "-e", "chaos_policy_approval=approve")
    assert result.returncode == 0, result.stdout[-3000:]
    report = _report(lab_env, "chaos_drill.json")
    assert list(report["drills"]) == ["policy_misfire"] and report["verdict"] == "pass"
    assert report["drills"]["policy_misfire"]["outcome"] == "promoted after a human approved it"


# --- module_toggle.yml ------------------------------------------------------------------------------------------


def test_module_toggle_drains_the_backlog_then_changes_nothing(pipeline_at_work, run_playbook, lab_env):
    lab = pipeline_at_work
    # S3 unreachable: the uploader's sender stalls and a backlog builds up.
    pipeline.flood(lab, 300, module=UPLOADER, rate_limit=0)
    assert _wait(lambda: _prom(lab, "spooky_bus_queue_depth").get(UPLOADER, 0) >= 300, 20)
    before = pipeline.state(lab)

    planned = run_playbook("playbooks/module_toggle.yml", check=True)
    assert planned.returncode == 0, planned.stdout[-3000:]
    assert _report(lab_env, "module_toggle.json")["actions"] == ["module.disable", "module.enable"]
    assert "Would disable modules.storage.s3_uploader" in planned.stdout
    assert pipeline.state(lab)["commands"] == before["commands"], "check mode must publish nothing"

    first = run_playbook("playbooks/module_toggle.yml")
    assert first.returncode == 0, first.stdout[-3000:]
    done = _report(lab_env, "module_toggle.json")
    assert done["actions"] == ["module.disable", "drained", "module.enable"] and done["before"]["depth"] >= 300
    assert done["drained_depth"] <= done["threshold"]
    after = pipeline.state(lab)
    assert after["modules"][UPLOADER]["enabled"] is True
    assert after["queues"][UPLOADER]["spooled"] - before["queues"][UPLOADER]["spooled"] >= 300, "drained locally"
    for command in ("module.disable", "module.enable"):
        assert after["commands"].get(command, 0) == before["commands"].get(command, 0) + 1

    # S3 back: the uploader drains what came in meanwhile; a second run finds nothing to do.
    pipeline.flood(lab, 0, module=UPLOADER, rate_limit=10)
    assert _wait(lambda: _prom(lab, "spooky_bus_queue_depth").get(UPLOADER, 99) <= 2, 20)
    second = run_playbook("playbooks/module_toggle.yml")
    assert second.returncode == 0, second.stdout[-3000:]
    assert "changed=0" in second.stdout and "nothing to do" in second.stdout
    assert _report(lab_env, "module_toggle.json")["actions"] == []
    assert pipeline.state(lab)["commands"] == after["commands"]
