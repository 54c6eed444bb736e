# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects as backups: cleaned of what the server owns, ordered and re-targeted for a restore.

As Velero does, a backup keeps what a user declared and drops what the cluster made: status, uid,
resourceVersion, managedFields, timestamps, a Service's allocated cluster IP, and whole objects that a
controller owns (ReplicaSets and Pods of a Deployment) or that the cluster creates by itself (the
``kube-root-ca.crt`` ConfigMap, ``default`` ServiceAccount, service account token Secrets, Events).
The inventory of a backup names every object per kind, with a digest of the data of ConfigMaps and
Secrets: that is what a restore is compared against (other kinds are compared by name, since the API
server defaults their specs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

DROP_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                 "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers")
DROP_ANNOTATIONS = ("deployment.kubernetes.io/revision",)
SKIP_KINDS = ("Event", "Pod", "ReplicaSet", "Endpoints", "EndpointSlice")
RESTORE_ORDER = ("Namespace", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Role", "RoleBinding",
                 "Service", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "HorizontalPodAutoscaler",
                 "Ingress", "NetworkPolicy", "PodDisruptionBudget")
DATA_KINDS = ("ConfigMap", "Secret")


def _skipped(obj):
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    if kind in SKIP_KINDS:
        return True
    if any(ref.get("controller") for ref in meta.get("ownerReferences") or []):
        return True
    if kind == "ConfigMap" and meta.get("name") == "kube-root-ca.crt":
        return True
    if kind == "ServiceAccount" and meta.get("name") == "default":
        return True
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return True
    return False


def clean(obj):
    """A copy of `obj` with what the server owns removed, or None when the object is not backed up."""
    if not isinstance(obj, dict) or not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
        raise BackupError("not a Kubernetes object (kind and metadata.name are required): %r" % (obj,))
    if _skipped(obj):
        return None
    result = copy.deepcopy(obj)
    result.pop("status", None)
    meta = result.setdefault("metadata", {})
    for field in DROP_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    for name in DROP_ANNOTATIONS:
        annotations.pop(name, None)
    if "annotations" in meta and not annotations:
        meta.pop("annotations")
    if result["kind"] == "Service":
        spec = result.get("spec") or {}
        if spec.get("clusterIP") not in ("None",):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        spec.pop("healthCheckNodePort", None)
    if result["kind"] == "Secret" and "stringData" in result:
        raise BackupError("Secret %s carries stringData: back up objects as read from the API (data only)" % meta["name"])
    return result


def clean_all(objects):
    cleaned = [clean(o) for o in objects or ()]
    return order([o for o in cleaned if o is not None])


def data_digest(obj):
    if obj.get("kind") not in DATA_KINDS:
        return None
    body = dict(data=obj.get("data") or {}, binaryData=obj.get("binaryData") or {})
    if obj.get("kind") == "Secret":
        body["type"] = obj.get("type") or "Opaque"
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def inventory(objects):
    """{"Kind": {"name": data digest or None}} of objects (cleaned or as read back after a restore)."""
    result = {}
    for obj in objects or ():
        if _skipped(obj) or obj.get("kind") == "Namespace":
            continue
        result.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = data_digest(obj)
    return result


def order(objects):
    rank = dict((kind, index) for index, kind in enumerate(RESTORE_ORDER))
    return sorted(objects, key=lambda o: (rank.get(o.get("kind"), len(RESTORE_ORDER)), o.get("kind"), o["metadata"].get("name")))


def retarget(objects, namespace=None, keep_namespace_objects=True):
    """Objects ready to apply: into `namespace` (when given) and in restore order.

    With a new namespace the original Namespace objects are dropped (the caller creates the target).
    """
    result = []
    for obj in objects or ():
        item = copy.deepcopy(obj)
        if item.get("kind") == "Namespace":
            if namespace is None and keep_namespace_objects:
                result.append(item)
            continue
        if namespace is not None:
            item.setdefault("metadata", {})["namespace"] = namespace
        result.append(item)
    return order(result)
