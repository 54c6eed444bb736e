#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: manifest_sign
short_description: Sign manifests and bundles (a file or a directory) with the current ed25519 key
version_added: 0.1.0
description:
  - Writes a detached signature (JSON) of each file or directory, V(<file>.sig) or V(<dir>/SIGNATURE.sig).
  - A directory is signed as a whole, by a canonical digest of its tree (sorted relative paths with their sha256;
    signature files, C(*.sig), are left out). The signature records the per-file list so that
    M(spooky.ops.manifest_verify) can name what changed.
  - Signs only with the keyring's current key, and only while it is valid; any other key is refused.
  - When a path already has a valid signature by the same key over the same content, nothing is written
    and the module reports no change.
  - Each signature written is recorded in the provenance log O(provenance_log) when it is set.
  - This is not OPA's bundle signing (C(.signatures.json), JWT), which offers no ed25519.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.signing
  - spooky.ops.signing.private_key
  - kubernetes.core.k8s_auth_options
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Per path, the key and digest of the signature before and after.
  idempotent:
    support: full
    details:
      - ed25519 signatures are deterministic, and a signature that is still good is kept, so a second run reports no change.
        O(force=true) re-signs every time.
  platform:
    platforms: all
options:
  path:
    description:
      - The file or directory to sign. One of O(path) and O(paths) is required.
    type: path
  paths:
    description:
      - Several files or directories to sign in one go, each with its default signature path.
    type: list
    elements: path
  signature:
    description:
      - Where to write the signature of O(path), instead of the default. Only with O(path).
      - A signature inside a signed directory that does not end in C(.sig) is left out of that directory's digest.
    type: path
  keyring:
    description:
      - Path of the public keyring, as M(spooky.ops.signing_key) writes it. The signing key must be its current key.
    type: path
    required: true
  provenance_log:
    description:
      - Append one C(sign) entry per signature written to this provenance log.
    type: path
  force:
    description:
      - Re-sign even where the existing signature is still good.
    type: bool
    default: false
requirements:
  - cryptography
  - kubernetes (only with O(private_key_secret))
seealso:
  - module: spooky.ops.signing_key
  - module: spooky.ops.manifest_verify
  - module: community.crypto.openssl_signature
"""

EXAMPLES = r"""
- name: Sign the manifests directory and one bundle
  spooky.ops.manifest_sign:
    paths:
      - "{{ playbook_dir }}/../manifests"
      - "{{ playbook_dir }}/../policies/bundle"
    keyring: /srv/signing/keyring.json
    private_key_path: /srv/signing/private/signing-key.pem
    provenance_log: /srv/signing/provenance.jsonl

- name: Sign one file, with the key from HashiCorp Vault
  spooky.ops.manifest_sign:
    path: manifests/demo/deployment.yaml
    keyring: /srv/signing/keyring.json
    private_key_content: "{{ lookup('community.hashi_vault.vault_kv2_get', 'spooky/signing').secret.private_key }}"
"""

RETURN = r"""
key_id:
  description: The key that signs.
  returned: success
  type: str
  sample: "ed25519:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855f"
signatures:
  description: One entry per path, with C(path), C(signature) (its path), C(type), C(digest), C(key_id), C(signed_at)
    and C(changed) (whether it was (re-)signed).
  returned: success
  type: list
  elements: dict
  sample: [{"path": "manifests", "signature": "manifests/SIGNATURE.sig", "type": "directory", "digest": "sha256:9e1c...",
            "key_id": "ed25519:3b0c...", "signed_at": "2026-01-02T03:04:05Z", "changed": true}]
signed:
  description: The paths that were (or, in check mode, would be) signed.
  returned: success
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.spooky.ops.plugins.module_utils.signing import provenance
from ansible_collections.spooky.ops.plugins.module_utils.signing.common import (
    key_store,
    load_keyring,
    load_private_key,
    private_key_argument_spec,
    require_cryptography,
)
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.signature import check_signing_key, plan_signature, write_document
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import now


def _paths(module):
    params = module.params
    if params["signature"] and not params["path"]:
        module.fail_json(msg="signature can only be used with path (one file or directory), not with paths")
    seen, paths = set(), []
    for path in [params["path"]] if params["path"] else params["paths"]:
        if path not in seen:
            seen.add(path)
            paths.append(path)
    if not paths:
        module.fail_json(msg="paths is empty: nothing to sign")
    return paths


def run(module):
    params = module.params
    paths = _paths(module)
    keyring = load_keyring(module)
    store = key_store(module) if not params["private_key_content"] else None
    key = load_private_key(module, store)
    if key is None:
        module.fail_json(msg="no private key in %s: create one with spooky.ops.signing_key" % store[0])
    t = now()
    check_signing_key(keyring, key, t)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        module.fail_json(msg="nothing to sign at %s: no such file or directory" % ", ".join(missing))

    plans = [(path,) + plan_signature(path, key, keyring, t, params["signature"], params["force"]) for path in paths]
    signatures, diff_before, diff_after = [], {}, {}
    for path, signature_path, doc, previous in plans:
        shown = doc or previous
        signatures.append(dict(path=path, signature=signature_path, type=shown["type"], digest=shown["digest"], key_id=shown["key_id"],
                               signed_at=shown["signed_at"], changed=doc is not None))
        if doc is not None:
            diff_before[path] = _summary(previous)
            diff_after[path] = _summary(doc)
    changed = [s for s in signatures if s["changed"]]
    if changed and not module.check_mode:
        for path, signature_path, doc, _previous in plans:
            if doc is None:
                continue
            write_document(signature_path, doc)
            if params["provenance_log"]:
                provenance.append(params["provenance_log"], provenance.SIGN, key_id=doc["key_id"], subject=path, digest=doc["digest"],
                                  t=t, type=doc["type"], signature=signature_path)
    result = dict(changed=bool(changed), key_id=key.key_id, signatures=signatures, signed=[s["path"] for s in changed])
    if module._diff:
        result["diff"] = dict(before=diff_before, after=diff_after)
    return result


def _summary(doc):
    if doc is None:
        return None
    return dict(key_id=doc["key_id"], digest=doc["digest"], signed_at=doc["signed_at"])


def main():
    argument_spec = private_key_argument_spec()
    argument_spec.update(
        path=dict(type="path"),
        paths=dict(type="list", elements="path"),
        signature=dict(type="path"),
        keyring=dict(type="path", required=True),
        provenance_log=dict(type="path"),
        force=dict(type="bool", default=False),
    )
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        check_k8s=False,
        check_pyyaml=False,
        argument_spec=argument_spec,
        mutually_exclusive=[("path", "paths"), ("private_key_path", "private_key_secret", "private_key_content")],
        required_one_of=[("path", "paths"), ("private_key_path", "private_key_secret", "private_key_content")],
        supports_check_mode=True,
    )
    require_cryptography(module)
    try:
        module.exit_json(**run(module))
    except SigningError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or "file", exc.strerror or exc))


if __name__ == "__main__":
    main()
