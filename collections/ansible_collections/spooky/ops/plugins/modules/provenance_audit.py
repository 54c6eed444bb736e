#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: provenance_audit
short_description: Audit the signing provenance log - hash chain and entries signed by revoked or expired keys
version_added: 0.1.0
description:
  - Reads the append-only provenance log (JSON lines, each with the hash of the line before) that
    M(spooky.ops.manifest_sign) and M(spooky.ops.signing_key) write.
  - Pinpoints the first place where the hash chain breaks (a line changed, removed or inserted, or an incomplete
    last line) and lists every C(sign) entry that is suspicious against the keyring, that is signed by a revoked key
    at or after its compromise time, by a key outside its validity window, or by a key the keyring does not know.
  - What a hash chain cannot show is a log cut at its end or rewritten as a whole. Keep RV(head) somewhere else
    (a transparency log such as Rekor, a ticket) and compare.
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
      - Path of the provenance log. A log that does not exist has no entries (RV(exists) is false).
    type: path
    required: true
  fail_on_findings:
    description:
      - Fail when the chain is broken or an entry is suspicious, instead of only reporting it.
    type: bool
    default: false
seealso:
  - module: spooky.ops.signing_key
  - module: spooky.ops.manifest_sign
"""

EXAMPLES = r"""
- name: Key compromise, step 4 - audit the provenance trail
  spooky.ops.provenance_audit:
    path: /srv/signing/provenance.jsonl
    keyring: /srv/signing/keyring.json
  register: audit

- name: Show what the compromised key signed after the compromise
  ansible.builtin.debug:
    msg: "{{ audit.suspicious | map(attribute='msg') | list }}"
"""

RETURN = r"""
exists:
  description: Whether the log exists.
  returned: always
  type: bool
entries:
  description: Number of complete lines.
  returned: always
  type: int
head:
  description: The sha256 of the last line (all zeros for an empty log), to compare with a copy kept elsewhere.
  returned: always
  type: str
chain_ok:
  description: Whether the hash chain holds from the first line to the last.
  returned: always
  type: bool
first_broken:
  description: Where the chain first breaks, null when it holds. C(line) is the line to blame, C(found_at_line) where the
    break shows, C(key_id) and C(subject) what that line records (when it can be read), C(msg) says what happened.
  returned: always
  type: dict
  sample: {"line": 5, "found_at_line": 6, "reason": "chain-broken", "key_id": "ed25519:3b0c...", "subject": "manifests",
           "msg": "provenance.jsonl: line 5 was changed after it was written: line 6 records another hash for it
                   (the line records sign of manifests by key ed25519:3b0c...)"}
suspicious:
  description: Every suspicious sign entry, with C(line), C(seq), C(time), C(key_id), C(subject), C(digest), C(reason)
    (V(revoked-key), V(expired-key), V(key-not-yet-valid), V(unknown-key)) and C(msg).
  returned: always
  type: list
  elements: dict
ok:
  description: True when the chain holds and no entry is suspicious.
  returned: always
  type: bool
msg:
  description: One line for a human.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.signing.common import keyring_argument_spec, load_keyring
from ansible_collections.spooky.ops.plugins.module_utils.signing.provenance import audit


def main():
    argument_spec = keyring_argument_spec()
    argument_spec.update(
        path=dict(type="path", required=True),
        fail_on_findings=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("keyring", "keyring_content")],
        required_one_of=[("keyring", "keyring_content")],
        supports_check_mode=True,
    )
    keyring = load_keyring(module)
    try:
        result = audit(module.params["path"], keyring)
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (module.params["path"], exc.strerror or exc))
    parts = ["%d entries" % result["entries"]]
    parts.append("chain holds" if result["chain_ok"] else "chain BROKEN: %s" % result["first_broken"]["msg"])
    parts.append("%d suspicious entries" % len(result["suspicious"]))
    result.update(changed=False, msg="provenance log %s: %s" % (module.params["path"], ", ".join(parts)))
    if module.params["fail_on_findings"] and not result["ok"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
