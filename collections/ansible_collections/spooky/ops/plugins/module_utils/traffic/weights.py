# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canary traffic weights on the three ways clusters split traffic. Plain Python, no Ansible imports.

- nginx: the canary Ingress of an ingress-nginx pair, `nginx.ingress.kubernetes.io/canary-weight`
  (ingress-nginx is being retired upstream; kept for the clusters that still run it).
- gateway: a Gateway API HTTPRoute whose rules send to the stable and canary Services with `weight`s.
- openshift: an OpenShift Route, `spec.to` (stable) plus a weighted `spec.alternateBackends` entry (canary).

For each, `read_weight` tells the canary weight an object carries now and `with_weight` returns the
changed parts of the object (a merge patch) that set it, or None when nothing needs to change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

PROVIDERS = {
    "nginx": ("networking.k8s.io/v1", "Ingress"),
    "gateway": ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    "openshift": ("route.openshift.io/v1", "Route"),
}
CANARY = "nginx.ingress.kubernetes.io/canary"
CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"
CANARY_TOTAL = "nginx.ingress.kubernetes.io/canary-weight-total"


class TrafficError(ValueError):
    """The object cannot carry a canary weight as asked (wrong shape, missing backend)."""


def validate_weight(weight):
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        raise TrafficError("weight must be an integer from 0 to 100, got %r" % (weight,))
    return weight


# --- nginx -------------------------------------------------------------------------------------

def _nginx_read(obj, _stable, _canary):
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if annotations.get(CANARY) != "true":
        return None
    total = int(annotations.get(CANARY_TOTAL, "100"))
    weight = int(annotations.get(CANARY_WEIGHT, "0"))
    return int(round(weight * 100.0 / total)) if total else 0


def _nginx_patch(obj, weight, _stable, _canary):
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    wanted = {CANARY: "true", CANARY_WEIGHT: str(weight)}
    if CANARY_TOTAL in annotations and annotations[CANARY_TOTAL] != "100":
        wanted[CANARY_TOTAL] = "100"
    changes = dict((k, v) for k, v in wanted.items() if annotations.get(k) != v)
    return {"metadata": {"annotations": changes}} if changes else None


# --- gateway -----------------------------------------------------------------------------------

def _backend_rules(obj, stable, canary):
    rules = (obj.get("spec") or {}).get("rules") or []
    found = []
    for index, rule in enumerate(rules):
        names = [ref.get("name") for ref in rule.get("backendRefs") or []]
        if stable in names:
            found.append((index, rule))
    if not found:
        raise TrafficError("HTTPRoute %s has no rule with a backendRef to the stable Service %r"
                           % ((obj.get("metadata") or {}).get("name"), stable))
    return rules, found


def _gateway_read(obj, stable, canary):
    _rules, found = _backend_rules(obj, stable, canary)
    weights = set()
    for _index, rule in found:
        refs = dict((ref.get("name"), ref) for ref in rule.get("backendRefs") or [])
        stable_w = refs[stable].get("weight", 1)
        canary_w = refs[canary].get("weight", 1) if canary in refs else 0
        total = stable_w + canary_w
        weights.add(int(round(canary_w * 100.0 / total)) if total else 0)
    # Rules that disagree have no single weight: report None so that the next set makes them agree.
    return weights.pop() if len(weights) == 1 else None


def _gateway_patch(obj, weight, stable, canary):
    rules, found = _backend_rules(obj, stable, canary)
    new_rules = copy.deepcopy(rules)
    for index, rule in found:
        refs = new_rules[index].setdefault("backendRefs", [])
        stable_ref = next(ref for ref in refs if ref.get("name") == stable)
        canary_ref = next((ref for ref in refs if ref.get("name") == canary), None)
        if canary_ref is None:
            canary_ref = dict((k, v) for k, v in stable_ref.items() if k in ("group", "kind", "port", "namespace"))
            canary_ref["name"] = canary
            refs.append(canary_ref)
        stable_ref["weight"] = 100 - weight
        canary_ref["weight"] = weight
    if new_rules == rules:
        return None
    # A merge patch replaces lists whole: send all the rules, changed and unchanged.
    return {"spec": {"rules": new_rules}}


# --- openshift ---------------------------------------------------------------------------------

def _openshift_read(obj, stable, canary):
    spec = obj.get("spec") or {}
    to = spec.get("to") or {}
    if to.get("name") != stable:
        raise TrafficError("Route %s sends to %r, not to the stable Service %r"
                           % ((obj.get("metadata") or {}).get("name"), to.get("name"), stable))
    alternate = next((b for b in spec.get("alternateBackends") or [] if b.get("name") == canary), None)
    stable_w = to.get("weight", 100)
    canary_w = alternate.get("weight", 100) if alternate else 0
    total = stable_w + canary_w
    return int(round(canary_w * 100.0 / total)) if total else 0


def _openshift_patch(obj, weight, stable, canary):
    _openshift_read(obj, stable, canary)  # validates the shape
    spec = obj.get("spec") or {}
    alternates = copy.deepcopy(spec.get("alternateBackends") or [])
    entry = next((b for b in alternates if b.get("name") == canary), None)
    if entry is None:
        entry = {"kind": "Service", "name": canary}
        alternates.append(entry)
    entry["weight"] = weight
    to = dict(spec.get("to") or {}, weight=100 - weight)
    patch = {}
    if to != spec.get("to"):
        patch["to"] = to
    if alternates != (spec.get("alternateBackends") or []):
        patch["alternateBackends"] = alternates
    return {"spec": patch} if patch else None


_READ = {"nginx": _nginx_read, "gateway": _gateway_read, "openshift": _openshift_read}
_PATCH = {"nginx": _nginx_patch, "gateway": _gateway_patch, "openshift": _openshift_patch}


def read_weight(provider, obj, stable=None, canary=None):
    """The canary weight (0-100) the object carries, or None when it carries none (yet)."""
    _check(provider, stable, canary)
    return _READ[provider](obj, stable, canary)


def with_weight(provider, obj, weight, stable=None, canary=None):
    """A merge patch that gives the object this canary weight, or None when it already has it."""
    _check(provider, stable, canary)
    return _PATCH[provider](obj, validate_weight(weight), stable, canary)


def _check(provider, stable, canary):
    if provider not in PROVIDERS:
        raise TrafficError("provider must be one of %s, got %r" % (", ".join(sorted(PROVIDERS)), provider))
    if provider != "nginx" and not (stable and canary):
        raise TrafficError("provider %s needs the stable and canary Service names" % provider)
