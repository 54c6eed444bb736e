# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings of a health check and their summary per cluster. Plain Python, no Ansible imports.

A finding is a dict with `check`, `status` (ok, unknown, warning, critical) and `message`, and
when known: `severity` (P0-P3, see severity.py), `subject` (where: namespace/name, URL),
`since` (ISO 8601 UTC), `value`, `threshold`, `runbook` (the step to take) and `trend`.
`cluster_findings` turns the results of the daily check's modules into findings; `summarize`
grades every cluster and writes the lines an on-call engineer reads first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.spooky.ops.plugins.module_utils import severity as sev
from ansible_collections.spooky.ops.plugins.module_utils.thresholds import CRITICAL, OK, UNKNOWN, WARNING, worst

STATUSES = (OK, UNKNOWN, WARNING, CRITICAL)


def _runbook(runbooks, key):
    return (runbooks or {}).get(key) or None


def _clean(finding):
    return dict((k, v) for k, v in finding.items() if v is not None and v != "")


def iso(timestamp):
    """Unix seconds -> '2026-01-31T02:03:04Z' (None stays None)."""
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(float(timestamp), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one kind of result at a time -----------------------------------------------------------

def pod_finding(pod, runbooks=None):
    """A not-Ready or restarting pod (from pod_health.pod_findings) as a warning finding."""
    where = "%s/%s" % (pod.get("namespace"), pod.get("name"))
    if pod.get("ready"):
        message = "pod %s restarted %s times" % (where, pod.get("restarts"))
    else:
        message = "pod %s not Ready: %s (%s restarts)" % (where, pod.get("reason"), pod.get("restarts"))
    return _clean(dict(check="pod", status=WARNING, message=message, subject=where, since=pod.get("since"),
                       runbook=_runbook(runbooks, "pod")))


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


def api_findings(result, runbooks=None):
    """Findings of a spooky.ops.cluster_health result: API reachability, pods, Deployments, HPAs."""
    if not result or result.get("skipped"):
        return []
    if not result.get("reachable", False):
        return [_clean(dict(check="kubernetes-api", status=CRITICAL, severity="P1",
                            message="Kubernetes API unreachable: %s" % (result.get("error") or "unknown error"),
                            subject=result.get("context"), since=iso(result.get("checked_at")),
                            runbook=_runbook(runbooks, "kubernetes-api")))]
    findings = [pod_finding(pod, runbooks) for pod in result.get("pods") or []]
    for dep in result.get("deployments") or []:
        where = "%s/%s" % (dep.get("namespace"), dep.get("name"))
        findings.append(_clean(dict(
            check="deployment", status=WARNING, subject=where, since=dep.get("since"),
            value=dep.get("ready"), threshold=dep.get("desired"),
            message="Deployment %s below desired replicas: %s of %s ready (%s available)" % (
                where, dep.get("ready"), dep.get("desired"), dep.get("available")),
            runbook=_runbook(runbooks, "deployment"))))
    for hpa in result.get("hpas") or []:
        where = "%s/%s" % (hpa.get("namespace"), hpa.get("name"))
        findings.append(_clean(dict(
            check="hpa", status=WARNING, subject=where, since=hpa.get("since"),
            value=hpa.get("current"), threshold=hpa.get("max"),
            message="HPA %s at its maximum: %s of max %s replicas" % (where, hpa.get("current"), hpa.get("max")),
            runbook=_runbook(runbooks, "hpa"))))
    return findings


def threshold_findings(result, runbooks=None):
    """Findings of a spooky.ops.metric_thresholds result: one per threshold, ok ones included (for the report)."""
    if not result or result.get("skipped"):
        return []
    if result.get("prometheus_available") is False:
        return [_clean(dict(check="prometheus", status=CRITICAL, severity="P1",
                            message="Prometheus unreachable, no threshold could be checked: %s" % result.get("error"),
                            subject=result.get("url"), since=iso(result.get("checked_at")),
                            runbook=_runbook(runbooks, "prometheus")))]
    findings = []
    for item in result.get("results") or []:
        status = item.get("status", UNKNOWN)
        if status not in STATUSES:
            raise ValueError("unknown status %r in a threshold result" % (status,))
        severity = None
        if status == UNKNOWN:
            status = WARNING  # no data: nothing vouches for the metric
        if status in (WARNING, CRITICAL):
            severity = (item.get("severity") or {}).get(status) if isinstance(item.get("severity"), dict) else None
        findings.append(_clean(dict(
            check=item.get("name") or "metric", kind="metric", status=status, severity=severity,
            message=item.get("message", ""), platform=item.get("platform"), since=item.get("since"),
            value=item.get("value"), threshold=item.get("thresholds"), unit=item.get("unit"),
            runbook=item.get("runbook") if status != OK else None, trend=item.get("trend"),
            subject=item.get("subject"))))
    return findings


_ALERT_STATUS = {"P0": CRITICAL, "P1": CRITICAL, "P2": WARNING, "P3": WARNING}


def alert_findings(result, runbooks=None, prometheus_down=False):
    """Findings of a spooky.ops.alerts_info result: every firing alert, and every source that could not be read."""
    if not result or result.get("skipped"):
        return []
    findings = []
    for source in result.get("sources") or []:
        if source.get("available", True):
            continue
        if prometheus_down and source.get("name") == "prometheus":
            continue  # already the Prometheus finding of this cluster
        findings.append(_clean(dict(
            check="alerts", status=WARNING, subject=source.get("url"),
            message="firing alerts could not be read from %s: %s" % (source.get("name"), source.get("error")),
            runbook=_runbook(runbooks, "alerts"))))
    for alert in result.get("alerts") or []:
        priority = alert.get("priority")
        try:
            priority = sev.normalize(priority) if priority else sev.normalize(alert.get("severity") or "warning")
        except ValueError:
            priority = "P2"
        labels = alert.get("labels") or {}
        where = ", ".join("%s=%s" % (k, v) for k, v in sorted(labels.items())
                          if k not in ("alertname", "severity", "priority")) or "(no labels)"
        text = alert.get("summary") or alert.get("description") or ""
        findings.append(_clean(dict(
            check="alert", status=_ALERT_STATUS[priority], severity=priority, subject=where, since=alert.get("since"),
            message="alert %s firing (%s, from %s)%s" % (alert.get("name"), where, "+".join(alert.get("sources") or []),
                                                         ": " + text if text else ""),
            runbook=alert.get("runbook") or _runbook(runbooks, "alert"))))
    return findings


def endpoint_findings(result, runbooks=None):
    """Findings of a spooky.ops.endpoint_check result: the HTTP answer, and the TLS certificate."""
    if not result or result.get("skipped"):
        return []
    name = result.get("name") or result.get("url")
    findings = [_clean(dict(check="endpoint", status=result.get("http_status", UNKNOWN), subject=result.get("url"),
                            message="%s: %s" % (name, result.get("http_message", "")),
                            value=result.get("latency_ms"), since=iso(result.get("checked_at"))
                            if result.get("http_status") != OK else None,
                            runbook=_runbook(runbooks, "endpoint") if result.get("http_status") != OK else None))]
    tls = result.get("tls")
    if tls:
        status = result.get("tls_status", UNKNOWN)
        findings.append(_clean(dict(check="tls", status=status, subject=result.get("url"),
                                    severity=result.get("tls_severity") if status != OK else None,
                                    value=tls.get("days_left"), message="%s: %s" % (name, result.get("tls_message", "")),
                                    since=tls.get("not_after") if status != OK else None,
                                    runbook=_runbook(runbooks, "tls") if status != OK else None)))
    for finding in findings:
        if finding["status"] == UNKNOWN:
            finding["status"] = WARNING
    return findings


def backup_findings(result, runbooks=None):
    """Findings of a spooky.ops.backup_freshness result (nothing when the check was skipped)."""
    if not result or result.get("skipped") or not result.get("configured", True):
        return []
    if not result.get("available", True):
        return [_clean(dict(check="backup", status=WARNING, subject=result.get("location"),
                            message="backup location could not be read: %s" % result.get("error"),
                            runbook=_runbook(runbooks, "backup")))]
    findings = []
    for item in result.get("sets") or []:
        status = item.get("status", UNKNOWN)
        findings.append(_clean(dict(check="backup", status=WARNING if status == UNKNOWN else status,
                                    subject=item.get("name"), message=item.get("message", ""),
                                    since=item.get("newest"), value=item.get("age_seconds"),
                                    threshold=item.get("max_age_seconds"),
                                    runbook=_runbook(runbooks, "backup") if status != OK else None)))
    return findings


def cluster_findings(results, runbooks=None):
    """Every finding of one cluster from the results of its checks.

    `results` has the keys `api` (cluster_health), `metrics` (metric_thresholds), `alerts`
    (alerts_info), `endpoints` (a list of endpoint_check results) and `backup` (backup_freshness);
    a missing key is a check that was not run.
    """
    results = results or {}
    metrics = results.get("metrics") or {}
    prometheus_down = metrics.get("prometheus_available") is False
    findings = api_findings(results.get("api"), runbooks)
    findings += threshold_findings(metrics, runbooks)
    findings += alert_findings(results.get("alerts"), runbooks, prometheus_down=prometheus_down)
    for endpoint in results.get("endpoints") or []:
        findings += endpoint_findings(endpoint, runbooks)
    findings += backup_findings(results.get("backup"), runbooks)
    for finding in findings:
        finding["severity"] = sev.of_finding(finding)
        if finding["severity"] is None:
            finding.pop("severity")
    return findings


# --- the summary ------------------------------------------------------------------------------

def _when(text):
    return text.replace("T", " ").replace("Z", " UTC") if isinstance(text, str) else text


def finding_line(finding):
    """One line: what, where, since when, value vs threshold (in the message), and the runbook step."""
    text = finding.get("message", "")
    if finding.get("since"):
        text += " | since %s" % _when(finding["since"])
    if finding.get("runbook"):
        text += " | do: %s" % finding["runbook"]
    return text


def summarize(findings_by_cluster, notes_by_cluster=None):
    """The status and severity of each cluster and overall, and lines an on-call engineer reads first.

    `findings_by_cluster` maps a cluster to its findings, or to None when its check did not finish:
    that is a critical finding of its own, never silence. `notes_by_cluster` maps a cluster to notes
    (checks skipped and why).
    """
    notes_by_cluster = notes_by_cluster or {}
    clusters = {}
    for cluster in sorted(findings_by_cluster):
        findings = findings_by_cluster[cluster]
        if findings is None:
            findings = [dict(check="daily-check", status=CRITICAL, severity="P1",
                             message="the check did not finish for this cluster: see the play's output")]
        findings = [dict(f) for f in findings]
        for finding in findings:
            if finding.get("status") not in STATUSES:
                raise ValueError("finding of %s has an unknown status: %r" % (cluster, finding))
            severity = sev.of_finding(finding)
            if severity:
                finding["severity"] = severity
            else:
                finding.pop("severity", None)
        findings.sort(key=lambda f: (sev.rank(f.get("severity")), -STATUSES.index(f["status"])))
        clusters[cluster] = dict(status=worst(f["status"] for f in findings),
                                 severity=sev.worst(f.get("severity") for f in findings),
                                 findings=findings, notes=list(notes_by_cluster.get(cluster) or []))
    overall = worst(c["status"] for c in clusters.values())
    overall_severity = sev.worst(c["severity"] for c in clusters.values())
    counts = dict((s, sum(1 for c in clusters.values() if c["status"] == s)) for s in STATUSES)
    head = "Daily check: %s across %d clusters (%s)" % (
        overall.upper(), len(clusters), ", ".join("%d %s" % (counts[s], s) for s in reversed(STATUSES) if counts[s]))
    if overall_severity:
        head += "; worst %s: respond within %s" % (overall_severity, sev.describe(overall_severity)["respond_within"])
    lines = [head]
    actions = []
    # The most urgent cluster first: that is where the on-call engineer starts.
    order = sorted(clusters.items(), key=lambda item: (sev.rank(item[1]["severity"]), -STATUSES.index(item[1]["status"]), item[0]))
    for cluster, info in order:
        problems = [f for f in info["findings"] if f["status"] != OK]
        if not problems:
            lines.append("  %-10s ok" % cluster)
            continue
        for index, finding in enumerate(problems):
            label = cluster if index == 0 else ""
            lines.append("  %-10s %-8s %-2s %s" % (label, finding["status"], finding.get("severity", ""), finding_line(finding)))
            if sev.is_paging(finding.get("severity")):
                actions.append("[%s] %s %s: %s" % (finding["severity"], cluster, finding.get("check"), finding_line(finding)))
    by_severity = dict((s, sum(1 for c in clusters.values() for f in c["findings"] if f.get("severity") == s))
                       for s in sev.SEVERITIES)
    return dict(status=overall, severity=overall_severity, clusters=clusters, lines=lines, actions=actions,
                counts=counts, findings_by_severity=by_severity, fail=sev.is_paging(overall_severity),
                critical_clusters=[c for c, info in clusters.items() if info["status"] == CRITICAL],
                paging_clusters=[c for c, info in order if sev.is_paging(info["severity"])],
                severity_table=[dict(row) for row in sev.TABLE])
