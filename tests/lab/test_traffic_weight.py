"""spooky.ops.traffic_weight on the three traffic providers, against an emulated cluster."""

import json
import textwrap

import pytest
from kubernetes import config as k8s_config
from kubernetes import dynamic

NS = "traffic"


@pytest.fixture
def objects(lab):
    client = dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context="lab-edge"))
    namespaces = client.resources.get(api_version="v1", kind="Namespace")
    namespaces.create(body={"metadata": {"name": NS}})
    client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute").create(namespace=NS, body={
        "metadata": {"name": "web"}, "spec": {"parentRefs": [{"name": "lab-gateway"}],
                                              "rules": [{"backendRefs": [{"name": "web-stable", "port": 80}]}]}})
    client.resources.get(api_version="route.openshift.io/v1", kind="Route").create(namespace=NS, body={
        "metadata": {"name": "web"}, "spec": {"to": {"kind": "Service", "name": "web-stable", "weight": 100}}})
    client.resources.get(api_version="networking.k8s.io/v1", kind="Ingress").create(namespace=NS, body={
        "metadata": {"name": "web-canary", "annotations": {"nginx.ingress.kubernetes.io/canary": "true"}},
        "spec": {"rules": [{"host": "web", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                               "backend": {"service": {"name": "web-canary", "port": {"number": 80}}}}]}}]}})
    yield client
    namespaces.delete(name=NS)


PLAY = textwrap.dedent("""
    - hosts: lab-edge
      gather_facts: false
      module_defaults:
        spooky.ops.traffic_weight: {kubeconfig: "{{ spooky_kubeconfig }}", context: "{{ spooky_k8s_context }}", namespace: traffic}
      tasks:
        - name: weight
          spooky.ops.traffic_weight:
            provider: "{{ provider }}"
            name: "{{ 'web-canary' if provider == 'nginx' else 'web' }}"
            stable_service: "{{ omit if provider == 'nginx' else 'web-stable' }}"
            canary_service: "{{ omit if provider == 'nginx' else 'web-canary' }}"
            weight: "{{ weight | int }}"
          register: out
        - ansible.builtin.copy: {dest: "{{ dest }}", content: "{{ out | to_json }}", mode: "0644"}
          check_mode: false
    """)


@pytest.mark.parametrize("provider", ["gateway", "nginx", "openshift"])
def test_set_weight_is_idempotent_and_check_mode_changes_nothing(objects, run_playbook, tmp_path, provider):
    playbook = tmp_path / "weight.yml"
    playbook.write_text(PLAY)
    out = tmp_path / "out.json"

    def weight(value, check=False):
        result = run_playbook(str(playbook), "-e", f"provider={provider} weight={value} dest={out}", "--diff", check=check)
        assert result.returncode == 0, result.stdout[-2000:]
        return json.loads(out.read_text())

    first = weight(20, check=True)
    assert first["changed"] and first["previous_weight"] in (0, None)
    assert weight(20, check=True)["previous_weight"] in (0, None)  # check mode wrote nothing
    done = weight(20)
    assert done["changed"] and done["weight"] == 20 and done["diff"]["after"] == {"weight": 20}
    again = weight(20)
    assert not again["changed"] and again["previous_weight"] == 20
    back = weight(0)
    assert back["changed"] and back["previous_weight"] == 20


def test_bad_weight_is_rejected_before_anything_changes(objects, run_playbook, tmp_path):
    playbook = tmp_path / "weight.yml"
    playbook.write_text(PLAY)
    result = run_playbook(str(playbook), "-e", f"provider=gateway weight=120 dest={tmp_path / 'x'}")
    assert result.returncode != 0 and "weight must be an integer from 0 to 100, got 120" in result.stdout
    route = objects.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute").get(name="web", namespace=NS)
    assert [ref.get("weight") for ref in route.to_dict()["spec"]["rules"][0]["backendRefs"]] == [None]
