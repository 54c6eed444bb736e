# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  servers:
    description:
      - NATS server URLs, for example V(nats://127.0.0.1:14222).
    type: list
    elements: str
    required: true
  timeout:
    description:
      - Seconds to wait for the connection and for each answer of the server.
    type: float
    default: 5.0
  user:
    description:
      - User name, with O(password).
    type: str
  password:
    description:
      - Password of O(user).
    type: str
  token:
    description:
      - Authentication token (instead of O(user) and O(password)).
    type: str
requirements:
  - nats-py (Python)
"""
