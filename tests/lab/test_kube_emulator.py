"""The emulated Kubernetes API behaves as kubernetes.core and the kubernetes client expect.

Each test goes through the real kubernetes Python client (typed and dynamic) or through
kubernetes.core modules run by ansible-playbook, against a cluster process of the test lab.
"""

import json
import ssl
import textwrap
import threading
import urllib.error
import urllib.request

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes import dynamic, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ConflictError

from spooky_lab import clusters

CLUSTER = "lab-west"  # tests may change it; lab-east stays as seeded for the playbook tests


@pytest.fixture(scope="module")
def api(lab):
    return k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context=CLUSTER)


@pytest.fixture(scope="module")
def dyn(api):
    return dynamic.DynamicClient(api)


@pytest.fixture
def ns(api, request):
    """A fresh namespace per test, deleted afterwards (deleting it deletes everything in it)."""
    name = "t-" + request.node.name.replace("_", "-")[:40].lower().strip("-")
    core = k8s_client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def _cm(name, data=None, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": "v"}}


def _deployment(name, image="registry.lab.local/app:1", replicas=2):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def test_create_answers_201_with_server_fields(api, ns):
    core = k8s_client.CoreV1Api(api)
    obj, status, _ = core.create_namespaced_config_map_with_http_info(ns, _cm("a"))
    assert status == 201
    assert obj.metadata.uid and obj.metadata.creation_timestamp and obj.metadata.resource_version
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, _cm("a"))
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "AlreadyExists"


def test_put_replaces_and_resource_version_changes_only_on_change(api, ns):
    core = k8s_client.CoreV1Api(api)
    created = core.create_namespaced_config_map(ns, _cm("b", {"x": "1"}))
    same = core.replace_namespaced_config_map("b", ns, _cm("b", {"x": "1"}))
    assert same.metadata.resource_version == created.metadata.resource_version
    changed = core.replace_namespaced_config_map("b", ns, _cm("b", {"x": "2"}))
    assert changed.data == {"x": "2"}
    assert int(changed.metadata.resource_version) > int(created.metadata.resource_version)
    assert changed.metadata.uid == created.metadata.uid


def test_stale_resource_version_is_a_409_conflict(api, ns, dyn):
    core = k8s_client.CoreV1Api(api)
    first = core.create_namespaced_config_map(ns, _cm("c", {"x": "1"}))
    stale = first.metadata.resource_version
    core.patch_namespaced_config_map("c", ns, {"data": {"x": "2"}})
    body = _cm("c", {"x": "3"})
    body["metadata"]["resourceVersion"] = stale
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("c", ns, body)
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "Conflict"
    # The same through a merge patch carrying the resourceVersion (optimistic concurrency of the dynamic client).
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    with pytest.raises(ConflictError):
        cms.patch(name="c", namespace=ns, body={"metadata": {"resourceVersion": stale}, "data": {"x": "4"}},
                  content_type="application/merge-patch+json")
    assert core.read_namespaced_config_map("c", ns).data == {"x": "2"}


def test_generation_counts_spec_changes_only(api, ns):
    apps = k8s_client.AppsV1Api(api)
    dep = apps.create_namespaced_deployment(ns, _deployment("g"))
    assert dep.metadata.generation == 1
    dep = apps.patch_namespaced_deployment("g", ns, {"metadata": {"labels": {"team": "sre"}}})
    assert dep.metadata.generation == 1
    dep = apps.patch_namespaced_deployment("g", ns, {"spec": {"replicas": 3}})
    assert dep.metadata.generation == 2 and dep.status.observed_generation == 2


def test_label_selectors_equality_inequality_and_sets(api, ns):
    core = k8s_client.CoreV1Api(api)
    for name, labels in (("p1", {"tier": "web", "env": "prod"}), ("p2", {"tier": "db", "env": "prod"}), ("p3", {"tier": "web"})):
        core.create_namespaced_config_map(ns, _cm(name, labels=labels))

    def names(selector):
        return sorted(i.metadata.name for i in core.list_namespaced_config_map(ns, label_selector=selector).items)

    assert names("tier=web") == ["p1", "p3"]
    assert names("tier==web,env=prod") == ["p1"]
    assert names("tier!=web") == ["p2"]
    assert names("env") == ["p1", "p2"]
    assert names("!env") == ["p3"]
    assert names("tier in (db, cache)") == ["p2"]
    assert names("tier notin (db)") == ["p1", "p3"]
    assert sorted(i.metadata.name for i in core.list_namespaced_config_map(ns, field_selector="metadata.name=p2").items) == ["p2"]


def test_lists_carry_kind_and_api_version(dyn, ns):
    listed = dyn.resources.get(api_version="apps/v1", kind="Deployment").get(namespace=ns)
    assert listed.kind == "DeploymentList" and listed.apiVersion == "apps/v1"
    assert listed.metadata.resourceVersion


@pytest.mark.parametrize("api_version,kind", [
    ("v1", "Namespace"), ("v1", "Pod"), ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Event"),
    ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"), ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("route.openshift.io/v1", "Route"), ("events.k8s.io/v1", "Event"),
])
def test_discovery_serves_every_kind_the_collection_uses(dyn, api_version, kind):
    resource = dyn.resources.get(api_version=api_version, kind=kind)
    assert resource.kind == kind
    assert resource.get().kind == f"{kind}List"


def test_scale_subresource(api, ns):
    apps = k8s_client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, _deployment("s", replicas=2))
    scale = apps.read_namespaced_deployment_scale("s", ns)
    assert scale.spec.replicas == 2 and scale.status.selector == "app=s"
    apps.patch_namespaced_deployment_scale("s", ns, {"spec": {"replicas": 5}})
    dep = apps.read_namespaced_deployment("s", ns)
    assert dep.spec.replicas == 5 and dep.status.ready_replicas == 5


def test_deployment_controller_keeps_replicasets_per_revision_and_ready_pods(api, ns):
    apps, core = k8s_client.AppsV1Api(api), k8s_client.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, _deployment("d", "registry.lab.local/app:1", 3))
    apps.patch_namespaced_deployment("d", ns, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.lab.local/app:2"}]}}}})
    rs = sorted(apps.list_namespaced_replica_set(ns).items, key=lambda r: int(r.metadata.annotations["deployment.kubernetes.io/revision"]))
    assert [r.spec.template.spec.containers[0].image for r in rs] == ["registry.lab.local/app:1", "registry.lab.local/app:2"]
    assert [r.spec.replicas for r in rs] == [0, 3]
    pods = core.list_namespaced_pod(ns, label_selector="app=d").items
    assert len(pods) == 3 and all(p.spec.containers[0].image.endswith(":2") for p in pods)
    assert all(c.status == "True" for p in pods for c in p.status.conditions if c.type == "Ready")
    dep = apps.read_namespaced_deployment("d", ns)
    assert (dep.status.ready_replicas, dep.status.updated_replicas, dep.metadata.annotations["deployment.kubernetes.io/revision"]) == (3, 3, "2")


def test_fault_annotation_makes_crashlooping_pods(api, ns):
    apps, core = k8s_client.AppsV1Api(api), k8s_client.CoreV1Api(api)
    body = _deployment("f", replicas=1)
    body["spec"]["template"]["metadata"]["annotations"] = {"lab.spooky.ops/fault": "crashloop"}
    apps.create_namespaced_deployment(ns, body)
    pod = core.list_namespaced_pod(ns, label_selector="app=f").items[0]
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert apps.read_namespaced_deployment("f", ns).status.ready_replicas is None


def test_dry_run_changes_nothing(api, ns):
    core = k8s_client.CoreV1Api(api)
    core.create_namespaced_config_map(ns, _cm("dry"), dry_run="All")
    assert core.list_namespaced_config_map(ns).items == []
    core.create_namespaced_config_map(ns, _cm("dry", {"x": "1"}))
    core.patch_namespaced_config_map("dry", ns, {"data": {"x": "2"}}, dry_run="All")
    assert core.read_namespaced_config_map("dry", ns).data == {"x": "1"}


def test_namespaces_are_required_and_cascade(api, ns):
    core, apps = k8s_client.CoreV1Api(api), k8s_client.AppsV1Api(api)
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("no-such-namespace", _cm("x"))
    assert exc.value.status == 404
    core.create_namespace({"metadata": {"name": f"{ns}-gone"}})
    apps.create_namespaced_deployment(f"{ns}-gone", _deployment("d"))
    core.delete_namespace(f"{ns}-gone")
    assert [p for p in core.list_pod_for_all_namespaces().items if p.metadata.namespace == f"{ns}-gone"] == []


def test_watch_streams_changes(api, ns):
    core = k8s_client.CoreV1Api(api)
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    seen = []

    def follow():
        for event in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=5):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                break

    thread = threading.Thread(target=follow)
    thread.start()
    core.create_namespaced_config_map(ns, _cm("w"))
    core.patch_namespaced_config_map("w", ns, {"data": {"k": "changed"}})
    thread.join(10)
    assert seen == [("ADDED", "w"), ("MODIFIED", "w")]


def test_tls_is_verified_and_a_token_is_required(lab):
    url = f"https://{lab.host}:{lab.api_port(CLUSTER)}/api/v1/namespaces"
    with pytest.raises(urllib.error.URLError) as exc:
        urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=5)  # the lab CA is not a public CA
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc.value)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(url, context=clusters.ssl_context(lab), timeout=5)
    assert exc.value.code == 401


def test_unreachable_and_back(lab, api):
    core = k8s_client.CoreV1Api(api)
    clusters.control(lab, CLUSTER, "unreachable")
    try:
        with pytest.raises(Exception) as exc:
            core.list_namespace(_request_timeout=2)
        assert "Connection refused" in str(exc.value) or "Max retries" in str(exc.value)
    finally:
        clusters.control(lab, CLUSTER, "reachable")
    assert any(n.metadata.name == "demo" for n in core.list_namespace(_request_timeout=5).items)


def test_state_saved_and_loaded(lab, api, ns, tmp_path):
    core = k8s_client.CoreV1Api(api)
    core.create_namespaced_config_map(ns, _cm("keep", {"x": "1"}))
    clusters.save(lab, CLUSTER, tmp_path / "west.json")
    core.delete_namespaced_config_map("keep", ns)
    core.create_namespaced_config_map(ns, _cm("later"))
    clusters.load(lab, CLUSTER, tmp_path / "west.json")
    assert sorted(c.metadata.name for c in core.list_namespaced_config_map(ns).items) == ["keep"]
    saved = json.loads((tmp_path / "west.json").read_text())
    assert saved["cluster"] == CLUSTER and any(o["metadata"]["name"] == "keep" for o in saved["objects"])


def test_kubernetes_core_modules(run_playbook, tmp_path, api):
    """k8s (create, no-op, strategic patch, server-side apply with field removal), k8s_info, k8s_scale, k8s_rollback."""
    playbook = tmp_path / "emulator.yml"
    playbook.write_text(textwrap.dedent("""
        - hosts: lab-west
          gather_facts: false
          module_defaults:
            group/kubernetes.core.k8s: {kubeconfig: "{{ spooky_kubeconfig }}", context: "{{ spooky_k8s_context }}"}
          environment: {K8S_AUTH_KUBECONFIG: "{{ spooky_kubeconfig }}", K8S_AUTH_CONTEXT: "{{ spooky_k8s_context }}"}
          tasks:
            - kubernetes.core.k8s:
                definition: {apiVersion: v1, kind: Namespace, metadata: {name: mods}}
            - &dep
              name: deployment web
              kubernetes.core.k8s:
                namespace: mods
                definition:
                  apiVersion: apps/v1
                  kind: Deployment
                  metadata: {name: web}
                  spec:
                    replicas: 2
                    selector: {matchLabels: {app: web}}
                    template:
                      metadata: {labels: {app: web}}
                      spec: {containers: [{name: web, image: "registry.lab.local/web:1"}]}
            - *dep
            - kubernetes.core.k8s:
                state: patched
                kind: Deployment
                name: web
                namespace: mods
                definition: {spec: {template: {spec: {containers: [{name: web, image: "registry.lab.local/web:2"}]}}}}
              register: patched
            - kubernetes.core.k8s_scale: {api_version: apps/v1, kind: Deployment, name: web, namespace: mods, replicas: 4}
            - kubernetes.core.k8s_rollback: {api_version: apps/v1, kind: Deployment, name: web, namespace: mods}
              register: rolled
            - kubernetes.core.k8s:
                namespace: mods
                apply: true
                server_side_apply: {field_manager: spooky}
                definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: ssa}, data: {a: "1", b: "2"}}
            - kubernetes.core.k8s:
                namespace: mods
                apply: true
                server_side_apply: {field_manager: spooky}
                definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: ssa}, data: {a: "1"}}
              register: ssa
            - kubernetes.core.k8s_info: {kind: Deployment, namespace: mods, name: web}
              register: web
            - ansible.builtin.copy:
                dest: "{{ out }}"
                content: "{{ {'patched': patched.changed,
                             'rolled': rolled.changed, 'ssa': ssa.result.data, 'web': web.resources[0]} | to_json }}"
                mode: "0644"
            - kubernetes.core.k8s: {state: absent, kind: Namespace, name: mods}
        """))
    out = tmp_path / "out.json"
    result = run_playbook(str(playbook), "-e", f"out={out}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=" in result.stdout
    data = json.loads(out.read_text())
    assert data["patched"] and data["rolled"], data
    assert data["ssa"] == {"a": "1"}  # the field the manager stopped applying is gone
    web = data["web"]
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.lab.local/web:1"
    assert web["spec"]["replicas"] == 4 and web["status"]["readyReplicas"] == 4
    assert web["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    # The second, identical task changed nothing.
    runs = result.stdout.split("TASK [deployment web]")
    assert "changed: [lab-west]" in runs[1].split("TASK")[0]
    assert "ok: [lab-west]" in runs[2].split("TASK")[0]
