"""A minimal Deployment controller: ReplicaSets per template revision, Pods, status; plus HPA status.

It runs synchronously after every write that can affect it, so a client sees the settled state as
soon as its write returns (a real cluster converges a moment later; see lab/README.md).

Fault injection for drills: a pod template annotated `lab.spooky.ops/fault` gets Pods that are
`crashloop` (not Ready, restarts climbing), `not-ready` (not Ready) or `pending` (never scheduled).
"""

import copy
import hashlib
import json
import uuid
from typing import List, Optional

from .store import Store, now_rfc3339

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
FAULT = "lab.spooky.ops/fault"


def template_hash(template: dict) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    # The same alphabet the real controller uses for pod-template-hash (no vowels).
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int(digest[:16], 16)
    out = ""
    for _ in range(10):
        number, rem = divmod(number, len(alphabet))
        out += alphabet[rem]
    return out


def _owner_ref(obj: dict) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _owned_by(obj: dict, owner: dict) -> bool:
    return any(ref.get("uid") == owner["metadata"]["uid"] for ref in obj["metadata"].get("ownerReferences") or [])


def _strip_hash(template: dict) -> dict:
    template = copy.deepcopy(template)
    (template.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return template


class Controller:
    def __init__(self, store: Store) -> None:
        self.store = store
        cat = store.catalogue
        self.deployments = cat.by_kind("Deployment", "apps")
        self.replicasets = cat.by_kind("ReplicaSet", "apps")
        self.pods = cat.by_kind("Pod")
        self.hpas = cat.by_kind("HorizontalPodAutoscaler", "autoscaling")

    def reconcile_namespace(self, namespace: str) -> None:
        for dep in list(self.store.list(self.deployments, namespace)):
            self.reconcile_deployment(dep)
        for rs in list(self.store.list(self.replicasets, namespace)):
            if not rs["metadata"].get("ownerReferences"):
                self._sync_pods(rs)
        for hpa in list(self.store.list(self.hpas, namespace)):
            self._hpa_status(hpa)

    # --- deployments ---------------------------------------------------------------------------

    def reconcile_deployment(self, dep: dict) -> None:
        ns, spec = dep["metadata"]["namespace"], dep.get("spec", {})
        if spec.get("paused"):
            return
        template = spec.get("template", {})
        owned = [rs for rs in self.store.list(self.replicasets, ns) if _owned_by(rs, dep)]
        revisions = [int(rs["metadata"].get("annotations", {}).get(REVISION, "0")) for rs in owned]
        current = next((rs for rs in owned if _strip_hash(rs["spec"]["template"]) == _strip_hash(template)), None)
        top = max(revisions, default=0)
        if current is None:
            current = self._new_replicaset(dep, template, top + 1)
        elif int(current["metadata"].get("annotations", {}).get(REVISION, "0")) != top:
            # Rolling back to an older template re-uses its ReplicaSet under a new revision, like kubectl rollout undo.
            updated = copy.deepcopy(current)
            updated["metadata"].setdefault("annotations", {})[REVISION] = str(top + 1)
            current = self.store.update(self.replicasets, current, updated)
        for rs in owned:
            if rs["metadata"]["uid"] == current["metadata"]["uid"]:
                continue
            if rs["spec"].get("replicas", 0) != 0:
                scaled = copy.deepcopy(rs)
                scaled["spec"]["replicas"] = 0
                self.store.update(self.replicasets, rs, scaled)
        if current["spec"].get("replicas") != spec.get("replicas", 1):
            scaled = copy.deepcopy(current)
            scaled["spec"]["replicas"] = spec.get("replicas", 1)
            current = self.store.update(self.replicasets, current, scaled)
        self._prune_history(dep, current)
        for rs in [rs for rs in self.store.list(self.replicasets, ns) if _owned_by(rs, dep)]:
            self._sync_pods(rs)
        self._deployment_status(dep, current)

    def _new_replicaset(self, dep: dict, template: dict, revision: int) -> dict:
        pod_hash = template_hash(template)
        template = copy.deepcopy(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(dep["spec"].get("selector") or {"matchLabels": {}})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        body = {
            "metadata": {
                "name": f"{dep['metadata']['name']}-{pod_hash}",
                "namespace": dep["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {REVISION: str(revision)},
                "ownerReferences": [_owner_ref(dep)],
            },
            "spec": {"replicas": dep["spec"].get("replicas", 1), "selector": selector, "template": template},
        }
        return self.store.create(self.replicasets, dep["metadata"]["namespace"], body)

    def _prune_history(self, dep: dict, current: dict) -> None:
        limit = dep["spec"].get("revisionHistoryLimit", 10)
        old = [rs for rs in self.store.list(self.replicasets, dep["metadata"]["namespace"])
               if _owned_by(rs, dep) and rs["metadata"]["uid"] != current["metadata"]["uid"]]
        old.sort(key=lambda rs: int(rs["metadata"].get("annotations", {}).get(REVISION, "0")))
        for rs in old[: max(0, len(old) - limit)]:
            self.store.delete(self.replicasets, rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _deployment_status(self, dep: dict, current: dict) -> None:
        dep = self.store.get(self.deployments, dep["metadata"]["namespace"], dep["metadata"]["name"])
        owned = [rs for rs in self.store.list(self.replicasets, dep["metadata"]["namespace"]) if _owned_by(rs, dep)]
        pods = [p for rs in owned for p in self._pods_of(rs)]
        ready = [p for p in pods if _pod_ready(p)]
        updated = self._pods_of(current)
        desired = dep["spec"].get("replicas", 1)
        available = len(ready) >= desired
        status = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": len(pods),
            "updatedReplicas": len(updated),
            "readyReplicas": len(ready),
            "availableReplicas": len(ready),
            "conditions": [
                {"type": "Available", "status": "True" if available else "False",
                 "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                 "message": "Deployment has minimum availability." if available else "Deployment does not have minimum availability."},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "message": f'ReplicaSet "{current["metadata"]["name"]}" has successfully progressed.'},
            ],
        }
        status["unavailableReplicas"] = len(pods) - len(ready)
        # The counters are `omitempty` in the real API: zero means absent (clients such as
        # kubernetes.core's waiters compare them as they come, None included).
        for counter in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            if not status[counter]:
                del status[counter]
        _keep_transition_times(dep.get("status", {}), status)
        new = copy.deepcopy(dep)
        new["status"] = status
        new["metadata"].setdefault("annotations", {})[REVISION] = current["metadata"]["annotations"][REVISION]
        self.store.update(self.deployments, dep, new)

    # --- replicasets and pods ------------------------------------------------------------------

    def _pods_of(self, rs: dict) -> List[dict]:
        return [p for p in self.store.list(self.pods, rs["metadata"]["namespace"]) if _owned_by(p, rs)]

    def _sync_pods(self, rs: dict) -> None:
        pods = self._pods_of(rs)
        desired = rs["spec"].get("replicas", 1)
        ns = rs["metadata"]["namespace"]
        for pod in pods[desired:]:
            self.store.delete(self.pods, ns, pod["metadata"]["name"])
        for _ in range(desired - len(pods)):
            self.store.create(self.pods, ns, self._pod_for(rs))
        pods = self._pods_of(rs)
        ready = [p for p in pods if _pod_ready(p)]
        status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": len(ready),
                  "availableReplicas": len(ready), "observedGeneration": rs["metadata"].get("generation", 1)}
        current = self.store.get(self.replicasets, ns, rs["metadata"]["name"])
        if current.get("status") != status:
            new = copy.deepcopy(current)
            new["status"] = status
            self.store.update(self.replicasets, current, new)

    def _pod_for(self, rs: dict) -> dict:
        template = copy.deepcopy(rs["spec"]["template"])
        meta = template.get("metadata") or {}
        spec = template.get("spec") or {}
        fault = (meta.get("annotations") or {}).get(FAULT, "")
        containers = spec.get("containers") or []
        now = now_rfc3339()
        ready = fault == ""
        statuses = []
        for container in containers:
            entry = {"name": container.get("name"), "image": container.get("image"), "imageID": "",
                     "ready": ready, "restartCount": 0, "started": ready,
                     "state": {"running": {"startedAt": now}}}
            if fault == "crashloop":
                entry.update({"restartCount": 7, "started": False, "state": {"waiting": {
                    "reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": now}}})
            statuses.append(entry)
        phase = "Pending" if fault == "pending" else "Running"
        conditions = [
            {"type": "PodScheduled", "status": "False" if fault == "pending" else "True", "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": now},
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now},
        ]
        if fault != "pending":
            spec.setdefault("nodeName", f"{self.store.cluster_name}-node-1")
        return {
            "metadata": {
                "name": f"{rs['metadata']['name']}-{uuid.uuid4().hex[:5]}",
                "namespace": rs["metadata"]["namespace"],
                "labels": dict(meta.get("labels") or {}),
                "annotations": dict(meta.get("annotations") or {}),
                "ownerReferences": [_owner_ref(rs)],
            },
            "spec": spec,
            "status": {"phase": phase, "conditions": conditions, "containerStatuses": [] if fault == "pending" else statuses,
                       "hostIP": "10.0.0.10", "podIP": "10.244.0.%d" % (1 + int(uuid.uuid4().hex[:2], 16) % 250),
                       "startTime": now, "qosClass": "Burstable"},
        }

    # --- horizontal pod autoscalers ------------------------------------------------------------

    def _hpa_status(self, hpa: dict) -> None:
        ref = hpa.get("spec", {}).get("scaleTargetRef") or {}
        if ref.get("kind") != "Deployment":
            return
        dep = self.store.find(self.deployments, hpa["metadata"]["namespace"], ref.get("name", ""))
        if dep is None:
            return
        replicas = dep["spec"].get("replicas", 1)
        status = dict(hpa.get("status") or {})
        status.update({"currentReplicas": replicas, "desiredReplicas": replicas})
        if status != hpa.get("status"):
            new = copy.deepcopy(hpa)
            new["status"] = status
            self.store.update(self.hpas, hpa, new)


def _pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions", []))


def _keep_transition_times(old: dict, new: dict) -> None:
    """Conditions keep their lastTransitionTime while their status does not change."""
    old_conditions = {c.get("type"): c for c in old.get("conditions", [])}
    now = now_rfc3339()
    for cond in new.get("conditions", []):
        previous: Optional[dict] = old_conditions.get(cond["type"])
        if previous and previous.get("status") == cond["status"]:
            cond["lastTransitionTime"] = previous.get("lastTransitionTime", now)
            cond["lastUpdateTime"] = previous.get("lastUpdateTime", now)
        else:
            cond["lastTransitionTime"] = now
            cond["lastUpdateTime"] = now
