# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils import alerts as _alerts
from ansible_collections.spooky.ops.plugins.module_utils import findings as _findings
from ansible_collections.spooky.ops.plugins.module_utils import profiles as _profiles
from ansible_collections.spooky.ops.plugins.module_utils import report as _report


def to_finding(item, kind):
    try:
        return _findings.to_finding(item, kind)
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.to_finding: %s" % exc)


def _hostvar(hostvars, host, name, default=None):
    try:
        return hostvars[host][name]
    except KeyError:
        return default


def daily_summary(clusters, hostvars, fact="daily_check_findings", notes_fact="daily_check_notes"):
    findings, notes = {}, {}
    for cluster in clusters:
        findings[cluster] = _hostvar(hostvars, cluster, fact)
        notes[cluster] = _hostvar(hostvars, cluster, notes_fact, [])
    try:
        return _findings.summarize(findings, notes)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.daily_summary: %s" % exc)


def cluster_findings(results, runbooks=None):
    try:
        return _findings.cluster_findings(results, runbooks or {})
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.cluster_findings: %s" % exc)


def select_alerts(result, matchers=None, unlabelled=False):
    """The spooky.ops.alerts_info result keeping only one cluster's alerts (its labels match every matcher)."""
    if not isinstance(result, dict):
        raise AnsibleFilterError("spooky.ops.select_alerts: expects an alerts_info result, got %s" % type(result).__name__)
    if result.get("skipped"):
        return result
    try:
        kept = _alerts.select(result.get("alerts") or [], matchers or {}, unlabelled=bool(unlabelled))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.select_alerts: %s" % exc)
    return dict(result, alerts=kept)


def for_host(result, host, key="results", field="host"):
    """A registered result of a task that checked many clusters at once, keeping only the entries of one host."""
    if not isinstance(result, dict):
        raise AnsibleFilterError("spooky.ops.for_host: expects a registered result, got %s" % type(result).__name__)
    if result.get("skipped") or key not in result:
        return result
    entries = result.get(key) or []
    if not isinstance(entries, list):
        raise AnsibleFilterError("spooky.ops.for_host: %s must be a list" % key)
    return dict(result, **{key: [e for e in entries if isinstance(e, dict) and e.get(field) == host]})


def profile_problems(profiles, catalogue, hostvars=None, hosts=None, extra_fact="daily_check_thresholds"):
    """Every problem of every profile and of every host's extra thresholds; [] when all are right."""
    extra_by_host = {}
    for host in hosts or []:
        extra_by_host[host] = _hostvar(hostvars, host, extra_fact, [])
    try:
        _profiles.validate(profiles, catalogue, extra_by_host)
    except _profiles.ProfileError as exc:
        return str(exc).split("\n  - ")[1:] or [str(exc)]
    return []


def daily_check_thresholds(profiles, group_names, extra=None, selector=""):
    try:
        return _profiles.host_checks(profiles, group_names, extra or [], selector)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.daily_check_thresholds: %s (validate the profiles first)" % exc)


def report_markdown(summary, title="Daily check", generated_at=None):
    try:
        return _report.markdown(summary, title=title, generated_at=generated_at)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.report_markdown: %s" % exc)


def report_html(summary, title="Daily check", generated_at=None):
    try:
        return _report.html(summary, title=title, generated_at=generated_at)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.report_html: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {
            "to_finding": to_finding,
            "daily_summary": daily_summary,
            "cluster_findings": cluster_findings,
            "profile_problems": profile_problems,
            "select_alerts": select_alerts,
            "for_host": for_host,
            "daily_check_thresholds": daily_check_thresholds,
            "report_markdown": report_markdown,
            "report_html": report_html,
        }
