# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils.findings import summarize, to_finding as _to_finding


def to_finding(item, kind):
    try:
        return _to_finding(item, kind)
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("spooky.ops.to_finding: %s" % exc)


def daily_summary(clusters, hostvars, fact="daily_check_findings"):
    findings = {}
    for cluster in clusters:
        try:
            findings[cluster] = hostvars[cluster][fact]
        except KeyError:
            findings[cluster] = None
    try:
        return summarize(findings)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("spooky.ops.daily_summary: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"to_finding": to_finding, "daily_summary": daily_summary}
