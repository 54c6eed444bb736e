# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's policies: every Rego test_ rule through the embedded engine (one pytest test each, named
after the Rego test), and their decisions on whole inputs, as the modules see them (exact messages)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest

pytest.importorskip("regopy")

from ansible_collections.spooky.ops.plugins.module_utils.policy.embedded import EmbeddedBackend  # noqa: E402

POLICIES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "policies"))

_RESULTS = {}


def rego_results():
    # One engine per policy directory: a query compiles every loaded module, so four small engines run the
    # tests about four times faster than one holding every policy.
    if not _RESULTS:
        for name in sorted(os.listdir(POLICIES)):
            if os.path.isdir(os.path.join(POLICIES, name)):
                for result in EmbeddedBackend.from_directory(os.path.join(POLICIES, name), include_tests=True).run_tests():
                    _RESULTS[result.id] = result
    return _RESULTS


def rego_test_ids():
    return sorted(rego_results())


def test_every_policy_has_tests():
    packages = set(test_id.rsplit(".", 1)[0] for test_id in rego_test_ids())
    assert packages == set(["spooky.%s_test" % name for name in ("causal_promotion", "peace_bonds", "ship_check", "tenant_autonomy")])
    assert len(rego_test_ids()) >= 40


@pytest.mark.parametrize("test_id", rego_test_ids())
def test_rego(test_id):
    result = rego_results()[test_id]
    if not result.passed:
        pytest.fail("Rego test %s failed (%s:%d): %s" % (test_id, result.file, result.line, result.message), pytrace=False)


@pytest.fixture(scope="module")
def engine():
    return EmbeddedBackend.from_directory(POLICIES)


def decide(engine, path, document):
    decision = engine.evaluate(path, document)
    return decision.allow, decision.reasons


# --- peace_bonds (seed 001) ------------------------------------------------------------------

def test_peace_bonds_denies_085_and_names_provider_and_score(engine):
    assert decide(engine, "spooky/peace_bonds", {"provider": {"name": "acme-pay", "risk_score": 0.85}}) == (
        False, ["High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"])
    assert decide(engine, "spooky/peace_bonds", {"providers": [{"name": "calm-bank", "risk_score": 0.84}]}) == (True, [])


# --- tenant_autonomy -------------------------------------------------------------------------

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


def promotion(**changes):
    document = copy.deepcopy(PROMOTION)
    document.update(changes)
    return document


def test_tenant_autonomy(engine):
    assert decide(engine, "spooky/tenant_autonomy", PROMOTION) == (True, [])
    foreign = promotion(tenant="team-b")
    del foreign["action"]  # promote is the default
    assert decide(engine, "spooky/tenant_autonomy", foreign) == (
        False, ["tenant team-b may not promote variant demo-canary of tenant team-a: no grant from team-a"])
    granted = promotion(tenant="team-b", grants=[{"tenant": "team-b", "variant": "demo-canary", "actions": ["promote"], "granted_by": "team-a"}])
    assert decide(engine, "spooky/tenant_autonomy", granted) == (True, [])


# --- causal_promotion ------------------------------------------------------------------------

def test_causal_promotion(engine):
    assert decide(engine, "spooky/causal_promotion", PROMOTION) == (True, [])
    history = copy.deepcopy(PROMOTION["history"])
    history[1]["at"] = "2026-03-01T10:10:00Z"
    assert decide(engine, "spooky/causal_promotion", promotion(history=history)) == (
        False, ["policy_check (2026-03-01T10:10:00Z) ran before canary_analysis (2026-03-01T10:20:00Z): "
                "the predecessors must run in the order canary_analysis -> policy_check -> incident_check"])
    history = copy.deepcopy(PROMOTION["history"])
    history[2]["open_incidents"] = [{"id": "INC-7"}]
    assert decide(engine, "spooky/causal_promotion", promotion(history=history)) == (False, ["open incident INC-7 blocks the promotion"])
    assert decide(engine, "spooky/causal_promotion", promotion(history=PROMOTION["history"][:1]))[1] == [
        "causal predecessor missing: incident_check must pass before a promotion",
        "causal predecessor missing: policy_check must pass before a promotion",
    ]


# --- ship_check ------------------------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "demo-stable", "namespace": "demo", "annotations": {"spooky.ops/signature": "sig"}},
    "spec": {"template": {"spec": {"containers": [{
        "name": "demo", "image": "registry.lab.local/spooky/demo:1.4.2",
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}}},
}


def test_ship_check(engine):
    assert decide(engine, "spooky/ship_check", DEPLOYMENT) == (True, [])
    bad = copy.deepcopy(DEPLOYMENT)
    bad["metadata"]["annotations"] = {}
    container = bad["spec"]["template"]["spec"]["containers"][0]
    container.update(image="nginx:latest", resources={}, securityContext={"privileged": True})
    assert decide(engine, "spooky/ship_check", bad) == (False, [
        "Deployment demo/demo-stable has no spooky.ops/signature annotation: unsigned workloads do not ship",
        "Deployment demo/demo-stable: container demo has no cpu limit (resources.limits.cpu)",
        "Deployment demo/demo-stable: container demo has no memory limit (resources.limits.memory)",
        "Deployment demo/demo-stable: container demo image nginx:latest is not pinned: use a digest (@sha256:...) or a version tag other than latest",
        "Deployment demo/demo-stable: container demo is privileged (securityContext.privileged: true)",
    ])


def test_shipped_policies_work_on_both_evaluation_paths(engine):
    # Batches use a compiled query (regopy bundle), single queries the interpreter: same answers.
    inputs = [DEPLOYMENT, PROMOTION, {"kind": "Service", "metadata": {"name": "x"}}]
    plain = EmbeddedBackend.from_directory(POLICIES)
    plain.compile = False
    for path in ("spooky/ship_check", "spooky/tenant_autonomy", "spooky/causal_promotion", "spooky/peace_bonds"):
        assert [d.to_dict() for d in engine.evaluate_many(path, inputs)] == [d.to_dict() for d in plain.evaluate_many(path, inputs)]
