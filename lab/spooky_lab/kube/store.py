"""The object store of one emulated cluster: what etcd plus the apiserver's generic registry do.

Every write goes through `Store.put`, which assigns uid/creationTimestamp/generation, bumps the
cluster-wide resourceVersion only when the object really changed, and records a watch event.
"""

import copy
import datetime
import json
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from .catalogue import Catalogue, Kind
from .errors import AlreadyExists, BadRequest, Conflict, NotFound

Key = Tuple[str, str, str, str]  # (group, plural, namespace, name); namespace '' when cluster-scoped

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def now_rfc3339() -> str:
    return datetime.datetime.now(tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_part(obj: dict) -> dict:
    """What a change of bumps metadata.generation: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


@dataclass
class WatchEvent:
    resource_version: int
    type: str
    key: Key
    object: dict


class Store:
    def __init__(self, catalogue: Catalogue, history: int = 5000) -> None:
        self.catalogue = catalogue
        self.objects: Dict[Key, dict] = {}
        self.revision = 1
        self.events: List[WatchEvent] = []
        self._history = history
        self.listeners: List[Callable[[WatchEvent], None]] = []
        self.cluster_name = "lab"

    # --- bootstrapping and persistence ---------------------------------------------------------

    def bootstrap(self, cluster_name: str) -> None:
        self.cluster_name = cluster_name
        ns_kind = self.catalogue.by_kind("Namespace")
        for name in DEFAULT_NAMESPACES:
            if ("", "namespaces", "", name) not in self.objects:
                self.create(ns_kind, "", {"metadata": {"name": name}})
        node_kind = self.catalogue.by_kind("Node")
        node_name = f"{cluster_name}-node-1"
        if ("", "nodes", "", node_name) not in self.objects:
            self.create(node_kind, "", {
                "metadata": {"name": node_name, "labels": {"kubernetes.io/hostname": node_name, "topology.kubernetes.io/region": cluster_name}},
                "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                           "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                           "nodeInfo": {"kubeletVersion": "v1.30.0-spooky-lab"}},
            })

    def dump(self) -> dict:
        return {"revision": self.revision, "objects": [obj for _, obj in sorted(self.objects.items())]}

    def load(self, state: dict) -> None:
        objects: Dict[Key, dict] = {}
        for obj in state.get("objects", []):
            group, _, _ = obj["apiVersion"].rpartition("/")
            kind = self.catalogue.by_kind(obj["kind"], group)
            meta = obj["metadata"]
            objects[(kind.group, kind.plural, meta.get("namespace", ""), meta["name"])] = obj
        self.objects = objects
        self.revision = max(int(state.get("revision", 1)), self.revision) + 1
        self.events.clear()

    # --- reads ---------------------------------------------------------------------------------

    @staticmethod
    def key(kind: Kind, namespace: str, name: str) -> Key:
        return (kind.group, kind.plural, namespace if kind.namespaced else "", name)

    def get(self, kind: Kind, namespace: str, name: str) -> dict:
        obj = self.objects.get(self.key(kind, namespace, name))
        if obj is None:
            raise NotFound(f'{kind.group_resource} "{name}" not found',
                           {"name": name, "group": kind.group, "kind": kind.plural})
        return obj

    def find(self, kind: Kind, namespace: str, name: str) -> Optional[dict]:
        return self.objects.get(self.key(kind, namespace, name))

    def list(self, kind: Kind, namespace: Optional[str] = None) -> Iterator[dict]:
        for (group, plural, ns, _), obj in sorted(self.objects.items()):
            if group == kind.group and plural == kind.plural and (not namespace or ns == namespace):
                yield obj

    # --- writes --------------------------------------------------------------------------------

    def _record(self, event_type: str, key: Key, obj: dict) -> None:
        event = WatchEvent(self.revision, event_type, key, copy.deepcopy(obj))
        self.events.append(event)
        if len(self.events) > self._history:
            del self.events[: len(self.events) - self._history]
        for listener in list(self.listeners):
            listener(event)

    def _check_namespace(self, kind: Kind, namespace: str) -> None:
        if kind.namespaced:
            if not namespace:
                raise BadRequest(f"{kind.kind} is namespaced: a namespace is required")
            if ("", "namespaces", "", namespace) not in self.objects:
                raise NotFound(f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})
            ns = self.objects[("", "namespaces", "", namespace)]
            if ns.get("status", {}).get("phase") == "Terminating":
                raise Conflict(f"namespace {namespace} is being terminated")

    def prepare_new(self, kind: Kind, namespace: str, body: dict) -> dict:
        """Validate and default a new object without storing it (also used for dry runs)."""
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if body.get("kind") not in (None, kind.kind):
            raise BadRequest(f"the kind {body.get('kind')!r} does not match the resource {kind.group_resource!r}")
        if kind.namespaced:
            body_ns = meta.get("namespace")
            if namespace and body_ns and body_ns != namespace:
                raise BadRequest("the namespace of the provided object does not match the namespace sent on the request")
            namespace = namespace or body_ns or ""
            self._check_namespace(kind, namespace)
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
            else:
                raise BadRequest("metadata.name: Required value: name or generateName is required")
        if self.key(kind, namespace, meta["name"]) in self.objects:
            raise AlreadyExists(f'{kind.group_resource} "{meta["name"]}" already exists',
                                {"name": meta["name"], "group": kind.group, "kind": kind.plural})
        obj["apiVersion"] = kind.api_version()
        obj["kind"] = kind.kind
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("resourceVersion", None)
        meta.pop("deletionTimestamp", None)
        if "spec" in obj:
            meta["generation"] = 1
        _default(kind, obj)
        meta["resourceVersion"] = str(self.revision + 1)
        return obj

    def create(self, kind: Kind, namespace: str, body: dict) -> dict:
        obj = self.prepare_new(kind, namespace, body)
        self.revision += 1
        obj["metadata"]["resourceVersion"] = str(self.revision)
        key = self.key(kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self.objects[key] = obj
        self._record("ADDED", key, obj)
        return obj

    def prepare_update(self, kind: Kind, current: dict, new: dict, expected_rv: Optional[str]) -> Tuple[dict, bool]:
        """Validate an update, keep the fields a client cannot change, and tell whether anything changed."""
        if not isinstance(new, dict):
            raise BadRequest("the request body must be a JSON object")
        cur_meta = current["metadata"]
        if expected_rv and expected_rv != cur_meta["resourceVersion"]:
            raise Conflict(
                f'Operation cannot be fulfilled on {kind.group_resource} "{cur_meta["name"]}": the object has been modified; '
                f"please apply your changes to the latest version and try again",
                {"name": cur_meta["name"], "group": kind.group, "kind": kind.plural})
        obj = copy.deepcopy(new)
        meta = obj.setdefault("metadata", {})
        if meta.get("name", cur_meta["name"]) != cur_meta["name"]:
            raise BadRequest("metadata.name: the name of the object does not match the name on the URL")
        if kind.namespaced and meta.get("namespace", cur_meta["namespace"]) != cur_meta["namespace"]:
            raise BadRequest("metadata.namespace: the namespace of the object does not match the namespace on the URL")
        for field in ("name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "managedFields"):
            if field in cur_meta:
                meta[field] = cur_meta[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = cur_meta["resourceVersion"]
        obj["apiVersion"] = current["apiVersion"]
        obj["kind"] = kind.kind
        _default(kind, obj)
        changed = obj != current
        if changed and _spec_part(obj) != _spec_part(current) and "generation" in cur_meta:
            meta["generation"] = cur_meta["generation"] + 1
        elif changed and "spec" in obj and "generation" not in cur_meta:
            meta["generation"] = 1
        return obj, changed

    def put(self, kind: Kind, obj: dict) -> dict:
        """Store an already-prepared update; bumps resourceVersion."""
        meta = obj["metadata"]
        key = self.key(kind, meta.get("namespace", ""), meta["name"])
        if key not in self.objects:
            raise NotFound(f'{kind.group_resource} "{meta["name"]}" not found')
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        self.objects[key] = obj
        self._record("MODIFIED", key, obj)
        return obj

    def update(self, kind: Kind, current: dict, new: dict, expected_rv: Optional[str] = None) -> dict:
        obj, changed = self.prepare_update(kind, current, new, expected_rv)
        return self.put(kind, obj) if changed else current

    def delete(self, kind: Kind, namespace: str, name: str) -> dict:
        key = self.key(kind, namespace, name)
        obj = self.objects.pop(key, None)
        if obj is None:
            raise NotFound(f'{kind.group_resource} "{name}" not found', {"name": name, "group": kind.group, "kind": kind.plural})
        self.revision += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.revision)
        self._record("DELETED", key, obj)
        self._cascade(kind, obj)
        return obj

    def _cascade(self, kind: Kind, deleted: dict) -> None:
        """Garbage collection: owned objects go with their owner, namespaced objects with their namespace."""
        uid = deleted["metadata"]["uid"]
        for key, obj in list(self.objects.items()):
            if key not in self.objects:
                continue
            owners = obj.get("metadata", {}).get("ownerReferences") or []
            in_namespace = kind.kind == "Namespace" and key[2] == deleted["metadata"]["name"]
            if in_namespace or any(ref.get("uid") == uid for ref in owners):
                group, plural = key[0], key[1]
                owned_kind = next(k for k in self.catalogue.kinds if k.group == group and k.plural == plural)
                self.delete(owned_kind, key[2], key[3])

    def wipe(self) -> None:
        """Lose every object (a destroyed cluster), then come back with only the defaults."""
        for key in list(self.objects):
            obj = self.objects.pop(key)
            self.revision += 1
            self._record("DELETED", key, obj)


def _default(kind: Kind, obj: dict) -> None:
    """The defaulting a real apiserver does for the kinds the lab uses."""
    if kind.kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif kind.kind == "Secret":
        import base64
        string_data = obj.pop("stringData", None) or {}
        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj.setdefault("type", "Opaque")
    elif kind.kind == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        if "clusterIP" not in spec:
            digest = int(json.dumps(obj["metadata"].get("name")).encode().hex(), 16)
            spec["clusterIP"] = f"10.96.{(digest >> 8) % 250 + 1}.{digest % 250 + 1}"
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports", []):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    elif kind.kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        if kind.kind == "Deployment":
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
