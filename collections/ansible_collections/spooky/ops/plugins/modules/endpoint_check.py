#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: endpoint_check
short_description: Check a health endpoint (status code, latency) and the days left on its TLS certificate
version_added: 0.1.0
description:
  - Requests O(url) and grades the answer. An unexpected status code or no answer is V(critical), a latency over
    O(latency_critical_ms) V(critical), over O(latency_warning_ms) V(warning).
  - For an C(https) URL, also reads the certificate the server presents (without trusting it, so an expired one is
    still seen) and grades the days left; the request itself verifies TLS (O(validate_certs)).
  - Spyoncino's startup checklist (seed 004) and ORCA's post-deploy checklist (seed 003).
  - Faults (server down, TLS failure) are reported in the result, never as a failed task.
  - The module only reads and runs fully in check mode.
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
  url:
    description:
      - The health endpoint, for example V(https://orca.example.com/health). One of O(url) and O(endpoints) is required.
    type: str
  endpoints:
    description:
      - Check several endpoints in one task, O(parallel) at a time - a list of dicts with C(url) and optionally C(name),
        C(expected_status), C(latency_warning_ms), C(latency_critical_ms), C(cert_warning_days), C(cert_critical_days),
        C(ca_path), C(validate_certs) and C(host) (passed through). Unset keys take the module's options. The results
        are then in RV(results).
    type: list
    elements: dict
  parallel:
    description:
      - How many endpoints of O(endpoints) are checked at the same time.
    type: int
    default: 8
  name:
    description:
      - A name for the endpoint in messages; defaults to O(url).
    type: str
  method:
    description:
      - HTTP method.
    type: str
    choices: [GET, HEAD]
    default: GET
  expected_status:
    description:
      - Status codes that mean healthy.
    type: list
    elements: int
    default: [200]
  latency_warning_ms:
    description:
      - Latency over which the endpoint is V(warning).
    type: float
  latency_critical_ms:
    description:
      - Latency over which the endpoint is V(critical). Must not be below O(latency_warning_ms).
    type: float
  cert_warning_days:
    description:
      - Fewer days left on the certificate is V(warning) (severity P3, plan the rotation).
    type: float
    default: 30
  cert_critical_days:
    description:
      - Fewer days left is V(warning) with severity P2 (rotate today); an expired certificate is V(critical), P1.
    type: float
    default: 7
  tls:
    description:
      - Read and grade the certificate of an C(https) URL.
    type: bool
    default: true
  validate_certs:
    description:
      - Verify the server's certificate on the request.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities to trust.
    type: path
  timeout:
    description:
      - Seconds to wait for an answer.
    type: float
    default: 10.0
  headers:
    description:
      - Extra HTTP headers.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Spyoncino's control API answers and its certificate is not about to expire
  spooky.ops.endpoint_check:
    name: control-api
    url: https://spyoncino.example.com:8443/health
    ca_path: /etc/spyoncino/certs/ca.crt
    latency_warning_ms: 500
    latency_critical_ms: 2000
  register: control_api

- name: Fail when it is critical
  ansible.builtin.assert:
    that: control_api.status != 'critical'
    fail_msg: "{{ control_api.http_message }}; {{ control_api.tls_message | default('') }}"
"""

RETURN = r"""
status:
  description: The worse of RV(http_status) and RV(tls_status).
  returned: with url
  type: str
  sample: ok
http_status:
  description: V(ok), V(warning) or V(critical) for the answer.
  returned: with url
  type: str
  sample: ok
http_message:
  description: The answer in one line.
  returned: with url
  type: str
  sample: HTTP 200 in 4 ms
status_code:
  description: The HTTP status code, or null without an answer.
  returned: with url
  type: int
  sample: 200
latency_ms:
  description: Time to the full answer (or to the failure), in milliseconds.
  returned: with url
  type: float
  sample: 4.2
tls:
  description: The certificate (not_after, days_left, subject, issuer), or its error.
  returned: when the URL is https and tls is true
  type: dict
  sample: {"not_after": "2027-01-31T02:00:00Z", "days_left": 364.9, "subject": "CN=lab-health", "issuer": "CN=spooky-lab-ca"}
tls_status:
  description: V(ok), V(warning) or V(critical) for the certificate.
  returned: when the URL is https and tls is true
  type: str
  sample: ok
tls_severity:
  description: P1 (expired), P2 (fewer than O(cert_critical_days) left) or P3 (fewer than O(cert_warning_days)); null when ok.
  returned: when the URL is https and tls is true
  type: str
  sample: null
tls_message:
  description: The certificate in one line.
  returned: when the URL is https and tls is true
  type: str
  sample: certificate CN=lab-health (issuer CN=spooky-lab-ca) valid for 365 more days (until 2027-01-31T02:00:00Z)
checked_at:
  description: Unix time of the check.
  returned: always
  type: float
  sample: 1769824800.0
results:
  description: With O(endpoints), one result per endpoint (every key above, and C(host) when given).
  returned: when endpoints is given
  type: list
  elements: dict
  sample: [{"url": "https://127.0.0.1:19443/health", "status": "ok", "http_status": "ok", "tls_status": "ok"}]
"""

import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.endpoint import grade_certificate, grade_http, http_get, peer_certificate

_RANK = {"ok": 0, "warning": 1, "critical": 2}
_KEYS = ("url", "name", "method", "expected_status", "latency_warning_ms", "latency_critical_ms", "cert_warning_days",
         "cert_critical_days", "tls", "validate_certs", "ca_path", "timeout", "headers")


def _problem(p):
    if not isinstance(p.get("url"), str) or not p["url"].startswith(("http://", "https://")):
        return "url must start with http:// or https://, got %r" % (p.get("url"),)
    if p["timeout"] <= 0:
        return "timeout must be greater than 0, got %s" % p["timeout"]
    if p["latency_warning_ms"] is not None and p["latency_critical_ms"] is not None and p["latency_warning_ms"] > p["latency_critical_ms"]:
        return "latency_warning_ms (%s) must not be above latency_critical_ms (%s)" % (p["latency_warning_ms"], p["latency_critical_ms"])
    if p["cert_critical_days"] > p["cert_warning_days"]:
        return "cert_critical_days (%s) must not be above cert_warning_days (%s)" % (p["cert_critical_days"], p["cert_warning_days"])
    return None


def check_endpoint(p):
    """The result of one endpoint (p has every key of _KEYS)."""
    result = dict(url=p["url"], name=p["name"] or p["url"], checked_at=time.time())
    answer = http_get(p["url"], timeout=p["timeout"], validate_certs=p["validate_certs"], ca_path=p["ca_path"],
                      headers=p["headers"], method=p["method"])
    graded = grade_http(answer, p["expected_status"], p["latency_warning_ms"], p["latency_critical_ms"])
    result["http_status"], result["http_message"] = graded
    result.update(status_code=answer.get("status_code"), latency_ms=answer.get("latency_ms"))
    status = result["http_status"]
    if p["tls"] and p["url"].startswith("https://"):
        cert = peer_certificate(p["url"], timeout=p["timeout"])
        result["tls"] = cert
        result["tls_status"], result["tls_severity"], result["tls_message"] = grade_certificate(
            cert, p["cert_warning_days"], p["cert_critical_days"])
        if _RANK[result["tls_status"]] > _RANK[status]:
            status = result["tls_status"]
    result["status"] = status
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str"),
            endpoints=dict(type="list", elements="dict"),
            parallel=dict(type="int", default=8),
            name=dict(type="str"),
            method=dict(type="str", default="GET", choices=["GET", "HEAD"]),
            expected_status=dict(type="list", elements="int", default=[200]),
            latency_warning_ms=dict(type="float"),
            latency_critical_ms=dict(type="float"),
            cert_warning_days=dict(type="float", default=30),
            cert_critical_days=dict(type="float", default=7),
            tls=dict(type="bool", default=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="float", default=10.0),
            headers=dict(type="dict", default={}),
        ),
        required_one_of=[("url", "endpoints")],
        mutually_exclusive=[("url", "endpoints")],
        supports_check_mode=True,
    )
    p = module.params
    if p["endpoints"] is None:
        problem = _problem(p)
        if problem:
            module.fail_json(msg=problem)
        module.exit_json(changed=False, **check_endpoint(p))
    specs = []
    for index, endpoint in enumerate(p["endpoints"]):
        spec = dict((key, endpoint[key] if endpoint.get(key) is not None else p[key]) for key in _KEYS)
        problem = _problem(spec)
        if problem:
            module.fail_json(msg="endpoints[%d]: %s" % (index, problem))
        specs.append(spec)
    if p["parallel"] < 1:
        module.fail_json(msg="parallel must be at least 1, got %d" % p["parallel"])
    results = []
    if specs:
        with ThreadPoolExecutor(max_workers=min(p["parallel"], len(specs))) as pool:
            results = list(pool.map(check_endpoint, specs))
    for endpoint, result in zip(p["endpoints"], results):
        if endpoint.get("host") is not None:
            result["host"] = endpoint["host"]
    module.exit_json(changed=False, results=results, checked_at=time.time())


if __name__ == "__main__":
    main()
