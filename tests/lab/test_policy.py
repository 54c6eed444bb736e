"""Policy checks against the lab: playbooks/policy_check.yml, playbooks/policy_drift.yml, the policy_gate role,
spooky.ops.policy_bundle on a cluster, and the errors of spooky.ops.opa_eval as an operator sees them."""

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from kubernetes import config as k8s_config
from kubernetes import dynamic

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "collections" / "ansible_collections" / "spooky" / "ops" / "policies"
CLUSTERS = ("lab-east", "lab-west", "lab-edge")
SIGNATURE = "spooky.ops/signature"


def client(lab, context):
    return dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context=context))


def report(lab_env, name):
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def recap(stdout):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    counts = {}
    for host, rest in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", stdout, re.M):
        counts[host] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", rest))
    return counts


WORKLOAD_KINDS = (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
                  ("batch/v1", "CronJob"), ("batch/v1", "Job"), ("v1", "Pod"))


def live_workloads(lab, cluster):
    """(api, kind, name, annotations) of the unowned workloads of the demo namespace: what ship_check judges."""
    found = []
    for api_version, kind in WORKLOAD_KINDS:
        api = client(lab, cluster).resources.get(api_version=api_version, kind=kind)
        for item in api.get(namespace="demo").to_dict()["items"]:
            if not item["metadata"].get("ownerReferences"):
                found.append((api, kind, item["metadata"]["name"], item["metadata"].get("annotations") or {}))
    return found


def repo_signature():
    deployments = list(yaml.safe_load_all((REPO / "manifests" / "demo" / "deployments.yaml").read_text()))
    return deployments[0]["metadata"]["annotations"][SIGNATURE]


# --- policy_check.yml ------------------------------------------------------------------------

def test_policy_check_lists_every_violation_of_the_seeded_workload(lab, run_playbook, lab_env):
    # The lab seeds the demo workloads without the signature annotation the GitOps manifests carry:
    # the repository passes, every live workload is listed (and nothing else: limits and tags are right).
    unsigned = sorted((cluster, "%s demo/%s" % (kind, name)) for cluster in CLUSTERS
                      for _api, kind, name, annotations in live_workloads(lab, cluster) if SIGNATURE not in annotations)
    assert len(unsigned) >= 6  # demo-stable and demo-canary at least, on each cluster
    result = run_playbook("playbooks/policy_check.yml")
    assert result.returncode != 0, result.stdout[-3000:]
    checked = report(lab_env, "policy_check.json")
    assert checked["status"] == "fail" and checked["unreachable"] == []
    got = sorted((v["source"], v["subject"], v["reason"]) for v in checked["violations"])
    assert got == [(cluster, subject, "%s has no spooky.ops/signature annotation: unsigned workloads do not ship" % subject)
                   for cluster, subject in unsigned]
    assert "%d policy violations (spooky/ship_check)" % len(unsigned) in result.stdout
    for cluster, subject in unsigned:
        assert "%s: %s has no spooky.ops/signature annotation" % (cluster, subject) in result.stdout
    assert checked["checked"] > 20  # the repository's objects and each cluster's workloads and Pods


@pytest.fixture
def signed_workloads(lab):
    """The live demo workloads annotated as the GitOps manifests are (a metadata change: no rollout); put back after."""
    signature = repo_signature()
    signed = []
    for cluster in CLUSTERS:
        for api, _kind, name, annotations in live_workloads(lab, cluster):
            if SIGNATURE not in annotations:
                api.patch(name=name, namespace="demo", body={"metadata": {"annotations": {SIGNATURE: signature}}},
                          content_type="application/merge-patch+json")
                signed.append((api, name))
    yield
    for api, name in signed:
        api.patch(name=name, namespace="demo", body={"metadata": {"annotations": {SIGNATURE: None}}},
                  content_type="application/merge-patch+json")


def test_policy_check_passes_on_the_signed_workload(signed_workloads, run_playbook, lab_env):
    result = run_playbook("playbooks/policy_check.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    checked = report(lab_env, "policy_check.json")
    assert checked["status"] == "pass" and checked["violations"] == []
    assert "Policy check passed" in result.stdout


def test_policy_check_fails_listing_every_violation_of_the_manifests(run_playbook, lab_env, tmp_path):
    manifests = tmp_path / "manifests"
    shutil.copytree(REPO / "manifests", manifests)
    (manifests / "demo" / "debug.yaml").write_text(textwrap.dedent("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: debug, namespace: demo}
        spec:
          template:
            spec:
              containers:
                - name: shell
                  image: busybox:latest
                  securityContext: {privileged: true}
        """))
    result = run_playbook("playbooks/policy_check.yml", "--tags", "repo,report", "-e", "policy_check_manifest_dir=%s" % manifests)
    assert result.returncode != 0
    violations = report(lab_env, "policy_check.json")["violations"]
    assert set(v["source"] for v in violations) == {"manifests/demo/debug.yaml"}
    assert sorted(v["reason"] for v in violations) == [
        "DaemonSet demo/debug has no spooky.ops/signature annotation: unsigned workloads do not ship",
        "DaemonSet demo/debug: container shell has no cpu limit (resources.limits.cpu)",
        "DaemonSet demo/debug: container shell has no memory limit (resources.limits.memory)",
        "DaemonSet demo/debug: container shell image busybox:latest is not pinned: use a digest (@sha256:...) or a version tag other than latest",
        "DaemonSet demo/debug: container shell is privileged (securityContext.privileged: true)",
    ]
    assert "5 policy violations" in result.stdout and "manifests/demo/debug.yaml: DaemonSet demo/debug: container shell is privileged" in result.stdout


# --- policy_drift.yml ------------------------------------------------------------------------

def test_policy_drift_reports_resyncs_and_a_second_run_is_clean(lab, run_playbook, lab_env):
    first = run_playbook("playbooks/policy_drift.yml")  # publishes the bundle wherever it is missing
    assert first.returncode == 0, first.stdout[-3000:]
    expected = report(lab_env, "policy_drift.json")["expected_digest"]

    configmaps = client(lab, "lab-west").resources.get(api_version="v1", kind="ConfigMap")
    cm = configmaps.get(name="spooky-policy-bundle", namespace="spooky-system").to_dict()
    data = dict(cm["data"])
    data["peace_bonds__peace_bonds.rego"] = data["peace_bonds__peace_bonds.rego"].replace("default risk_threshold := 0.85",
                                                                                          "default risk_threshold := 0.99")
    data["extra__backdoor.rego"] = "package spooky.backdoor\n\nallow := true\n"
    del data["ship_check__ship_check_test.rego"]
    configmaps.patch(name="spooky-policy-bundle", namespace="spooky-system", body={"data": data}, content_type="application/merge-patch+json")
    configmaps.patch(name="spooky-policy-bundle", namespace="spooky-system",
                     body={"data": {"ship_check__ship_check_test.rego": None}}, content_type="application/merge-patch+json")

    drifted = run_playbook("playbooks/policy_drift.yml")
    assert drifted.returncode == 0, drifted.stdout[-3000:]
    alert = report(lab_env, "policy_drift.json")
    assert alert["alert"] is True and alert["failed"] == []
    assert [d["cluster"] for d in alert["drifted"]] == ["lab-west"]
    west = alert["drifted"][0]
    assert west["expected_digest"] == expected and west["found_digest"] not in (None, expected)
    assert west["annotated_digest"] == expected  # the edit left the annotation: the data tells the truth
    assert west["files"] == {"added": ["extra/backdoor.rego"], "removed": ["ship_check/ship_check_test.rego"],
                             "changed": ["peace_bonds/peace_bonds.rego"], "revision": None}
    assert west["resynced"] is True
    assert "POLICY DRIFT on lab-west: expected %s" % expected in drifted.stdout
    assert "files changed peace_bonds/peace_bonds.rego" in drifted.stdout
    assert recap(drifted.stdout)["lab-east"]["changed"] == 0 and recap(drifted.stdout)["lab-west"]["changed"] == 1

    held = configmaps.get(name="spooky-policy-bundle", namespace="spooky-system").to_dict()
    assert "extra__backdoor.rego" not in held["data"] and "default risk_threshold := 0.85" in held["data"]["peace_bonds__peace_bonds.rego"]

    again = run_playbook("playbooks/policy_drift.yml")
    assert again.returncode == 0, again.stdout[-3000:]
    clean = report(lab_env, "policy_drift.json")
    assert clean["alert"] is False and clean["drifted"] == []
    assert all(counts["changed"] == 0 for host, counts in recap(again.stdout).items() if host in CLUSTERS)


PUBLISH = textwrap.dedent("""
    - hosts: lab-edge
      gather_facts: false
      module_defaults:
        spooky.ops.policy_bundle: {kubeconfig: "{{ spooky_kubeconfig }}", context: "{{ spooky_k8s_context }}",
                                   name: spooky-policy-bundle-test, namespace: spooky-system, src: "{{ src }}"}
      tasks:
        - kubernetes.core.k8s:
            kubeconfig: "{{ spooky_kubeconfig }}"
            context: "{{ spooky_k8s_context }}"
            definition: {apiVersion: v1, kind: Namespace, metadata: {name: spooky-system}}
        - {spooky.ops.policy_bundle: {state: present}, register: planned, check_mode: true, diff: true}
        - {spooky.ops.policy_bundle: {}, register: after_check}
        - {spooky.ops.policy_bundle: {state: present}, register: done, diff: true}
        - {spooky.ops.policy_bundle: {state: present}, register: again}
        - {spooky.ops.policy_bundle: {state: absent}, register: removed}
        - {spooky.ops.policy_bundle: {state: absent}, register: removed_again}
        - ansible.builtin.copy:
            dest: "{{ dest }}"
            content: "{{ {'planned': planned, 'after_check': after_check, 'done': done, 'again': again,
                          'removed': removed, 'removed_again': removed_again} | to_json }}"
            mode: "0644"
    """)


def test_policy_bundle_publish_is_idempotent_with_check_and_diff_mode(run_playbook, tmp_path, lab):
    playbook = tmp_path / "publish.yml"
    playbook.write_text(PUBLISH)
    out = tmp_path / "out.json"
    result = run_playbook(str(playbook), "-e", "src=%s dest=%s" % (POLICIES, out))
    assert result.returncode == 0, result.stdout[-3000:]
    got = json.loads(out.read_text())
    planned = got["planned"]
    assert planned["changed"] and planned["found"]["present"] is False and planned["drift"] is True
    assert sorted(planned["diff"]["after"]["data"]) == sorted([".manifest"] + [k.replace("/", "__") for k in planned["expected"]["files"]])
    assert got["after_check"]["found"]["present"] is False  # check mode wrote nothing
    done = got["done"]
    assert done["changed"] and done["digest"] == done["expected"]["digest"] and done["diff"]["before"] == {}
    again = got["again"]
    assert not again["changed"] and again["drift"] is False and again["found"]["digest"] == done["digest"]
    assert again["found"]["annotated_digest"] == done["digest"]
    assert got["removed"]["changed"] and not got["removed_again"]["changed"]


# --- opa_eval errors and the policy gate -----------------------------------------------------

ERRORS = textwrap.dedent("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: malformed Rego
          spooky.ops.opa_eval: {policy_dir: "{{ broken }}", path: broken, input: {}}
          register: malformed
          ignore_errors: true
        - name: missing package
          spooky.ops.opa_eval: {policy_dir: "{{ policies }}", path: spooky/nope, input: {}}
          register: missing
          ignore_errors: true
        - name: input that is not JSON
          spooky.ops.opa_eval: {policy_dir: "{{ policies }}", path: spooky/peace_bonds, input: '{"provider": {"name": }'}
          register: not_json
          ignore_errors: true
        - ansible.builtin.copy:
            dest: "{{ dest }}"
            content: "{{ {'malformed': malformed, 'missing': missing, 'not_json': not_json} | to_json }}"
            mode: "0644"
    """)


def test_errors_name_the_file_and_line_or_the_path(run_playbook, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "broken.rego").write_text("package broken\n\nimport rego.v1\n\nallow if {\n\tinput.x ==\n}\n")
    playbook = tmp_path / "errors.yml"
    playbook.write_text(ERRORS)
    out = tmp_path / "out.json"
    result = run_playbook(str(playbook), "-e", "broken=%s policies=%s dest=%s" % (broken, POLICIES, out))
    assert result.returncode == 0, result.stdout[-3000:]
    got = json.loads(out.read_text())
    assert got["malformed"]["failed"] and got["malformed"]["msg"].startswith("%s:6:" % (broken / "broken.rego"))
    assert got["malformed"]["error"]["line"] == 6
    assert got["missing"]["failed"] and "no policy defines data.spooky.nope" in got["missing"]["msg"]
    assert got["not_json"]["failed"] and got["not_json"]["msg"].startswith("input:1:23: input is not JSON")
    # What the operator reads in the output:
    assert "broken.rego:6:" in result.stdout and "data.spooky.nope" in result.stdout


GATE = textwrap.dedent("""
    - hosts: localhost
      gather_facts: false
      vars:
        decision:
          tenant: team-a
          action: promote
          target: {variant: demo-canary, tenant: team-a, cluster: lab-east, revision: "1.4.3"}
          requested_at: "2026-03-01T10:30:00Z"
          history:
            - {step: canary_analysis, status: pass, at: "2026-03-01T10:20:00Z", revision: "1.4.3"}
            - {step: policy_check, status: pass, at: "2026-03-01T10:25:00Z"}
            - {step: incident_check, status: pass, at: "2026-03-01T10:29:00Z", open_incidents: []}
      tasks:
        - name: allowed promotion
          ansible.builtin.include_role: {name: spooky.ops.policy_gate}
          vars: {policy_gate_decision: "{{ decision }}"}
        - ansible.builtin.set_fact: {allowed: "{{ policy_gate_result }}"}
        - name: misfire
          ansible.builtin.include_role: {name: spooky.ops.policy_gate}
          vars: {policy_gate_decision: "{{ decision }}", policy_gate_policies: [spooky/missing], policy_gate_fail: false}
        - ansible.builtin.set_fact: {misfire: "{{ policy_gate_result }}"}
        - name: foreign tenant, open incident
          block:
            - ansible.builtin.include_role: {name: spooky.ops.policy_gate}
              vars:
                policy_gate_decision: >-
                  {{ decision | combine({'tenant': 'team-b', 'history': decision.history[:2]
                     + [decision.history[2] | combine({'open_incidents': ['INC-9']})]}) }}
          rescue:
            - ansible.builtin.set_fact: {denied: "{{ policy_gate_result }}", denied_msg: "{{ ansible_failed_result.msg }}"}
        - ansible.builtin.copy:
            dest: "{{ dest }}"
            content: "{{ {'allowed': allowed, 'misfire': misfire, 'denied': denied, 'denied_msg': denied_msg} | to_json }}"
            mode: "0644"
    """)


def test_policy_gate(run_playbook, tmp_path):
    playbook = tmp_path / "gate.yml"
    playbook.write_text(GATE)
    out = tmp_path / "out.json"
    result = run_playbook(str(playbook), "-e", "dest=%s" % out)
    assert result.returncode == 0, result.stdout[-3000:]
    got = json.loads(out.read_text())
    assert got["allowed"]["allow"] is True and got["allowed"]["reasons"] == []
    assert got["misfire"]["allow"] is False and got["misfire"]["misfire"] is True
    assert got["misfire"]["reasons"][0].startswith("spooky/missing: no decision: no policy defines data.spooky.missing")
    assert got["denied"]["allow"] is False and got["denied"]["misfire"] is False
    assert got["denied"]["reasons"] == [
        "spooky/tenant_autonomy: tenant team-b may not promote variant demo-canary of tenant team-a: no grant from team-a",
        "spooky/causal_promotion: open incident INC-9 blocks the promotion",
    ]
    assert got["denied_msg"].startswith("promotion of demo-canary (1.4.3) blocked by policy: spooky/tenant_autonomy: tenant team-b")
