# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployments below their desired replicas and HPAs at their maximum, from Kubernetes objects (dicts).

Plain Python, no Ansible imports. Euystacio's runbook (seed 001): "If autoscaling at max replicas:
review current load patterns, consider increasing max_replicas".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _int(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _condition_time(obj, kind):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition.get("lastTransitionTime")
    return None


def deployment_findings(deployments):
    """Deployments whose ready replicas are below spec.replicas (scaled-to-zero ones are fine).

    Returns dicts: namespace, name, desired, ready, available, since.
    """
    if not isinstance(deployments, list):
        raise TypeError("deployment_findings expects a list of Deployment objects, got %s" % type(deployments).__name__)
    found = []
    for dep in deployments:
        if not isinstance(dep, dict):
            raise TypeError("deployment_findings expects Deployment objects (dicts), got %s" % type(dep).__name__)
        spec, status, meta = dep.get("spec") or {}, dep.get("status") or {}, dep.get("metadata") or {}
        desired = _int(spec.get("replicas", 1))
        ready = _int(status.get("readyReplicas"))
        if desired == 0 or ready >= desired:
            continue
        found.append(dict(namespace=meta.get("namespace"), name=meta.get("name"), desired=desired, ready=ready,
                          available=_int(status.get("availableReplicas")),
                          since=_condition_time(dep, "Available") or meta.get("creationTimestamp")))
    return found


def hpa_findings(hpas):
    """HorizontalPodAutoscalers whose current (or desired) replicas reached spec.maxReplicas.

    Returns dicts: namespace, name, current, desired, max, since.
    """
    if not isinstance(hpas, list):
        raise TypeError("hpa_findings expects a list of HorizontalPodAutoscaler objects, got %s" % type(hpas).__name__)
    found = []
    for hpa in hpas:
        if not isinstance(hpa, dict):
            raise TypeError("hpa_findings expects HorizontalPodAutoscaler objects (dicts), got %s" % type(hpa).__name__)
        spec, status, meta = hpa.get("spec") or {}, hpa.get("status") or {}, hpa.get("metadata") or {}
        maximum = _int(spec.get("maxReplicas"))
        current, desired = _int(status.get("currentReplicas")), _int(status.get("desiredReplicas"))
        if maximum <= 0 or max(current, desired) < maximum:
            continue
        found.append(dict(namespace=meta.get("namespace"), name=meta.get("name"), current=current, desired=desired,
                          max=maximum, since=status.get("lastScaleTime") or _condition_time(hpa, "ScalingLimited")))
    return found
