#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: opa_eval
short_description: Ask an OPA policy for a decision on one input or many
version_added: 0.1.0
description:
  - Evaluates the policy decision at O(path) for O(input), or for every item of O(inputs), and reports whether
    each is allowed and, when it is not, the reasons the policy gives.
  - With the default O(backend=embedded) the policy is compiled once and every input reuses it; no OPA server is
    needed. With O(backend=rest) an OPA server is asked, one request per input.
  - The module only reads; it never changes anything and runs fully in check mode. It does not fail on a deny, the playbook decides (see the examples).
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.opa
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  path:
    description:
      - The decision to ask for, as an OPA data API path (V(spooky/peace_bonds)) or a reference
        (V(data.spooky.peace_bonds), V(spooky.peace_bonds.allow)).
      - Usually a package, whose C(allow) and C(deny) rules make the decision.
    type: str
    required: true
  input:
    description:
      - The input document of one decision. A string is read as JSON text.
      - Exactly one of O(input) and O(inputs) is required.
    type: raw
  inputs:
    description:
      - The input documents of many decisions, evaluated with one compiled policy. Strings are read as JSON text.
    type: list
    elements: raw
  labels:
    description:
      - A name for each input (for example the file or the object it comes from), used in RV(reasons) and returned
        with each decision. As many as there are inputs.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Peace Bonds | is the provider bonded? (seed 001)
  spooky.ops.opa_eval:
    policy_dir: "{{ spooky_policy_dir }}"
    path: spooky/peace_bonds
    input:
      provider: {name: acme-pay, risk_score: 0.85}
  register: bond

- name: Peace Bonds | maintain the block
  ansible.builtin.assert:
    that: bond.allow
    fail_msg: "{{ bond.reasons | join('; ') }}"

- name: Ship check | every manifest, one compiled policy
  spooky.ops.opa_eval:
    policy_dir: "{{ spooky_policy_dir }}"
    path: spooky/ship_check
    inputs: "{{ manifests }}"
    labels: "{{ manifests | map(attribute='metadata.name') }}"
  register: ship

- name: Ask the OPA server instead
  spooky.ops.opa_eval:
    backend: rest
    url: https://opa.example.com:8181
    ca_path: /etc/pki/opa-ca.pem
    bearer_token: "{{ opa_token }}"
    path: spooky/tenant_autonomy
    input: "{{ promotion_decision }}"
"""

RETURN = r"""
allow:
  description: Whether every decision allows.
  returned: always
  type: bool
  sample: false
reasons:
  description:
    - The reasons of every deny; with more than one input, each is prefixed with the input's label (or C(input N)).
  returned: always
  type: list
  elements: str
  sample: ["High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"]
denied:
  description: How many inputs were denied.
  returned: always
  type: int
  sample: 1
decisions:
  description:
    - One entry per input, in order, with C(label), C(allow), C(reasons), C(warnings), the raw C(decision) document
      (null when undefined), whether it was C(defined), the C(backend) and the C(path).
  returned: always
  type: list
  elements: dict
  sample: [{"label": "acme-pay", "allow": false, "reasons": ["High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"],
            "warnings": [], "decision": {"allow": false, "deny": ["..."]}, "defined": true, "backend": "embedded",
            "path": "data.spooky.peace_bonds"}]
backend:
  description: The backend that decided.
  returned: always
  type: str
  sample: embedded
path:
  description: The decision path, as a reference.
  returned: always
  type: str
  sample: data.spooky.peace_bonds
opa_available:
  description: Whether the OPA server answered (always true for the embedded backend). When false, every input is denied.
  returned: always
  type: bool
  sample: true
error:
  description:
    - For a failure or an unavailable server, what went wrong, with C(kind) (V(syntax), V(not_found), V(input), V(eval),
      V(unavailable)), C(message), and when known C(file), C(line), C(column) and C(path).
  returned: on failure, or when opa_available is false
  type: dict
  sample: {"kind": "syntax", "message": "policies/x/x.rego:6:11: Invalid boolean operator", "file": "policies/x/x.rego", "line": 6, "column": 11}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.policy.client import policy_backend, policy_common_argument_spec
from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (
    PolicyError,
    PolicyInputError,
    PolicyUnavailable,
    dotted,
    parse_json_text,
    split_path,
)


def read_inputs(params):
    """The list of inputs and their labels; PolicyInputError for an input that is not JSON."""
    single = params["inputs"] is None
    values = [params["input"]] if single else list(params["inputs"])
    documents = []
    for index, value in enumerate(values):
        what = "input" if single else "inputs[%d]" % index
        documents.append(parse_json_text(value, what) if isinstance(value, str) else value)
    labels = params["labels"]
    if labels is not None and len(labels) != len(documents):
        raise PolicyInputError("labels names %d inputs, there are %d" % (len(labels), len(documents)))
    if labels is None:
        labels = ["input"] if single else ["input %d" % index for index in range(len(documents))]
    return documents, labels


def main():
    argument_spec = policy_common_argument_spec()
    argument_spec.update(
        path=dict(type="str", required=True),
        input=dict(type="raw"),
        inputs=dict(type="list", elements="raw"),
        labels=dict(type="list", elements="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[("input", "inputs")],
                           required_one_of=[("input", "inputs")], supports_check_mode=True)
    params = module.params
    result = dict(changed=False, allow=False, reasons=[], denied=0, decisions=[], backend=params["backend"], opa_available=True)

    try:
        result["path"] = dotted(split_path(params["path"]))
        documents, labels = read_inputs(params)
    except PolicyError as exc:
        module.fail_json(msg=str(exc), error=exc.to_dict(), **result)

    backend = None
    try:
        backend = policy_backend(module)
        decisions = backend.evaluate_many(params["path"], documents)
    except PolicyUnavailable as exc:
        if params["backend"] != "rest" or backend is None:
            module.fail_json(msg=str(exc), error=exc.to_dict(), **result)
        result.update(opa_available=False, error=exc.to_dict(), denied=len(documents),
                      reasons=["%s: no decision, %s" % (params["path"], exc)])
        module.exit_json(**result)
    except PolicyError as exc:
        module.fail_json(msg=str(exc), error=exc.to_dict(), **result)

    single = params["inputs"] is None
    for label, decision in zip(labels, decisions):
        entry = decision.to_dict()
        entry["label"] = label
        result["decisions"].append(entry)
        if not decision.allow:
            result["denied"] += 1
            result["reasons"].extend(decision.reasons if single and params["labels"] is None
                                     else ["%s: %s" % (label, reason) for reason in decision.reasons])
    result["allow"] = result["denied"] == 0
    module.exit_json(**result)


if __name__ == "__main__":
    main()
