"""Label selectors (equality- and set-based) and the field selectors the lab supports."""

import re
from typing import Callable, Dict, List

from .errors import BadRequest

_SET_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")

Predicate = Callable[[Dict[str, str]], bool]


def _split_requirements(selector: str) -> List[str]:
    """Split on commas that are not inside a set's parentheses."""
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _requirement(text: str) -> Predicate:
    match = _SET_RE.match(text)
    if match:
        key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    match = _EQ_RE.match(text)
    if match:
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _EXISTS_RE.match(text)
    if match:
        negate, key = match.groups()
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise BadRequest(f"unable to parse requirement: {text.strip()!r}")


def label_selector(selector: str) -> Predicate:
    requirements = [_requirement(part) for part in _split_requirements(selector or "")]
    return lambda labels: all(req(labels or {}) for req in requirements)


FIELD_GETTERS: Dict[str, Callable[[dict], str]] = {
    "metadata.name": lambda obj: obj.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda obj: obj.get("metadata", {}).get("namespace", ""),
    "status.phase": lambda obj: (obj.get("status") or {}).get("phase", ""),
    "spec.nodeName": lambda obj: (obj.get("spec") or {}).get("nodeName", ""),
    "type": lambda obj: obj.get("type", ""),
    "reason": lambda obj: obj.get("reason", ""),
    "involvedObject.name": lambda obj: (obj.get("involvedObject") or {}).get("name", ""),
    "involvedObject.kind": lambda obj: (obj.get("involvedObject") or {}).get("kind", ""),
}


def field_selector(selector: str) -> Callable[[dict], bool]:
    checks = []
    for part in _split_requirements(selector or ""):
        match = _EQ_RE.match(part)
        if not match or match.group(1) not in FIELD_GETTERS:
            raise BadRequest(f"field label not supported: {part.strip()!r}")
        key, op, value = match.groups()
        getter = FIELD_GETTERS[key]
        if op == "!=":
            checks.append(lambda obj, g=getter, v=value: g(obj) != v)
        else:
            checks.append(lambda obj, g=getter, v=value: g(obj) == v)
    return lambda obj: all(check(obj) for check in checks)
