#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: write_report
short_description: Write a run's report as JSON on the controller
version_added: 0.2.0
description:
  - Writes O(content) as indented, key-sorted JSON (as the C(to_nice_json) filter does) to O(path) on the Ansible
    controller, atomically (a temporary file renamed over the report), creating its directory.
  - The reports of spooky.ops runs are the controller's (C(spooky_reports_dir)); this action writes one in-process,
    where M(ansible.builtin.copy) with C(content) would run two modules.
  - Reports O(path) changed only when its content differs. It writes in check mode too when the task says
    C(check_mode=false), as a report of a check run should be.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: none
    details: The report is the run's output; set C(check_mode) on the task.
  diff_mode:
    support: none
  platform:
    platforms: all
    details: Writes on the controller, whatever the target host.
options:
  path:
    description:
      - The report file.
    type: path
    required: true
  content:
    description:
      - The report, any data that JSON can represent.
    type: raw
    required: true
  mode:
    description:
      - Permissions of the file, octal.
    type: raw
    default: "0644"
"""

EXAMPLES = r"""
- name: Report | write the backup report
  spooky.ops.write_report:
    path: "{{ spooky_reports_dir }}/backup.json"
    content:
      kind: backup
      sets: "{{ backup_report_sets }}"
  check_mode: false
  changed_when: false
"""

RETURN = r"""
path:
  description: The absolute path written.
  returned: always
  type: str
size:
  description: The report's size in bytes.
  returned: always
  type: int
"""
