"""Every AWX job template, run the way AWX runs it: ansible_runner.run with the template's playbook, its default extra
vars and survey defaults, against the lab inventory.

AWX launches a job as extra vars = the template's extra_vars + the survey answers; a survey question with a default
is answered by its default. The few questions without a default (the version to roll out, the key that leaked) get
the answer an operator would give on the lab (LAB_ANSWERS). The templates run in one order against a lab of their
own, so that what they do to it (a canary promoted, a cluster lost and restored, a key revoked) never reaches the
other lab tests: backup before restore_verify and the DR drill, key_rotation before key_compromise.

Like AWX, which runs each job in a private copy of the project, the playbooks run from a copy of the repository:
what they write next to themselves (key_rotation signs manifests/ and the policy bundles) stays out of the checkout.

awx_configure needs an AWX controller, which cannot run here: it runs in --check against a closed port and must fail
at the connection only (tests/test_awx_as_code.py checks each of its tasks' arguments that way).
"""

import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import ansible_runner
import pytest
import yaml
from kubernetes import config as k8s_config
from kubernetes import dynamic

from conftest import REPO, ansible_env, environ, lab_state_dir, stop_lab  # tests/conftest.py
from spooky_lab import config as lab_config
from spooky_lab import isolated
from spooky_lab import lab as lab_control

TEMPLATES = {t["name"]: t for t in yaml.safe_load((REPO / "awx" / "job_templates.yml").read_text())["awx_job_templates"]}

# Templates whose playbook needs another's output first; the rest run in alphabetical order after their prerequisites.
AFTER = {"spooky restore_verify": "spooky backup", "spooky backup_retention": "spooky backup", "spooky dr_drill": "spooky backup",
         "spooky key_compromise": "spooky key_rotation", "spooky canary_promote": "spooky canary_rollout"}


def _ordered(names):
    out = []

    def add(name):
        if name in out:
            return
        if name in AFTER:
            add(AFTER[name])
        out.append(name)
    for name in sorted(names):
        add(name)
    return out


ORDER = _ordered(TEMPLATES)


def _keyring(state):
    return json.loads((Path(state["SPOOKY_LAB_DIR"]) / "signing" / "keyring.json").read_text())


def _rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


# Answers to the survey questions that have no default, as an operator would give them on the lab.
LAB_ANSWERS = {
    "canary_version": lambda state: "v2",
    "blue_green_version": lambda state: "v2",
    "signing_compromised_key_id": lambda state: _keyring(state)["current"],
    "signing_compromised_at": lambda state: _rfc3339(time.time() - 600),
    "signing_compromise_reason": lambda state: "runner drill: the key left the vault",
}


def survey_answer(question, state):
    """The survey's default in the type AWX passes it (multiselect -> list, integer -> int), else the lab's answer."""
    if "default" in question:
        default = question["default"]
        if question["type"] == "multiselect":
            return [choice for choice in str(default).split("\n") if choice]
        if question["type"] == "integer":
            return int(default)
        if question["type"] == "float":
            return float(default)
        return default
    if question["variable"] in LAB_ANSWERS:
        return LAB_ANSWERS[question["variable"]](state)
    return None


def launch_vars(template, state):
    extra = dict(template.get("extra_vars") or {})
    for question in template.get("survey") or []:
        answer = survey_answer(question, state)
        if answer is not None:
            extra[question["variable"]] = answer
        else:
            assert not question.get("required"), f"{template['name']}: required survey question {question['variable']} has no answer"
    return extra


def test_every_required_question_without_a_default_has_a_lab_answer():
    missing = [(t["name"], q["variable"]) for t in TEMPLATES.values() for q in t.get("survey") or []
               if q.get("required") and "default" not in q and q["variable"] not in LAB_ANSWERS]
    assert not missing
    assert sorted(ORDER) == sorted(TEMPLATES) and all(ORDER.index(AFTER[n]) < ORDER.index(n) for n in AFTER)


@pytest.fixture(scope="module")
def runner_lab(tmp_path_factory):
    """A lab of its own (state directory, free ports), started and stopped around this module's runs."""
    state = lab_state_dir()
    env = isolated.environment(state)
    env["SPOOKY_REPORTS_DIR"] = str(tmp_path_factory.mktemp("runner-reports"))
    with environ(env):
        cfg = lab_config.load()
    try:
        with environ(env):
            lab_control.up(cfg)
        yield SimpleNamespace(env=env, cfg=cfg)
    finally:
        with environ(env):
            left = stop_lab(cfg)
        shutil.rmtree(state, ignore_errors=True)
    assert not left, f"lab processes left behind: {left}"


# What a project sync would not bring: VCS data, virtualenvs, dependency collections, outputs and caches.
PROJECT_IGNORE = shutil.ignore_patterns(".git", ".venv*", ".deps", ".lab", "reports", ".docs-build", ".pytest_cache",
                                        ".hypothesis", "__pycache__", "output")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The job's copy of the project, as AWX makes one per job run."""
    copy = tmp_path_factory.mktemp("runner-project") / "project"
    shutil.copytree(REPO, copy, ignore=PROJECT_IGNORE, symlinks=True)
    return copy


def run_template(template, env, project_dir, private_dir, cmdline=None):
    extra = launch_vars(template, env)
    # AWX runs ansible-playbook from its execution environment; here that is this interpreter's bin directory
    env = dict(env, PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
               ANSIBLE_CONFIG=str(project_dir / "ansible.cfg"))
    return ansible_runner.run(
        private_data_dir=str(private_dir), project_dir=str(project_dir), playbook=str(project_dir / template["playbook"]),
        inventory=str(project_dir / "inventories" / "lab"), extravars=extra, envvars=env, cmdline=cmdline,
        quiet=True, timeout=600), extra


def _failures(runner):
    out = []
    for event in runner.events:
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable") and not event["event_data"].get("ignore_errors"):
            data = event["event_data"]
            out.append("%s: %s" % (data.get("task"), str(data.get("res", {}).get("msg", ""))[:500]))
    return out


def _promoted_everywhere(lab):
    """The canary rollout with its defaults (Phoenix's phases, every cluster in waves) promoted v2 everywhere."""
    report = json.loads((Path(lab.env["SPOOKY_REPORTS_DIR"]) / "canary_rollout.json").read_text())
    assert report["outcome"] == "promoted", report.get("reason")
    assert {c: v["outcome"] for c, v in report["clusters"].items()} == {c: "promoted" for c in lab.cfg.clusters}
    for cluster in lab.cfg.clusters:
        history = report["clusters"][cluster]["history"]
        assert [t["weight"] for t in history if t["verdict"] != "hold"][0] == 5
        assert history[-1]["verdict"] == "promote" and history[-1]["weight"] == 100
        client = dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.cfg.kubeconfig), context=cluster))
        stable = client.resources.get(api_version="apps/v1", kind="Deployment").get(name="demo-stable", namespace="demo")
        route = client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute").get(name="demo", namespace="demo")
        assert stable.spec.template.spec.containers[0].image.endswith(":v2")
        assert {ref["name"]: ref.get("weight") for ref in route.to_dict()["spec"]["rules"][0]["backendRefs"]} == {
            "demo-stable": 100, "demo-canary": 0}
    assert (Path(lab.env["SPOOKY_REPORTS_DIR"]) / "canary_rollout.png").read_bytes()[:4] == b"\x89PNG"


# What each template's run must have done, beyond succeeding.
POST_CHECKS = {"spooky canary_rollout": _promoted_everywhere}

# Templates whose default run must fail, and the task that must fail it. The lab's seeded workloads are deliberately
# out of policy (unsigned Deployments; tests/lab/test_policy.py lists every violation): the check's job is to fail.
EXPECTED_FAILURES = {"spooky policy_check": "every violation must be fixed before shipping"}


@pytest.mark.parametrize("name", ORDER)
def test_job_template_runs_through_ansible_runner(name, runner_lab, project, tmp_path):
    template = TEMPLATES[name]
    env = ansible_env(runner_lab.env)
    if name == "spooky awx_configure":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env.update(CONTROLLER_HOST=f"https://127.0.0.1:{port}", CONTROLLER_OAUTH_TOKEN="not-a-token")
        runner, _ = run_template(template, env, project, tmp_path, cmdline="--check")
        failures = _failures(runner)
        assert runner.status == "failed" and failures, runner.stdout.read()[-3000:]
        assert all("Connection refused" in failure for failure in failures), failures
        return
    runner, extra = run_template(template, env, project, tmp_path)
    output = runner.stdout.read()
    if name in EXPECTED_FAILURES:
        failures = _failures(runner)
        assert runner.status == "failed" and failures, output[-3000:]
        assert all(failure.startswith(EXPECTED_FAILURES[name]) or EXPECTED_FAILURES[name] in failure.split(":")[0]
                   for failure in failures), failures
        return
    assert runner.status == "successful" and runner.rc == 0, f"{name} with {extra}: {_failures(runner)}\n{output[-4000:]}"
    stats = runner.stats
    assert stats and sum(stats.get("ok", {}).values()) > 0, stats
    assert not stats.get("failures") and not stats.get("dark"), stats
    if name in POST_CHECKS:
        POST_CHECKS[name](runner_lab)
