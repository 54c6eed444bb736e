#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rollout_report
short_description: Write the report of a canary rollout - JSON, Markdown and a PNG chart
version_added: 0.1.0
description:
  - Writes C(<name>.json), C(<name>.md) and C(<name>.png) in O(dest) from a report built with the
    P(spooky.ops.rollout_report#filter) filter.
  - The chart shows, per cluster, every metric per tick for the canary and the stable baseline with its
    threshold, and the canary weight steps - the picture an operator wants after an incident.
  - Files are only rewritten when their content changes; check mode reports what would change.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  dest:
    description: Directory to write the files in; created if missing.
    type: path
    required: true
  name:
    description: Base name of the files.
    type: str
    default: canary_rollout
  report:
    description: The report (C(version), C(outcome), C(clusters) with each cluster's C(outcome) and C(history)).
    type: dict
    required: true
  chart:
    description: Draw the PNG chart (needs matplotlib on the host that runs the module).
    type: bool
    default: true
requirements:
  - matplotlib (for the chart)
"""

EXAMPLES = r"""
- name: Write the rollout report
  spooky.ops.rollout_report:
    dest: "{{ spooky_reports_dir }}"
    report: "{{ canary_clusters | spooky.ops.rollout_report(canary_version) }}"
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: The files written (or that would be written).
  returned: always
  type: list
  elements: str
  sample: ["reports/canary_rollout.json", "reports/canary_rollout.md", "reports/canary_rollout.png"]
outcome:
  description: The rollout's overall outcome.
  returned: always
  type: str
  sample: promoted
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.canary.history import markdown


def _write(path, content, check_mode):
    """Replace the file atomically when its content differs; True when it did (or would)."""
    try:
        with open(path, "rb") as handle:
            if handle.read() == content:
                return False
    except IOError:
        pass
    if not check_mode:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            name=dict(type="str", default="canary_rollout"),
            report=dict(type="dict", required=True),
            chart=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    report = params["report"]
    for field in ("version", "outcome", "clusters"):
        if field not in report:
            module.fail_json(msg="report has no %r: build it with the spooky.ops.rollout_report filter" % field)
    if "/" in params["name"] or not params["name"]:
        module.fail_json(msg="name must be a plain file name, got %r" % params["name"])
    contents = {
        ".json": (json.dumps(report, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        ".md": (markdown(report) + "\n").encode("utf-8"),
    }
    if params["chart"]:
        try:
            from ansible_collections.spooky.ops.plugins.module_utils.canary.chart import render_png
            contents[".png"] = render_png(report)
        except ImportError as exc:
            module.fail_json(msg="the chart needs matplotlib on this host (%s); or set chart: false" % exc)
    if not module.check_mode and not os.path.isdir(params["dest"]):
        os.makedirs(params["dest"])
    changed, files = False, []
    for suffix, content in contents.items():
        path = os.path.join(params["dest"], params["name"] + suffix)
        files.append(path)
        changed = _write(path, content, module.check_mode) or changed
    module.exit_json(changed=changed, files=files, outcome=report["outcome"])


if __name__ == "__main__":
    main()
