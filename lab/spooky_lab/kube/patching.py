"""Patch semantics: JSON merge patch, strategic merge patch, JSON patch, and server-side apply.

Strategic merge here knows the list merge keys of the kinds the lab serves (containers by name,
ports by port number, ...); a real apiserver reads them from the OpenAPI schema of every kind.
"""

import copy
import json
from typing import Any, Dict, Iterable, Optional, Set

import jsonpatch

# Field name -> merge key for lists merged element by element (strategic merge patch).
MERGE_KEYS: Dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
# `ports` is keyed by containerPort in containers and by port in services.
PORT_KEYS = ("containerPort", "port")

DIRECTIVE_PREFIXES = ("$setElementOrder/", "$deleteFromPrimitiveList/", "$retainKeys")


class PatchError(ValueError):
    """The patch cannot be applied (a 422 or 400 for the client)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key_for(field_name: str, items: Iterable[Any]) -> Optional[str]:
    if field_name in MERGE_KEYS:
        return MERGE_KEYS[field_name]
    if field_name == "ports":
        for item in items:
            if isinstance(item, dict):
                for key in PORT_KEYS:
                    if key in item:
                        return key
    return None


def strategic_merge(target: Any, patch: Any, field_name: str = "") -> Any:
    """A strategic merge patch: dicts merge, keyed lists merge by their key, other lists replace."""
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        if patch.get("$patch") == "delete":
            return None
        result = copy.deepcopy(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith(DIRECTIVE_PREFIXES) or key == "$patch":
                continue
            if value is None:
                result.pop(key, None)
                continue
            merged = strategic_merge(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        return result
    if isinstance(patch, list):
        key = _merge_key_for(field_name, list(patch) + (target if isinstance(target, list) else []))
        if key is None or not isinstance(target, list):
            return [copy.deepcopy(item) for item in patch if not (isinstance(item, dict) and item.get("$patch"))]
        result = [copy.deepcopy(item) for item in target]
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                raise PatchError(f"strategic merge: every item of {field_name!r} needs its merge key {key!r}")
            index = next((i for i, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item[key]), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    result.pop(index)
                continue
            if index is None:
                result.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
            else:
                result[index] = strategic_merge(result[index], item, "")
        return result
    return copy.deepcopy(patch)


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    try:
        return jsonpatch.apply_patch(target, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise PatchError(f"JSON patch failed: {exc}") from exc


# --- server-side apply -------------------------------------------------------------------------
# A field set is stored in the FieldsV1 shape of managedFields: {"f:spec": {"f:replicas": {}}}, with
# keyed list items as "k:{\"name\":\"app\"}".

def field_set(obj: Any, field_name: str = "") -> Dict[str, Any]:
    fields: Dict[str, Any] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("apiVersion", "kind"):
                continue
            if key == "metadata" and not field_name:
                sub = {k: v for k, v in value.items() if k in ("labels", "annotations", "finalizers", "ownerReferences")}
                fields["f:metadata"] = field_set(sub, "metadata")
                continue
            fields[f"f:{key}"] = field_set(value, key)
    elif isinstance(obj, list):
        key = _merge_key_for(field_name, obj)
        if key is not None:
            for item in obj:
                if isinstance(item, dict) and key in item:
                    fields["k:" + json.dumps({key: item[key]}, separators=(",", ":"))] = field_set(item, "")
    return fields


def _paths(fields: Dict[str, Any], prefix: tuple = ()) -> Set[tuple]:
    paths: Set[tuple] = set()
    for key, sub in fields.items():
        path = prefix + (key,)
        paths.add(path)
        paths |= _paths(sub, path)
    return paths


def _remove_path(obj: Any, path: tuple, field_name: str = "") -> None:
    head, rest = path[0], path[1:]
    if head.startswith("f:") and isinstance(obj, dict):
        name = head[2:]
        if name not in obj:
            return
        if rest:
            _remove_path(obj[name], rest, name)
        else:
            del obj[name]
    elif head.startswith("k:") and isinstance(obj, list):
        selector = json.loads(head[2:])
        for index, item in enumerate(obj):
            if isinstance(item, dict) and all(item.get(k) == v for k, v in selector.items()):
                if rest:
                    _remove_path(item, rest, "")
                else:
                    obj.pop(index)
                return


def server_side_apply(current: Optional[dict], applied: dict, previous_fields: Dict[str, Any]) -> dict:
    """Apply `applied` as one field manager: drop the fields it owned before and no longer sets, then merge."""
    if current is None:
        return copy.deepcopy(applied)
    result = copy.deepcopy(current)
    new_fields = field_set(applied)
    dropped = _paths(previous_fields) - _paths(new_fields)
    # Remove the deepest paths first so that removing a parent does not hide a child.
    for path in sorted(dropped, key=len, reverse=True):
        _remove_path(result, path)
    return strategic_merge(result, applied)
