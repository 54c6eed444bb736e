# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  backend:
    description:
      - Where the policy is evaluated.
      - V(embedded) evaluates Rego in the module's own process with the C(regopy) Python package (rego-cpp), no
        server needed; the policies come from O(policy_dir) or O(policy).
      - V(rest) asks an OPA server through its REST data API (C(POST /v1/data/<path>)) at O(url); the server has
        its own policies. Use it for OPA-exact results, or for the built-ins the embedded engine lacks
        (C(net.cidr_*), C(http.send), C(json.match_schema)).
      - C(opa-golib-python-bindings) (OPA's Go engine) is not offered as a backend, since every release requires
        Python 3.14 or later, and it is an alpha package from a single author.
    type: str
    choices: [embedded, rest]
    default: embedded
  policy_dir:
    description:
      - Directory of C(.rego) files (searched recursively; C(*_test.rego) files are left out) and C(data.json) or
        C(data.yaml) documents, as in an OPA bundle. For the embedded backend.
      - The collection's own policies are in its C(policies/) directory.
    type: path
  policy:
    description:
      - Rego source of one module, for the embedded backend; added to those of O(policy_dir) if both are given.
    type: str
  data:
    description:
      - A data document merged into C(data), for example one that sets C(spooky.config.peace_bonds.risk_threshold).
        For the embedded backend.
    type: dict
  url:
    description:
      - Base URL of the OPA server for O(backend=rest), for example V(https://opa.example.com:8181).
      - If not set, the value of the E(SPOOKY_OPA_URL) environment variable is used.
    type: str
  bearer_token:
    description:
      - Bearer token sent to the OPA server in the C(Authorization) header.
      - If not set, the value of the E(SPOOKY_OPA_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the OPA server's TLS certificate. Only turn this off for a server you reach over a trusted path.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities to trust for the OPA server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for the OPA server before it is reported unavailable.
    type: float
    default: 10.0
  headers:
    description:
      - Extra HTTP headers for the OPA server.
    type: dict
    default: {}
requirements:
  - regopy == 1.5.2 (for O(backend=embedded))
notes:
  - A decision is read the same way from both backends. A boolean is the answer. An object (a package) allows when
    its C(allow) is not false and it has no C(deny), C(violation) or C(violations) entry (Conftest and Gatekeeper
    style); C(warn) entries are warnings. A list is a set of deny reasons. An undefined decision is a deny.
  - An OPA server that cannot be reached is not a task failure; the module reports RV(opa_available=false) with the
    reason in RV(error), and denies. A policy that does not compile, a decision path no policy defines, or an input
    that is not JSON fails the task with a message naming the file and line, or the path.
"""
