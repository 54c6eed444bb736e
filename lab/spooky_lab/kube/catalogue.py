"""The kinds the emulated clusters serve, and the discovery documents built from them."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


@dataclass(frozen=True)
class Kind:
    group: str
    versions: Tuple[str, ...]  # the first is the preferred (storage) version
    plural: str
    kind: str
    namespaced: bool = True
    subresources: Tuple[str, ...] = ()
    short_names: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def api_version(self, version: Optional[str] = None) -> str:
        version = version or self.versions[0]
        return f"{self.group}/{version}" if self.group else version


VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

KINDS: Tuple[Kind, ...] = (
    Kind("", ("v1",), "namespaces", "Namespace", namespaced=False, subresources=("status",), short_names=("ns",)),
    Kind("", ("v1",), "nodes", "Node", namespaced=False, subresources=("status",), short_names=("no",)),
    Kind("", ("v1",), "pods", "Pod", subresources=("status",), short_names=("po",), categories=("all",)),
    Kind("", ("v1",), "services", "Service", subresources=("status",), short_names=("svc",), categories=("all",)),
    Kind("", ("v1",), "configmaps", "ConfigMap", short_names=("cm",)),
    Kind("", ("v1",), "secrets", "Secret"),
    Kind("", ("v1",), "events", "Event", short_names=("ev",)),
    Kind("", ("v1",), "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    Kind("", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim", subresources=("status",), short_names=("pvc",)),
    Kind("apps", ("v1",), "deployments", "Deployment", subresources=("scale", "status"), short_names=("deploy",), categories=("all",)),
    Kind("apps", ("v1",), "replicasets", "ReplicaSet", subresources=("scale", "status"), short_names=("rs",), categories=("all",)),
    Kind("apps", ("v1",), "statefulsets", "StatefulSet", subresources=("scale", "status"), short_names=("sts",), categories=("all",)),
    Kind("apps", ("v1",), "daemonsets", "DaemonSet", subresources=("status",), short_names=("ds",), categories=("all",)),
    Kind("autoscaling", ("v2", "v1"), "horizontalpodautoscalers", "HorizontalPodAutoscaler", subresources=("status",),
         short_names=("hpa",), categories=("all",)),
    Kind("batch", ("v1",), "jobs", "Job", subresources=("status",), categories=("all",)),
    Kind("batch", ("v1",), "cronjobs", "CronJob", subresources=("status",), short_names=("cj",), categories=("all",)),
    Kind("networking.k8s.io", ("v1",), "ingresses", "Ingress", subresources=("status",), short_names=("ing",)),
    Kind("events.k8s.io", ("v1",), "events", "Event", short_names=("ev",)),
    Kind("gateway.networking.k8s.io", ("v1",), "httproutes", "HTTPRoute", subresources=("status",), categories=("gateway-api",)),
    Kind("gateway.networking.k8s.io", ("v1",), "gateways", "Gateway", subresources=("status",), short_names=("gtw",),
         categories=("gateway-api",)),
    Kind("route.openshift.io", ("v1",), "routes", "Route", subresources=("status",)),
)


@dataclass
class Catalogue:
    kinds: Tuple[Kind, ...] = KINDS
    _by_path: Dict[Tuple[str, str, str], Kind] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for kind in self.kinds:
            for version in kind.versions:
                self._by_path[(kind.group, version, kind.plural)] = kind

    def find(self, group: str, version: str, plural: str) -> Optional[Kind]:
        return self._by_path.get((group, version, plural))

    def by_kind(self, kind_name: str, group: str = "") -> Kind:
        for kind in self.kinds:
            if kind.kind == kind_name and kind.group == group:
                return kind
        raise KeyError(f"{group}/{kind_name}")

    def groups(self) -> List[str]:
        seen: List[str] = []
        for kind in self.kinds:
            if kind.group and kind.group not in seen:
                seen.append(kind.group)
        return seen

    def group_versions(self, group: str) -> List[str]:
        versions: List[str] = []
        for kind in self.kinds:
            if kind.group == group:
                for version in kind.versions:
                    if version not in versions:
                        versions.append(version)
        return versions

    # --- discovery documents -------------------------------------------------------------------

    def api_versions(self) -> dict:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}

    def api_group(self, group: str) -> dict:
        versions = self.group_versions(group)
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": entries, "preferredVersion": entries[0]}

    def api_group_list(self) -> dict:
        groups = []
        for group in self.groups():
            doc = self.api_group(group)
            doc.pop("kind")
            doc.pop("apiVersion")
            groups.append(doc)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> Optional[dict]:
        kinds = [k for k in self.kinds if k.group == group and version in k.versions]
        if not kinds:
            return None
        resources = []
        for kind in kinds:
            resources.append({
                "name": kind.plural, "singularName": kind.kind.lower(), "namespaced": kind.namespaced,
                "kind": kind.kind, "verbs": VERBS, "shortNames": list(kind.short_names),
                "categories": list(kind.categories),
            })
            for sub in kind.subresources:
                sub_kind = "Scale" if sub == "scale" else kind.kind
                entry = {"name": f"{kind.plural}/{sub}", "singularName": "", "namespaced": kind.namespaced,
                         "kind": sub_kind, "verbs": ["get", "patch", "update"]}
                if sub == "scale":
                    entry.update({"group": "autoscaling", "version": "v1"})
                resources.append(entry)
        group_version = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}

    def paths(self) -> List[str]:
        paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/readyz", "/livez"}
        for group in self.groups():
            paths.add(f"/apis/{group}")
            for version in self.group_versions(group):
                paths.add(f"/apis/{group}/{version}")
        return sorted(paths)
