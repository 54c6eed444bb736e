# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pod health from Kubernetes Pod objects: which pods are not Ready, and why. Plain Python, no Ansible imports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _ready(pod):
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def _reason(pod):
    """The most telling reason a pod is not Ready: a waiting container's reason, else the phase."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return waiting["reason"]
    for container in status.get("containerStatuses") or []:
        if not container.get("ready"):
            return "ContainerNotReady"
    if status.get("phase") == "Pending":
        for condition in status.get("conditions") or []:
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                return "Unschedulable"
        return "Pending"
    return status.get("phase") or "Unknown"


def _since(pod, ready):
    """When the trouble started, as far as the pod tells: the Ready condition's last transition, else the last crash."""
    status = pod.get("status") or {}
    if not ready:
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Ready" and condition.get("lastTransitionTime"):
                return condition["lastTransitionTime"]
    for container in status.get("containerStatuses") or []:
        terminated = (container.get("lastState") or {}).get("terminated") or {}
        if terminated.get("finishedAt"):
            return terminated["finishedAt"]
    return status.get("startTime")


def pod_findings(pods, restart_warning=5):
    """Pods that are not Ready (completed pods excepted) or restart too often.

    Returns a list of dicts: namespace, name, ready, phase, restarts, reason, since.
    """
    if not isinstance(pods, list):
        raise TypeError("pod_findings expects a list of Pod objects, got %s" % type(pods).__name__)
    findings = []
    for pod in pods:
        if not isinstance(pod, dict):
            raise TypeError("pod_findings expects Pod objects (dicts), got %s" % type(pod).__name__)
        status = pod.get("status") or {}
        phase = status.get("phase")
        if phase == "Succeeded":
            continue
        restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
        ready = _ready(pod)
        if ready and restarts < restart_warning:
            continue
        meta = pod.get("metadata") or {}
        findings.append(dict(
            namespace=meta.get("namespace"), name=meta.get("name"), ready=ready, phase=phase,
            restarts=restarts, reason=_reason(pod) if not ready else "Restarting", since=_since(pod, ready),
        ))
    return findings
