#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: manifest_verify
short_description: Verify the signatures of manifests and bundles against the public keyring
version_added: 0.1.0
description:
  - Checks each file or directory against its detached signature (as M(spooky.ops.manifest_sign) writes it) and the
    keyring, at a given time (default now).
  - Fails, naming the file and the key, when a path is missing (V(missing-file)), is not signed (V(missing-signature)),
    has an unreadable signature (V(malformed-signature)), is signed by a key the keyring does not know (V(unknown-key)),
    has a signature that does not verify with the key it names (V(wrong-key)), is signed by a key revoked at that time
    (V(revoked-key)), expired (V(expired-key)) or not yet valid (V(key-not-yet-valid)), or has changed since it was signed
    (V(tampered); for a directory, the files changed, added and removed).
  - Every path is checked; the failure lists them all.
  - The module only reads.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.signing
  - spooky.ops.signing.keyring
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
  platform:
    platforms: all
options:
  path:
    description:
      - The file or directory to verify. One of O(path) and O(paths) is required.
    type: path
  paths:
    description:
      - Several files or directories, each with its default signature path.
    type: list
    elements: path
  signature:
    description:
      - The signature of O(path), when it is not at the default place (V(<file>.sig), V(<dir>/SIGNATURE.sig)).
    type: path
  at:
    description:
      - Verify as of this time (RFC 3339 with a zone, for example V(2026-01-02T03:04:05Z)). Default now.
    type: str
requirements:
  - cryptography
seealso:
  - module: spooky.ops.manifest_sign
  - module: spooky.ops.signing_key
"""

EXAMPLES = r"""
- name: Refuse to apply manifests that are not signed by a valid key
  spooky.ops.manifest_verify:
    paths:
      - "{{ playbook_dir }}/../manifests"
    keyring: /srv/signing/keyring.json

- name: Verify against the keyring published on the cluster
  spooky.ops.manifest_verify:
    path: policies/bundle
    keyring_content: "{{ keyring_configmap.resources[0].data['keyring.json'] }}"
"""

RETURN = r"""
verified:
  description: The paths whose signature holds, with C(path), C(signature), C(key_id), C(digest), C(type) and C(signed_at).
  returned: always
  type: list
  elements: dict
failures:
  description: The paths whose signature does not hold, with C(path), C(reason) (see the description), C(key_id) and C(msg).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "manifests", "reason": "tampered", "key_id": "ed25519:3b0c...",
            "msg": "manifests: content changed since it was signed: changed deploy.yaml [key ed25519:3b0c...]"}]
at:
  description: The time of the verification.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.signing.common import keyring_argument_spec, load_keyring, require_cryptography
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError, VerificationError
from ansible_collections.spooky.ops.plugins.module_utils.signing.signature import verify
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, now, parse_time


def main():
    argument_spec = keyring_argument_spec()
    argument_spec.update(
        path=dict(type="path"),
        paths=dict(type="list", elements="path"),
        signature=dict(type="path"),
        at=dict(type="str"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("path", "paths"), ("keyring", "keyring_content")],
        required_one_of=[("path", "paths"), ("keyring", "keyring_content")],
        supports_check_mode=True,
    )
    params = module.params
    if params["signature"] and not params["path"]:
        module.fail_json(msg="signature can only be used with path (one file or directory), not with paths")
    try:
        at = parse_time(params["at"], "at") if params["at"] else now()
    except SigningError as exc:
        module.fail_json(msg=str(exc))
    paths = [params["path"]] if params["path"] else list(dict.fromkeys(params["paths"]))
    if not paths:
        module.fail_json(msg="paths is empty: nothing to verify")
    require_cryptography(module)
    keyring = load_keyring(module)

    verified, failures = [], []
    for path in paths:
        try:
            verified.append(verify(path, keyring, at, params["signature"]))
        except VerificationError as exc:
            failures.append(exc.as_dict())
        except SigningError as exc:
            failures.append(dict(path=path, reason="error", key_id=None, msg="%s: %s" % (path, exc)))
    result = dict(changed=False, verified=verified, failures=failures, at=format_time(at))
    if failures:
        module.fail_json(msg="%d of %d signature(s) do not hold: %s" % (len(failures), len(paths), "; ".join(f["msg"] for f in failures)),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
