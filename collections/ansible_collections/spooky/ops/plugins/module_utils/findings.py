# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings of a health check and their summary per cluster. Plain Python, no Ansible imports.

A finding is a dict with `check`, `status` (ok, unknown, warning, critical) and `message`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spooky.ops.plugins.module_utils.thresholds import CRITICAL, OK, UNKNOWN, WARNING, worst

STATUSES = (OK, UNKNOWN, WARNING, CRITICAL)


def pod_finding(pod):
    """A not-Ready or restarting pod (from pod_health.pod_findings) as a warning finding."""
    where = "%s/%s" % (pod.get("namespace"), pod.get("name"))
    if pod.get("ready"):
        message = "pod %s restarted %s times" % (where, pod.get("restarts"))
    else:
        message = "pod %s not Ready: %s (%s restarts)" % (where, pod.get("reason"), pod.get("restarts"))
    return dict(check="pod", status=WARNING, message=message, subject=where)


def metric_finding(result):
    """A spooky.ops.metric_threshold result as a finding.

    Prometheus unreachable is critical (nothing on this cluster can be vouched for); a metric without
    data is a warning; otherwise the metric's own status.
    """
    status = result.get("status", UNKNOWN)
    if status not in STATUSES:
        raise ValueError("unknown status %r in a metric result" % (status,))
    name = (result.get("item") or {}).get("name") or result.get("invocation", {}).get("module_args", {}).get("name") or "metric"
    if result.get("prometheus_available") is False:
        status = CRITICAL
    elif status == UNKNOWN:
        status = WARNING
    return dict(check=name, status=status, message=result.get("message", ""))


def to_finding(item, kind):
    if kind == "pod":
        return pod_finding(item)
    if kind == "metric":
        return metric_finding(item)
    raise ValueError("to_finding: kind must be 'pod' or 'metric', got %r" % (kind,))


def summarize(findings_by_cluster):
    """The status of each cluster and overall, and lines an on-call engineer reads first.

    `findings_by_cluster` maps a cluster to its findings, or to None when its check did not finish:
    that is a critical finding of its own, never silence.
    """
    clusters = {}
    for cluster in sorted(findings_by_cluster):
        findings = findings_by_cluster[cluster]
        if findings is None:
            findings = [dict(check="daily-check", status=CRITICAL, message="the check did not finish for this cluster")]
        for finding in findings:
            if finding.get("status") not in STATUSES:
                raise ValueError("finding of %s has an unknown status: %r" % (cluster, finding))
        clusters[cluster] = dict(status=worst(f["status"] for f in findings), findings=findings)
    overall = worst(c["status"] for c in clusters.values())
    counts = dict((s, sum(1 for c in clusters.values() if c["status"] == s)) for s in STATUSES)
    head = "Daily check: %s across %d clusters (%s)" % (
        overall.upper(), len(clusters), ", ".join("%d %s" % (counts[s], s) for s in reversed(STATUSES) if counts[s]))
    lines = [head]
    # The worst cluster first: that is where the on-call engineer starts.
    for cluster, info in sorted(clusters.items(), key=lambda item: (-STATUSES.index(item[1]["status"]), item[0])):
        problems = [f for f in info["findings"] if f["status"] != OK]
        if not problems:
            lines.append("  %-10s ok" % cluster)
            continue
        for index, finding in enumerate(sorted(problems, key=lambda f: -STATUSES.index(f["status"]))):
            label = cluster if index == 0 else ""
            lines.append("  %-10s %-8s %s" % (label, finding["status"], finding["message"]))
    return dict(status=overall, clusters=clusters, lines=lines,
                critical_clusters=[c for c, info in clusters.items() if info["status"] == CRITICAL])
