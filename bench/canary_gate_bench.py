"""Gate-tick time against the bare queries of the same tick, on the lab's real Prometheus.

Goal (issue 3): a canary_gate tick takes at most 1.1x the time of the same Prometheus queries made
bare, plus 20 ms. Both run in-process with the same client, so the figure is the gate's own overhead
(template rendering, checks, the judge, the verdict). The lab's history has no canary traffic (its
weight is 0 until a rollout starts), so the judge finds no canary samples here; the statistics on
2 x 10k samples are measured by bench/canary_judge_bench.py.

    python bench/canary_gate_bench.py          # starts a lab of its own on free ports, stops it after
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO / "lab")]

from ansible_collections.spooky.ops.plugins.module_utils.canary.analysis import initial_state  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.gate import run_tick  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.promql import render_query  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.canary.spec import validate_spec  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusClient, PrometheusUnavailable  # noqa: E402

import yaml  # noqa: E402

ROUNDS = 30


def analysis():
    defaults = yaml.safe_load((REPO / "collections/ansible_collections/spooky/ops/roles/canary/defaults/main.yml").read_text())
    metrics = [dict(m, interval="10s") for m in defaults["canary_metrics"]]
    return validate_spec({"interval": "5m", "time_scale": 0.004, "traffic": defaults["canary_traffic_check"], "metrics": metrics,
                          "limits": defaults["canary_limits"], "phases": defaults["canary_phases"],
                          "judge": {"enabled": True, "min_samples": 8}})


def bare(client, spec, labels, now, window, step):
    """The same queries as one gate tick, with nothing else."""
    values = dict(labels, track="canary", interval=spec["interval"])
    client.instant(render_query(spec["traffic"]["query"], values))
    for metric in spec["metrics"]:
        for track in ("canary", "stable"):
            query = render_query(metric["query"], dict(labels, track=track, interval=metric["interval"]))
            client.instant(query)
            client.range(query, now - window, now, step)


def main():
    from spooky_lab import config as lab_config
    from spooky_lab import isolated, lab

    os.environ.update(isolated.environment(tempfile.mkdtemp(prefix="spooky-bench-")))
    cfg = lab_config.load()
    lab.up(cfg)
    try:
        client = PrometheusClient(f"http://127.0.0.1:{cfg.prometheus_port}", timeout=10)
        spec = analysis()
        labels = {"cluster": "lab-east", "namespace": "demo", "service": "demo"}
        window, step = 600.0, 15.0  # 40 samples per track from the backfilled history
        gate, plain = [], []
        for _ in range(ROUNDS):
            now = time.time()
            began = time.perf_counter()
            bare(client, spec, labels, now, window, step)
            plain.append(time.perf_counter() - began)
            began = time.perf_counter()
            # An analysis that started a window ago: the judge samples the whole window, as the bare queries do.
            state = initial_state(spec, now - window)
            result = run_tick(client, spec, state, labels, PrometheusUnavailable, now=now, judge_window=window, judge_step=step)
            gate.append(time.perf_counter() - began)
        g, b = statistics.median(gate), statistics.median(plain)
        goal = 1.1 * b + 0.020
        print(f"canary gate bench: {ROUNDS} rounds on the lab's Prometheus (median), verdict of the last tick: {result['verdict']}")
        print(f"  bare queries of one tick   {b * 1000:8.1f} ms")
        print(f"  canary_gate tick           {g * 1000:8.1f} ms   ratio {g / b:.2f}x")
        print(f"  goal <= 1.1 x bare + 20 ms = {goal * 1000:.1f} ms   {'MET' if g <= goal else 'NOT MET'}")
    finally:
        lab.down(cfg)


if __name__ == "__main__":
    main()
