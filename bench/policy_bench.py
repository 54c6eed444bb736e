# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the policy decisions of spooky.ops (module_utils/policy, embedded backend: regopy).

Run from the repository root:  python bench/policy_bench.py [--decisions N] [--manifests N]

For each shipped policy: decisions per second one by one (a fresh interpreter query per input, what a naive
client does), one by one through the backend (evaluate(): the compiled query is cached) and batched
(evaluate_many(): one compiled query, the input set per decision). Then the time to check N Kubernetes
manifests with ship_check, loading the policies included. Prints each figure with its goal; never fails on time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import copy
import os
import random
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COLLECTIONS = os.path.join(_ROOT, "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

from ansible_collections.spooky.ops.plugins.module_utils.policy.embedded import EmbeddedBackend  # noqa: E402

POLICIES = os.path.join(_COLLECTIONS, "ansible_collections", "spooky", "ops", "policies")
GOAL_BATCHED = 500.0  # decisions per second, batched: what one reused regopy interpreter does on a small policy
NAIVE_MAX = 60
GOAL_MANIFESTS_S = 3.0  # seconds for 1,000 manifests

PROMOTION = {
    "tenant": "team-a", "action": "promote",
    "target": {"variant": "demo-canary", "tenant": "team-a", "cluster": "lab-east", "revision": "1.4.3"},
    "requested_at": "2026-03-01T10:30:00Z",
    "history": [
        {"step": "canary_analysis", "status": "pass", "at": "2026-03-01T10:20:00Z", "revision": "1.4.3"},
        {"step": "policy_check", "status": "pass", "at": "2026-03-01T10:25:00Z"},
        {"step": "incident_check", "status": "pass", "at": "2026-03-01T10:29:00Z", "open_incidents": []},
    ],
    "grants": [],
}


def deployment(rng, index):
    image = rng.choice(["registry.lab.local/spooky/demo:1.4.%d" % (index % 10), "nginx:latest", "busybox",
                        "registry.lab.local/spooky/demo@sha256:" + "%064x" % index])
    container = {"name": "app", "image": image, "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}
    if rng.random() < 0.2:
        container["resources"] = {}
    if rng.random() < 0.05:
        container["securityContext"] = {"privileged": True}
    annotations = {"spooky.ops/signature": "sig"} if rng.random() < 0.9 else {}
    return {"apiVersion": "apps/v1", "kind": rng.choice(["Deployment", "StatefulSet", "DaemonSet"]),
            "metadata": {"name": "app-%d" % index, "namespace": "ns-%d" % (index % 7), "annotations": annotations},
            "spec": {"template": {"spec": {"containers": [container, dict(container, name="sidecar")]}}}}


def inputs_for(policy, rng, count):
    if policy == "spooky/peace_bonds":
        return [{"provider": {"name": "p%d" % i, "risk_score": round(rng.random(), 2)}} for i in range(count)]
    if policy == "spooky/ship_check":
        return [deployment(rng, i) for i in range(count)]
    documents = []
    for i in range(count):
        document = copy.deepcopy(PROMOTION)
        document["tenant"] = rng.choice(["team-a", "team-b"])
        if rng.random() < 0.3:
            document["history"][2]["open_incidents"] = ["INC-%d" % i]
        documents.append(document)
    return documents


def rate(count, seconds):
    return count / seconds if seconds > 0 else float("inf")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=300, help="decisions per policy and mode")
    parser.add_argument("--manifests", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)

    print("policy decisions, embedded backend (regopy), %d decisions per policy and mode (query(): %d)"
          % (args.decisions, min(args.decisions, NAIVE_MAX)))
    print("%-26s %14s %14s %14s   goal (batched)" % ("policy", "query()/input", "evaluate()", "batched"))
    engine = EmbeddedBackend.from_directory(POLICIES)
    naive = EmbeddedBackend.from_directory(POLICIES)
    naive.compile = False
    for policy in ("spooky/peace_bonds", "spooky/tenant_autonomy", "spooky/causal_promotion", "spooky/ship_check"):
        documents = inputs_for(policy, rng, args.decisions)
        start = time.perf_counter()
        slow = documents[:NAIVE_MAX]  # a query() compiles every loaded module: a sample is enough
        for document in slow:
            naive.evaluate(policy, document)
        naive_rate = rate(len(slow), time.perf_counter() - start)
        engine.evaluate(policy, documents[0])  # compile once, outside the timing
        start = time.perf_counter()
        for document in documents:
            engine.evaluate(policy, document)
        single_rate = rate(len(documents), time.perf_counter() - start)
        start = time.perf_counter()
        engine.evaluate_many(policy, documents)
        batch_rate = rate(len(documents), time.perf_counter() - start)
        print("%-26s %12.0f/s %12.0f/s %12.0f/s   >= %.0f/s %s" % (policy, naive_rate, single_rate, batch_rate, GOAL_BATCHED,
                                                                     "met" if batch_rate >= GOAL_BATCHED else "NOT met"))

    manifests = [deployment(rng, i) for i in range(args.manifests)]
    start = time.perf_counter()
    checker = EmbeddedBackend.from_directory(POLICIES)
    decisions = checker.evaluate_many("spooky/ship_check", manifests)
    seconds = time.perf_counter() - start
    denied = sum(not d.allow for d in decisions)
    goal = GOAL_MANIFESTS_S * args.manifests / 1000.0
    print("ship_check of %d manifests (policies loaded and compiled included): %.2f s, %d denied; goal <= %.1f s: %s"
          % (args.manifests, seconds, denied, goal, "met" if seconds <= goal else "NOT met"))


if __name__ == "__main__":
    main()
