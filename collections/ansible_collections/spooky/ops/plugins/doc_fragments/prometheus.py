# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Prometheus server, for example V(https://prometheus.example.com:9090).
      - If not set, the value of the E(SPOOKY_PROMETHEUS_URL) environment variable is used.
    type: str
    required: true
  bearer_token:
    description:
      - Bearer token sent in the C(Authorization) header.
      - If not set, the value of the E(SPOOKY_PROMETHEUS_TOKEN) environment variable is used.
    type: str
  username:
    description:
      - User name for HTTP basic authentication.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only turn this off for a server you reach over a trusted path.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities to trust for the server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for an answer before the server is reported unavailable.
    type: float
    default: 10.0
  headers:
    description:
      - Extra HTTP headers, for example a tenant header of a multi-tenant Prometheus front end.
    type: dict
    default: {}
notes:
  - An unreachable or unready server is not a task failure. The module reports it as data (see its return values),
    so a playbook can decide what that means. A query the server rejects fails the task.
"""
