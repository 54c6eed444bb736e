"""The event bus of the lab (NATS JetStream) and the notification pipeline on it, with the queue saturation runbook
and the seed 000 bus runbooks (the chaos drills, the bus outage among them, are in test_chaos_drill.py).

Uses the session `lab` (its own ports and state dir): NATS and the pipeline start with it and stop with it
(the fixture checks that no lab process is left behind).
"""

import json
import time
import urllib.parse
import urllib.request

from spooky_lab import processes, prometheus
from spooky_lab.services import nats, pipeline


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def _prom_value(cfg, query):
    answer = json.loads(_get(f"{prometheus.url(cfg)}/api/v1/query?" + urllib.parse.urlencode({"query": query})))
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _wait(predicate, timeout=30.0, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_nats_and_pipeline_answer(lab):
    assert processes.running(lab, nats.NAME) and processes.running(lab, pipeline.NAME)
    assert nats.healthy(lab)
    varz = json.loads(_get(f"{nats.monitor_url(lab)}/jsz"))
    assert varz["streams"] >= 3  # NOTIFY, CONTROL, EVENTS made by the pipeline
    state = pipeline.state(lab)
    assert state["bus_up"] == 1 and state["capacity"] > 0
    assert state["modules"]["modules.output.telegram_notifier"] == {"enabled": True, "paused": False, "rate_limit": 5.0}
    metrics = _get(f"{pipeline.url(lab)}/metrics")
    for name in ("spooky_bus_queue_depth", "spooky_bus_queue_depth_ratio", "spooky_bus_cursor_lag_seconds",
                 "spooky_pipeline_module_paused", "spooky_pipeline_rate_limit_per_second"):
        assert name in metrics
    # The lab's Prometheus finds the pipeline through file discovery.
    assert _wait(lambda: _prom_value(lab, 'spooky_pipeline_rate_limit_per_second{job="lab-services"}') is not None, 40) is True


def test_queue_saturation_runbook(lab, run_playbook, lab_env):
    # the lab's counters are the session's: other tests (the chaos drills, module toggles) pause and resume too
    before = pipeline.state(lab)
    commands = dict(before["commands"])
    pipeline.flood(lab, 450, producer_rate=10, rate_limit=5)
    first = run_playbook("playbooks/queue_saturation.yml")
    assert first.returncode == 0, first.stdout[-3000:]
    report = json.loads((__import__("pathlib").Path(lab_env["SPOOKY_REPORTS_DIR"]) / "queue_saturation.json").read_text())
    assert report["saturated"] is True and report["action"].startswith("paused")
    assert report["after"]["depth_ratio"] < 0.2
    state = pipeline.state(lab)
    notifier = state["modules"]["modules.output.telegram_notifier"]
    assert notifier == {"enabled": True, "paused": False, "rate_limit": 50.0}
    sent = {name: count - commands.get(name, 0) for name, count in state["commands"].items()}
    assert sent.get("pipeline.pause") == 1 and sent.get("pipeline.resume") == 1
    assert state["config_version"] == before["config_version"] + 1
    # Healthy now: a second run changes nothing and publishes nothing.
    second = run_playbook("playbooks/queue_saturation.yml")
    assert second.returncode == 0, second.stdout[-3000:]
    assert "changed=0" in second.stdout
    assert pipeline.state(lab)["commands"].get("pipeline.pause") == state["commands"]["pipeline.pause"]


def _publish_events(lab, events):
    import asyncio

    import nats as nats_py

    async def main():
        nc = await nats_py.connect(nats.url(lab))
        js = nc.jetstream()
        for subject, body in events:
            await js.publish(subject, json.dumps(body).encode())
        await nc.close()
    asyncio.run(main())


def _report(lab_env, name):
    from pathlib import Path
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def test_seed_000_runbooks(lab, run_playbook, lab_env):
    now = time.time()
    events = [("events.promotion", {"variant": "v2", "action": "promote" if i % 2 == 0 else "demote", "ts": now - 600 + 60 * i,
                                    "id": f"p{i}"}) for i in range(6)]
    events.append(("events.promotion", {"variant": "v2", "action": "demote", "ts": now - 5, "id": "p5"}))  # a redelivery
    events += [("events.absorption", {"capability": "cap-ocr", "wins": 3, "trials": 40}),
               ("events.absorption", {"capability": "cap-rerank", "wins": 15, "trials": 40})]
    events += [("events.spend", {"ts": now - 3600 + 900 * i, "total": 15.0 * i}) for i in range(5)]  # $1,440/day
    _publish_events(lab, events)
    for playbook, report in (("promotion_loop", "promotion_loop.json"), ("absorption_review", "absorption_review.json"),
                             ("budget_guard", "budget_guard.json")):
        first = run_playbook(f"playbooks/{playbook}.yml")
        assert first.returncode == 0, first.stdout[-3000:]
        second = run_playbook(f"playbooks/{playbook}.yml")
        assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
    assert _report(lab_env, "promotion_loop.json")["looping"] == ["v2"]
    assert _report(lab_env, "promotion_loop.json")["duplicate_ids"] == ["p5"]
    verdicts = _report(lab_env, "absorption_review.json")["capabilities"]
    assert verdicts["cap-ocr"]["verdict"] == "quarantine" and verdicts["cap-rerank"]["verdict"] == "retry"
    budget = _report(lab_env, "budget_guard.json")
    assert budget["exhausted"] is True and budget["per_day"] > 1000
    assert budget["paused"] == ["modules.output.telegram_notifier"]
    assert pipeline.state(lab)["modules"]["modules.output.telegram_notifier"]["paused"] is True
