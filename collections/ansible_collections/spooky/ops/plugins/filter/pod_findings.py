# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.module_utils.pod_health import pod_findings as _pod_findings


def pod_findings(pods, restart_warning=5):
    try:
        return _pod_findings(pods, restart_warning=int(restart_warning))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("spooky.ops.pod_findings: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"pod_findings": pod_findings}
