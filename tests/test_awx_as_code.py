"""AWX as code (awx/, playbooks/awx_configure.yml, scripts/systemd_units.py, execution-environment.yml), no lab:
every playbook has a job template and every template a playbook; survey variables are read by their playbook or
role; the schedules' RRULEs parse (python-dateutil) and recur at the seeds' cadences; the canary workflow has an
approval node before promotion and a failure path to the rollback playbook; the systemd timers fire when the
RRULEs do (systemd-analyze); the configure playbook's task arguments pass the awx.awx modules' own validation."""

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

REPO = Path(__file__).resolve().parents[1]
AWX = REPO / "awx"
COLLECTION = REPO / "collections/ansible_collections/spooky/ops"
AWX_MODULES = REPO / ".deps/collections/ansible_collections/awx/awx/plugins/modules"
CONTROLLER = yaml.safe_load((AWX / "controller.yml").read_text())
TEMPLATES = yaml.safe_load((AWX / "job_templates.yml").read_text())["awx_job_templates"]
WORKFLOWS = yaml.safe_load((AWX / "workflows.yml").read_text())["awx_workflows"]
SCHEDULES = yaml.safe_load((AWX / "schedules.yml").read_text())["awx_schedules"]


class _UnsafeLoader(yaml.SafeLoader):
    """yaml.safe_load, and Ansible's !unsafe tag (credentials.yml keeps the controller's injector templates literal)."""


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
CREDENTIAL_TYPES = yaml.load((AWX / "credentials.yml").read_text(), Loader=_UnsafeLoader)["awx_credential_types"]
BY_NAME = {template["name"]: template for template in TEMPLATES}
CADENCES = {"15 minutes": relativedelta(minutes=15), "1 hour": relativedelta(hours=1), "1 day": relativedelta(days=1),
            "1 week": relativedelta(weeks=1), "1 month": relativedelta(months=1), "3 months": relativedelta(months=3),
            "90 days": relativedelta(days=90)}
sys.path.insert(0, str(REPO / "scripts"))
import systemd_units  # noqa: E402  pylint: disable=wrong-import-position


def _sources(playbook):
    """The text of a playbook, of the task files it includes from playbooks/tasks and of the roles it uses."""
    text = (REPO / playbook).read_text()
    parts = [text]
    for name in re.findall(r"tasks/([\w.]+\.yml)", text):
        if (REPO / "playbooks/tasks" / name).exists():
            parts.append((REPO / "playbooks/tasks" / name).read_text())
    for role in set(re.findall(r"spooky\.ops\.(\w+)", text)):
        if (COLLECTION / "roles" / role).is_dir():
            parts += [path.read_text() for path in (COLLECTION / "roles" / role).rglob("*.yml")]
    return "\n".join(parts)


def _uses(playbook, variable):
    return re.search(rf"\b{re.escape(variable)}\b", _sources(playbook)) is not None


def test_every_playbook_has_a_job_template_and_every_template_a_playbook():
    playbooks = {f"playbooks/{path.name}" for path in (REPO / "playbooks").glob("*.yml")}
    templated = [template["playbook"] for template in TEMPLATES]
    assert len(templated) == len(set(templated)) and len(BY_NAME) == len(TEMPLATES), "one template per playbook, unique names"
    assert playbooks - set(templated) == set(), "playbooks without a job template (add them to awx/job_templates.yml)"
    assert set(templated) - playbooks == set(), "job templates pointing at a missing playbook"
    for template in TEMPLATES:
        assert set(template.get("credentials", [])) <= set(CONTROLLER["awx_credentials"]), template["name"]


def test_the_credentials_of_the_playbooks_secrets_have_types_and_secrets_from_the_environment():
    assert {kind["key"] for kind in CREDENTIAL_TYPES} == {"kubeconfig", "backup_store", "event_bus"}
    for kind in CREDENTIAL_TYPES:
        assert kind["key"] in CONTROLLER["awx_credentials"]
        fields = {field["id"]: field for field in kind["inputs"]["fields"]}
        assert set(kind["secrets"]) == set(fields) == set(kind["inputs"]["required"]), kind["key"]
        assert all(variable.startswith("SPOOKY_AWX_") for variable in kind["secrets"].values())
        injected = yaml.safe_dump(kind["injectors"])
        assert all("{{ %s }}" % field in injected for field in fields), kind["key"]  # every secret reaches the playbooks
    task = next(t for t in yaml.safe_load((REPO / "playbooks/awx_configure.yml").read_text())[0]["tasks"] if "awx.awx.credential" in t)
    assert task["no_log"] is True


def test_survey_variables_are_read_by_their_playbook_or_role():
    for template in TEMPLATES:
        for question in template.get("survey", []):
            assert {"question_name", "variable", "type", "required"} <= set(question), (template["name"], question)
            assert question["type"] in {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
            assert _uses(template["playbook"], question["variable"]), (template["name"], question["variable"])
            if "choices" in question and "default" in question:
                assert set(str(question["default"]).split("\n")) <= set(question["choices"]), (template["name"], question)
    for workflow in WORKFLOWS:
        playbooks = [BY_NAME[node["unified_job_template"]["name"]]["playbook"] for node in workflow["workflow_nodes"]
                     if node["unified_job_template"]["type"] == "job_template"]
        for question in workflow.get("survey", []):
            assert any(_uses(playbook, question["variable"]) for playbook in playbooks), question["variable"]


def test_schedule_and_node_variables_are_accepted_by_their_template():
    """AWX refuses launch variables that are neither survey questions nor allowed by ask_variables_on_launch."""
    launches = [(s["template"], s.get("extra_data", {})) for s in SCHEDULES]
    launches += [(n["unified_job_template"]["name"], n.get("extra_data", {}))
                 for w in WORKFLOWS for n in w["workflow_nodes"] if n["unified_job_template"]["type"] == "job_template"]
    for name, extra in launches:
        template = BY_NAME[name]
        surveyed = {question["variable"] for question in template.get("survey", [])}
        for variable in extra:
            assert variable in surveyed or template.get("variables_on_launch"), (name, variable)
            assert _uses(template["playbook"], variable), (name, variable)


def test_the_rrules_parse_and_recur_at_the_seeds_cadences():
    ids = [schedule["id"] for schedule in SCHEDULES]
    assert len(ids) == len(set(ids))
    for schedule in SCHEDULES:
        assert schedule["template"] in BY_NAME, schedule["id"]
        assert re.fullmatch(r"DTSTART;TZID=UTC:\d{8}T\d{6} RRULE:FREQ=\w+(;\w+=[\w,]+)*", schedule["rrule"]), schedule["rrule"]
        rule = rrulestr(schedule["rrule"].replace(" ", "\n"))
        runs = list(rule[:6])
        step = CADENCES[schedule["every"]]
        for earlier, later in zip(runs, runs[1:]):
            assert later == earlier + step, (schedule["id"], earlier, later)
    cadence = {(s["template"], s["every"], tuple(s.get("extra_data", {}).get("backup_kinds", []))) for s in SCHEDULES}
    assert ("spooky daily_check", "1 day", ()) in cadence
    assert ("spooky backup", "15 minutes", ("redis",)) in cadence                    # seed 002 Redis
    assert any(t == "spooky backup" and e == "1 hour" and "config" in k for t, e, k in cadence)  # seed 002 configuration
    assert any(t == "spooky backup" and e == "1 day" and "postgres" in k for t, e, k in cadence)  # seed 000 nightly
    assert ("spooky restore_verify", "1 week", ()) in cadence                       # seed 000 weekly dry run
    assert {("spooky chaos_drill", "1 month", ()), ("spooky chaos_partition", "1 month", ())} <= cadence
    assert {("spooky dr_drill", "1 month", ()), ("spooky dr_drill", "3 months", ())} <= cadence
    assert ("spooky key_rotation", "90 days", ()) in cadence
    redis = next(s for s in SCHEDULES if s["id"] == "backup-redis")
    assert len(list(rrulestr(redis["rrule"].replace(" ", "\n"))[:97])) == 97
    quarterly = list(rrulestr(next(s for s in SCHEDULES if s["every"] == "3 months")["rrule"].replace(" ", "\n"))[:4])
    assert [run.month for run in quarterly] == [1, 4, 7, 10]


def _graph(workflow):
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    edges = {(ident, kind): [n["identifier"] for n in node.get("related", {}).get(f"{kind}_nodes", [])]
             for ident, node in nodes.items() for kind in ("success", "failure", "always")}
    return nodes, edges


def test_the_canary_workflow_approves_before_promotion_and_rolls_back_on_failure():
    workflow = next(w for w in WORKFLOWS if w["name"] == "spooky canary rollout")
    nodes, edges = _graph(workflow)
    playbook = {ident: BY_NAME[node["unified_job_template"]["name"]]["playbook"]
                for ident, node in nodes.items() if node["unified_job_template"]["type"] == "job_template"}
    approvals = {ident for ident, node in nodes.items() if node["unified_job_template"]["type"] == "workflow_approval"}
    analysis = next(i for i, p in playbook.items() if p == "playbooks/canary_rollout.yml")
    promote = next(i for i, p in playbook.items() if p == "playbooks/canary_promote.yml")
    rollback = {i for i, p in playbook.items() if p == "playbooks/rollback.yml"}
    assert nodes[analysis]["extra_data"]["canary_policy_gate_tasks"] == "tasks/canary_hold_for_approval.yml"
    assert (REPO / "playbooks" / nodes[analysis]["extra_data"]["canary_policy_gate_tasks"]).exists()
    # the only way to promotion: analysis succeeds -> an approval node succeeds -> promote
    parents = [(src, kind) for (src, kind), targets in edges.items() if promote in targets]
    assert parents and all(src in approvals and kind == "success" for src, kind in parents), parents
    assert edges[(analysis, "success")] == [src for src, _ in parents]
    for approval in approvals:
        assert 0 < nodes[approval]["unified_job_template"]["timeout"] <= 24 * 3600
    # every step before the rollback has a failure path to the rollback playbook
    for ident in [analysis, *approvals, promote]:
        assert set(edges[(ident, "failure")]) & rollback, f"{ident}: no failure path to playbooks/rollback.yml"
    # the roots: only the analysis (a node nobody points at)
    pointed = {t for targets in edges.values() for t in targets}
    assert set(nodes) - pointed == {analysis}


def _documented_options(module):
    tree = ast.parse((AWX_MODULES / f"{module}.py").read_text())
    doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION")
    return yaml.safe_load(doc)["options"]


def _check_keys(data, options, where):
    for key, value in data.items():
        assert key in options, f"{where}: {key} is not an option of the awx.awx module"
        sub = options[key].get("suboptions")
        if sub and isinstance(value, dict):
            _check_keys(value, sub, f"{where}.{key}")
        elif sub and isinstance(value, list):
            for element in value:
                _check_keys(element, sub, f"{where}.{key}[]")


@pytest.mark.skipif(not AWX_MODULES.is_dir(), reason="awx.awx not in .deps/collections (make setup)")
def test_workflow_nodes_match_the_documented_suboptions():
    """workflow_nodes is a list of dicts without suboptions in the module's argument_spec: check it against its doc."""
    options = _documented_options("workflow_job_template")
    for workflow in WORKFLOWS:
        for node in workflow["workflow_nodes"]:
            _check_keys(node, options["workflow_nodes"]["suboptions"], f"{workflow['name']}:{node['identifier']}")


def _next_elapses(expression, base, count):
    out = subprocess.run(["systemd-analyze", "calendar", f"--base-time={base:%Y-%m-%d %H:%M:%S} UTC", f"--iterations={count}",
                          expression], capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"}).stdout
    return re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", out)


def test_systemd_units_are_written_for_every_schedule(tmp_path):
    assert systemd_units.main([str(tmp_path), "--repo", str(tmp_path), "--ansible-playbook", "ansible-playbook"]) == 0
    for schedule in SCHEDULES:
        service = (tmp_path / f"spooky-{schedule['id']}.service").read_text()
        timer = (tmp_path / f"spooky-{schedule['id']}.timer").read_text()
        assert f" {BY_NAME[schedule['template']]['playbook']}" in service and "Type=oneshot" in service
        for variable in schedule.get("extra_data", {}):
            assert f'"{variable}"' in service
        assert f"Unit=spooky-{schedule['id']}.service" in timer and "Persistent=true" in timer
    with pytest.raises(ValueError, match="gate"):
        systemd_units.on_calendar("DTSTART;TZID=UTC:20260101T040000 RRULE:FREQ=DAILY;INTERVAL=90")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_the_timers_fire_when_the_rrules_do():
    group_vars = yaml.safe_load((REPO / "inventories/lab/group_vars/all.yml").read_text())
    for schedule in SCHEDULES:
        rule = rrulestr(schedule["rrule"].replace(" ", "\n"))
        runs = list(rule[:5])
        expression = systemd_units.on_calendar(schedule["rrule"], schedule.get("gate"))
        elapses = _next_elapses(expression, runs[0] - timedelta(seconds=1), 5)
        if schedule.get("gate"):
            # OnCalendar cannot count 90 days: the timer fires daily at the same time and the playbook's own gate
            # (signing_rotation_days) skips every run until the key is that old.
            assert CADENCES[schedule["every"]] == relativedelta(days=group_vars[schedule["gate"]])
            runs = [runs[0] + timedelta(days=n) for n in range(5)]
        assert elapses == [f"{run:%Y-%m-%d %H:%M:%S}" for run in runs], (schedule["id"], expression)


def test_the_execution_environment_lists_the_collections_dependencies():
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    deps = ee["dependencies"]
    for key in ("python", "system", "galaxy"):
        assert (REPO / deps[key]).is_file(), deps[key]
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    required = {c["name"] for c in yaml.safe_load((REPO / deps["galaxy"]).read_text())["collections"]}
    assert set(galaxy["dependencies"]) <= required
    pins = (REPO / deps["python"]).read_text()
    assert deps["ansible_core"]["package_pip"] in pins and deps["ansible_runner"]["package_pip"] in pins


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_of_each_shape(items):
    """The indices of the first item of each shape (its keys and their value types): every way the tasks template
    their arguments, in as few module runs as possible (each costs half a second on a loaded machine)."""
    seen = {}
    for index, item in enumerate(items):
        seen.setdefault(tuple(sorted((key, type(value).__name__) for key, value in item.items())), index)
    return sorted(seen.values())


@pytest.mark.skipif(not AWX_MODULES.is_dir(), reason="awx.awx not in .deps/collections (make setup)")
def test_the_configure_playbook_fails_only_at_the_connection(tmp_path):
    """Run a copy of playbooks/awx_configure.yml in --check against a closed port, each awx.awx task going on after
    its failure, for one item of each shape (the items spread over 2 local hosts to run in parallel). AnsibleModule checks the templated
    arguments against the module's argument_spec - names, types, choices, required - before any request, so a task
    whose every item fails with the connection error has arguments the module accepts; two control tasks with a bad
    argument show that such an error would be reported instead."""
    play = yaml.safe_load((REPO / "playbooks/awx_configure.yml").read_text())
    workers = 2
    play[0]["hosts"] = "awx_validate"
    tasks = play[0]["tasks"]
    awx_tasks = [task for task in tasks if any(key.startswith("awx.awx.") for key in task)]
    share = "[groups['awx_validate'].index(inventory_hostname)::%d]" % workers
    picked = {"awx_job_templates": _one_of_each_shape(TEMPLATES), "awx_workflows": _one_of_each_shape(WORKFLOWS),
              "awx_schedules": _one_of_each_shape(SCHEDULES), "awx_credential_types": list(range(len(CREDENTIAL_TYPES)))}
    expected_items = [len(picked[task["loop"].strip("{} ")]) if "loop" in task else 1 for task in awx_tasks]
    for number, task in enumerate(awx_tasks):
        task["register"] = f"awx_result_{number}"
        task["ignore_errors"] = True
        if "loop" in task:
            data = task["loop"].strip("{} ")
            task["loop"] = "{{ [" + ", ".join(f"{data}[{index}]" for index in picked[data]) + "]" + share + " }}"
        else:
            task["when"] = "inventory_hostname == 'v0'"
    job_template = next(task for task in awx_tasks if "awx.awx.job_template" in task)
    control = {**job_template["awx.awx.job_template"], "job_type": "{{ 'bogus' if item.bad == 'choice' else 'run' }}",
               "not_an_option": "{{ 1 if item.bad == 'unknown' else omit }}"}
    tasks.append({"name": "Control | a bad choice, an unknown option", "register": "awx_control", "ignore_errors": True,
                  "awx.awx.job_template": control,
                  "loop": "{{ [awx_job_templates[0] | combine({'bad': 'choice'}), awx_job_templates[0] | combine({'bad': 'unknown'})]"
                          + share + " }}"})
    tasks.append({"name": "Collect", "check_mode": False, "ansible.builtin.copy": {
        "dest": str(tmp_path / "results-{{ inventory_hostname }}.json"), "mode": "0600",
        "content": "{{ [" + ", ".join(f"awx_result_{n}" for n in range(len(awx_tasks))) + ", awx_control] | to_json }}"}})
    copy = tmp_path / "awx_configure.yml"
    copy.write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[awx_validate]\n" + "".join(f"v{n} ansible_connection=local ansible_python_interpreter={sys.executable}\n"
                                                      for n in range(workers)))
    port = _closed_port()
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "CONTROLLER_HOST": f"https://127.0.0.1:{port}",
           "CONTROLLER_OAUTH_TOKEN": "not-a-token", "SPOOKY_OPS_LOG": str(tmp_path / "ops_log.jsonl"), "ANSIBLE_FORKS": str(workers),
           **{variable: "not-a-secret" for kind in CREDENTIAL_TYPES for variable in kind["secrets"].values()},
           "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'collections'}:{REPO / '.deps/collections'}"}
    run = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "--check", "-i", str(inventory), str(copy),
                          "-e", f"awx_dir={AWX}"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    per_host = [json.loads((tmp_path / f"results-v{n}.json").read_text()) for n in range(workers)]
    outcome = [[item for host in per_host if not host[task].get("skipped") for item in host[task].get("results", [host[task]])
                if not item.get("skipped")] for task in range(len(awx_tasks) + 1)]
    for task, items, expected in zip(awx_tasks, outcome, expected_items):
        assert len(items) == expected, task["name"]
        for item in items:
            assert item.get("failed"), (task["name"], item)
            assert f"127.0.0.1:{port}" in item["msg"] and "Connection refused" in item["msg"], (task["name"], item["msg"])
    messages = {item["item"]["bad"]: item["msg"] for item in outcome[-1]}
    bad_choice, unknown = messages["choice"], messages["unknown"]
    assert "job_type" in bad_choice and "must be one of" in bad_choice and "127.0.0.1" not in bad_choice
    assert "Unsupported parameters" in unknown and "not_an_option" in unknown
