#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: daily_report
short_description: Write the daily check's report as JSON, Markdown and one self-contained HTML file
version_added: 0.1.0
description:
  - Renders the summary of P(spooky.ops.daily_summary#filter) as C(<name>.json), C(<name>.md) and C(<name>.html) in
    O(path), in one task. The HTML file has its CSS and its trend sparklines (SVG) inline, and no external asset.
  - Each file is written atomically, and only when its content changes (a second run with the same summary reports
    no change). Supports check mode.
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
    platforms: posix
options:
  summary:
    description:
      - The summary (C(status), C(clusters), C(lines), ...), from P(spooky.ops.daily_summary#filter).
    type: dict
    required: true
  path:
    description:
      - Directory of the reports; created (mode 0755) when missing.
    type: path
    required: true
  name:
    description:
      - File name of the reports, without extension.
    type: str
    default: daily_check
  title:
    description:
      - Title of the Markdown and HTML reports.
    type: str
    default: Daily health check
  generated_at:
    description:
      - When the check ran, shown in the reports and added to the JSON as C(generated_at).
    type: str
  formats:
    description:
      - Which reports to write.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  mode:
    description:
      - Permissions of the files.
    type: raw
    default: "0644"
"""

EXAMPLES = r"""
- name: Write reports/daily_check.{json,md,html}
  spooky.ops.daily_report:
    summary: "{{ groups['clusters'] | spooky.ops.daily_summary(hostvars) }}"
    path: "{{ playbook_dir }}/../reports"
    generated_at: "{{ now(utc=true).isoformat() }}"
"""

RETURN = r"""
files:
  description: The files of the report, by format.
  returned: always
  type: dict
  sample: {"json": "reports/daily_check.json", "markdown": "reports/daily_check.md", "html": "reports/daily_check.html"}
written:
  description: The formats whose file changed.
  returned: always
  type: list
  elements: str
  sample: [json, html]
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils import report

_EXTENSIONS = {"json": "json", "markdown": "md", "html": "html"}


def _render(fmt, summary, title, generated_at):
    if fmt == "json":
        document = dict(summary)
        if generated_at:
            document["generated_at"] = generated_at
        return json.dumps(document, indent=4, sort_keys=True) + "\n"
    if fmt == "markdown":
        return report.markdown(summary, title=title, generated_at=generated_at)
    return report.html(summary, title=title, generated_at=generated_at)


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            summary=dict(type="dict", required=True),
            path=dict(type="path", required=True),
            name=dict(type="str", default="daily_check"),
            title=dict(type="str", default="Daily health check"),
            generated_at=dict(type="str"),
            formats=dict(type="list", elements="str", choices=list(_EXTENSIONS), default=list(_EXTENSIONS)),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for key in ("status", "clusters", "lines"):
        if key not in p["summary"]:
            module.fail_json(msg="summary has no %r: pass the output of spooky.ops.daily_summary" % key)
    if "/" in p["name"] or not p["name"]:
        module.fail_json(msg="name must be a file name without a directory, got %r" % p["name"])
    try:
        mode = int(str(p["mode"]), 8)
    except ValueError:
        module.fail_json(msg="mode must be octal, for example '0644', got %r" % p["mode"])

    files, written = {}, []
    for fmt in p["formats"]:
        target = os.path.join(p["path"], "%s.%s" % (p["name"], _EXTENSIONS[fmt]))
        files[fmt] = target
        try:
            content = _render(fmt, p["summary"], p["title"], p["generated_at"]).encode("utf-8")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            module.fail_json(msg="cannot render the %s report: %s" % (fmt, exc))
        if _read(target) == content:
            continue
        written.append(fmt)
        if module.check_mode:
            continue
        try:
            if not os.path.isdir(p["path"]):
                os.makedirs(p["path"], 0o755)
            handle, tmp = tempfile.mkstemp(dir=p["path"], prefix=".%s." % p["name"])
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.chmod(tmp, mode)
            os.rename(tmp, target)
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot write %s: %s" % (target, exc))
    module.exit_json(changed=bool(written), files=files, written=written)


if __name__ == "__main__":
    main()
