"""The demo workload seeded into every lab cluster: what the playbooks check, roll out and back up.

Written through the real kubernetes client (dynamic client, discovery included), so seeding is
itself a smoke test of the emulator. Seeding is idempotent: existing objects are left alone.
"""

from typing import Iterable, List

from kubernetes import config as k8s_config
from kubernetes import dynamic
from kubernetes.client import exceptions as k8s_exceptions

NAMESPACE = "demo"
IMAGE = "registry.lab.local/spooky/demo"
STABLE_VERSION = "1.4.2"


def _deployment(track: str, replicas: int, version: str) -> dict:
    labels = {"app": "demo", "track": track}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"demo-{track}", "namespace": NAMESPACE, "labels": dict(labels, **{"app.kubernetes.io/part-of": "demo"})},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": dict(labels, version=version)},
                "spec": {"containers": [{
                    "name": "demo", "image": f"{IMAGE}:{version}",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                }]},
            },
        },
    }


def _slot_deployment(slot: str, version: str, replicas: int) -> dict:
    """A blue/green slot: the blue_green playbook deploys the idle slot and switches Service demo-live to it."""
    dep = _deployment(slot, replicas, version)
    labels = {"app": "demo-bg", "slot": slot}
    dep["metadata"].update(name=f"demo-{slot}", labels=dict(labels))
    dep["spec"]["selector"] = {"matchLabels": labels}
    dep["spec"]["template"]["metadata"]["labels"] = dict(labels, version=version)
    return dep


def _service(name: str, selector: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": "demo"}},
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}


def _ingress(name: str, service: str, annotations: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": "demo"}, "annotations": annotations},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "demo.lab.local", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]},
    }


def manifests(cluster: str) -> List[dict]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": {"spooky.ops/managed": "true"}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo-config", "namespace": NAMESPACE},
         "data": {"cluster": cluster, "log_level": "info", "feature.canary_analysis": "enabled"}},
        _deployment("stable", 3, STABLE_VERSION),
        _deployment("canary", 1, STABLE_VERSION),
        _service("demo", {"app": "demo", "track": "stable"}),
        _service("demo-stable", {"app": "demo", "track": "stable"}),
        _service("demo-canary", {"app": "demo", "track": "canary"}),
        _slot_deployment("blue", STABLE_VERSION, 2),
        _service("demo-live", {"app": "demo-bg", "slot": "blue"}),
        _ingress("demo", "demo-stable", {}),
        _ingress("demo-canary", "demo-canary", {"nginx.ingress.kubernetes.io/canary": "true",
                                                "nginx.ingress.kubernetes.io/canary-weight": "0"}),
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "demo", "namespace": NAMESPACE, "labels": {"app": "demo"}},
         "spec": {"parentRefs": [{"name": "lab-gateway", "namespace": "kube-system"}], "hostnames": ["demo.lab.local"],
                  "rules": [{"backendRefs": [{"name": "demo-stable", "port": 80, "weight": 100},
                                             {"name": "demo-canary", "port": 80, "weight": 0}]}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
         "metadata": {"name": "demo-stable", "namespace": NAMESPACE},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "demo-stable"},
                  "minReplicas": 3, "maxReplicas": 10,
                  "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}},
    ]


def seed(kubeconfig: str, contexts: Iterable[str]) -> int:
    """Create the demo workload where it is missing; returns the number of objects created."""
    created = 0
    for context in contexts:
        client = dynamic.DynamicClient(k8s_config.new_client_from_config(config_file=kubeconfig, context=context))
        for manifest in manifests(context):
            api = client.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
            try:
                api.create(body=manifest, namespace=manifest["metadata"].get("namespace"))
                created += 1
            except k8s_exceptions.ApiException as exc:
                if exc.status != 409:
                    raise
    return created
