# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils.canary.history import summarize, tick_summary
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration


def duration_seconds(value):
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise AnsibleFilterError("spooky.ops.duration_seconds: %s" % exc)


def rollout_tick(result):
    if not isinstance(result, dict):
        raise AnsibleFilterError("spooky.ops.rollout_tick: expects a registered canary_gate result, got %s" % type(result).__name__)
    return tick_summary(result)


def rollout_report(clusters, version):
    if not isinstance(clusters, dict):
        raise AnsibleFilterError("spooky.ops.rollout_report: expects a mapping of cluster to outcome and history")
    return summarize(version, clusters)


def rollout_cluster(host):
    """One cluster's part of the report, from its hostvars (outcome, reason, tick history)."""
    try:
        return {"outcome": host.get("canary_outcome", "not_started"), "reason": host.get("canary_reason"),
                "history": host.get("canary_history", [])}
    except AttributeError:
        raise AnsibleFilterError("spooky.ops.rollout_cluster: expects a host's hostvars")


class FilterModule(object):
    def filters(self):
        return {"duration_seconds": duration_seconds, "rollout_tick": rollout_tick, "rollout_report": rollout_report,
                "rollout_cluster": rollout_cluster}
