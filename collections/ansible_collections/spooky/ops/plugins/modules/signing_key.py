#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: signing_key
short_description: Create, rotate and revoke the ed25519 key that signs manifests and bundles
version_added: 0.1.0
description:
  - Keeps the public keyring (JSON) and the private key of the current signing key.
    The key id is V(ed25519:) followed by the hex sha256 of the raw public key.
  - O(state=present) makes sure there is a current key, generating one if there is none (or registering the one
    given in O(private_key_content)). An existing current key is kept; its private key must be where the options say.
  - O(state=rotated) makes a new key current. The previous key stays valid for O(overlap_days), so that what it
    signed still verifies until it is re-signed, then expires. With O(rotate_after_days) it rotates only a key that old.
  - O(state=revoked) revokes the key O(key_id) from its compromise time O(compromised_at) on. Signatures by it no
    longer verify, and M(spooky.ops.provenance_audit) reports what it signed from that time on.
    A revoked key is never made current again. Run O(state=present) or O(state=rotated) next to get a new key.
  - The private key is written with mode C(0600) to O(private_key_path), or to a Kubernetes Secret
    (O(private_key_secret)). For HashiCorp Vault, the key is generated outside and given in O(private_key_content).
  - Key events go to the provenance log O(provenance_log) when it is set.
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
      - The diff is the public keyring before and after. A key that would be generated shows as a placeholder.
  idempotent:
    support: partial
    details:
      - O(state=rotated) without O(rotate_after_days) generates a new key on every run (unless O(private_key_content)
        already is the current key). Everything else reports no change when nothing changed.
  platform:
    platforms: all
options:
  state:
    description:
      - V(present), V(rotated) or V(revoked), see the description.
    type: str
    choices: [present, rotated, revoked]
    default: present
  keyring:
    description:
      - Path of the public keyring (JSON). Created if it does not exist (not with O(state=revoked)).
    type: path
    required: true
  rotate_after_days:
    description:
      - With O(state=rotated), rotate only when the current key is at least this many days old (or there is none).
        Scheduled rotation uses V(90).
    type: int
  overlap_days:
    description:
      - On rotation, how long the previous key stays valid (its C(not_after) becomes now plus this). V(0) retires it at once.
    type: int
    default: 7
  key_id:
    description:
      - With O(state=revoked), the key to revoke (required then). There is no default, because a second run after the
        rotation that follows a revocation must not revoke the new key.
    type: str
  compromised_at:
    description:
      - With O(state=revoked), since when the key must be considered compromised (RFC 3339 with a zone, for example
        V(2026-01-02T03:04:05Z)). Signatures and log entries from this time on are refused or reported. Default now.
      - A later run may move it earlier, never later.
    type: str
  reason:
    description:
      - With O(state=revoked), why (required then). Recorded in the keyring.
    type: str
  provenance_log:
    description:
      - Append key events (C(key-generated), C(key-imported), C(key-rotated), C(key-revoked)) to this provenance log.
    type: path
requirements:
  - cryptography (to create or read keys)
  - kubernetes (only with O(private_key_secret))
seealso:
  - module: spooky.ops.manifest_sign
  - module: spooky.ops.manifest_verify
  - module: spooky.ops.provenance_audit
  - module: community.crypto.openssl_privatekey
"""

EXAMPLES = r"""
- name: Make sure there is a signing key
  spooky.ops.signing_key:
    keyring: /srv/signing/keyring.json
    private_key_path: /srv/signing/private/signing-key.pem
    provenance_log: /srv/signing/provenance.jsonl

- name: Rotate the signing key every 90 days, keeping the old one valid for 7 more days
  spooky.ops.signing_key:
    state: rotated
    rotate_after_days: 90
    overlap_days: 7
    keyring: /srv/signing/keyring.json
    private_key_path: /srv/signing/private/signing-key.pem
  register: rotation

- name: Keep the private key in a Kubernetes Secret instead
  spooky.ops.signing_key:
    keyring: /srv/signing/keyring.json
    private_key_secret:
      namespace: spooky-system
      name: spooky-signing-key
    kubeconfig: ~/.kube/config
    context: prod-eu-1

- name: Key compromise, step 1 - revoke the key from the time it was compromised
  spooky.ops.signing_key:
    state: revoked
    key_id: "ed25519:9f2c..."
    compromised_at: "2026-03-01T08:00:00Z"
    reason: laptop of a release engineer stolen
    keyring: /srv/signing/keyring.json

- name: Key compromise, step 2 - rotate to a new key kept in HashiCorp Vault (written there beforehand)
  spooky.ops.signing_key:
    state: rotated
    keyring: /srv/signing/keyring.json
    private_key_content: "{{ lookup('community.hashi_vault.vault_kv2_get', 'spooky/signing').secret.private_key }}"
"""

RETURN = r"""
action:
  description: What was done (or would be, in check mode).
  returned: always
  type: str
  choices: [none, generated, imported, rotated, revoked]
  sample: rotated
key_id:
  description: The current key after the run. Null when a key would be generated in check mode, or after revoking the current key.
  returned: always
  type: str
  sample: "ed25519:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855f"
previous_key_id:
  description: The key that was current before a rotation, now valid until RV(previous_not_after).
  returned: when action is rotated
  type: str
previous_not_after:
  description: Until when the previous key stays valid.
  returned: when action is rotated
  type: str
  sample: "2026-04-08T10:00:00Z"
revoked_key_id:
  description: The revoked key.
  returned: when state is revoked
  type: str
public_key:
  description: Base64 of the current raw public key.
  returned: when there is a current key
  type: str
created_at:
  description: When the current key was created.
  returned: when there is a current key
  type: str
age_days:
  description: Age of the current key in days.
  returned: when there is a current key
  type: float
  sample: 12.5
rotation_due:
  description: Whether the current key is at least O(rotate_after_days) old (false when that option is not set).
  returned: always
  type: bool
private_key_written:
  description: Whether the private key was written to its store (O(private_key_path) or O(private_key_secret)).
  returned: always
  type: bool
keyring_data:
  description: The public keyring after the run (public keys only; never private material).
  returned: always
  type: dict
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.spooky.ops.plugins.module_utils.signing import provenance, storage
from ansible_collections.spooky.ops.plugins.module_utils.signing.common import (
    key_store,
    load_private_key,
    private_key_argument_spec,
    require_cryptography,
)
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import Keyring
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import DAY, format_time, now, parse_time

PLACEHOLDER = "(generated when not in check mode)"


def _check_arguments(module):
    params = module.params
    if params["overlap_days"] < 0:
        module.fail_json(msg="overlap_days must not be negative, got %d" % params["overlap_days"])
    if params["rotate_after_days"] is not None and params["rotate_after_days"] <= 0:
        module.fail_json(msg="rotate_after_days must be greater than 0, got %d" % params["rotate_after_days"])
    if params["state"] == "revoked":
        stray = [name for name in ("rotate_after_days", "private_key_content") if params[name]]
    else:
        stray = [name for name in ("key_id", "compromised_at", "reason") if params[name]]
        if not (params["private_key_path"] or params["private_key_secret"] or params["private_key_content"]):
            module.fail_json(msg="state=%s needs to know where the private key is: set private_key_path, private_key_secret "
                                 "or private_key_content" % params["state"])
    if stray:
        module.fail_json(msg="%s cannot be used with state=%s" % (", ".join(stray), params["state"]))
    if params["rotate_after_days"] is not None and params["state"] != "rotated":
        module.fail_json(msg="rotate_after_days is for state=rotated")


def _revoke(module, keyring, t):
    params = module.params
    key_id = params["key_id"]
    compromised = parse_time(params["compromised_at"], "compromised_at") if params["compromised_at"] else None
    changed = keyring.revoke(key_id, t, compromised, params["reason"])
    return dict(action="revoked" if changed else "none", revoked_key_id=key_id), None, []


def _keep_or_make(module, keyring, store, t):
    """(result, key to write to the store or None, provenance events)."""
    params = module.params
    current = keyring.current_key(t)
    due = current is None or (params["state"] == "rotated" and (
        params["rotate_after_days"] is None or t - current.created_at >= params["rotate_after_days"] * DAY))
    given = load_private_key(module) if params["private_key_content"] else None

    if given is not None:
        record = keyring.get(given.key_id)
        if current is not None and current.key_id == given.key_id:
            if due and params["state"] == "rotated":
                module.warn("The current key %s is due for rotation, but private_key_content is that key: put a new key "
                            "in the key store (Vault) to rotate." % given.key_id)
            new, action = given, "none"
        elif record is not None:
            module.fail_json(msg="the given private key %s is already in the keyring but is not the current key (%s): a revoked, "
                                 "expired or rotated key is never made current again" % (given.key_id, record.status_at(t)[1]))
        elif current is None:
            keyring.add(given.key_id, given.public_b64, t)
            new, action = given, "imported"
        elif params["state"] == "rotated":
            keyring.rotate(given.key_id, given.public_b64, t, params["overlap_days"] * DAY)
            new, action = given, "rotated"
        else:
            module.fail_json(msg="the given private key %s is not the current key %s: use state=rotated to make it current"
                                 % (given.key_id, current.key_id))
        to_store = None
        if store is not None:
            held = load_private_key_quietly(module, store)
            to_store = given if held is None or held.key_id != given.key_id else None
    elif current is not None and not due:
        where = store[0]
        stored = load_private_key(module, store)
        if stored is None:
            module.fail_json(msg="the private key of the current key %s is missing from %s: rotate (state=rotated) to replace "
                                 "the key" % (current.key_id, where))
        if stored.key_id != current.key_id:
            module.fail_json(msg="%s holds key %s, but the current key is %s: point the module at the right key, or rotate "
                                 "(state=rotated)" % (where, stored.key_id, current.key_id))
        new, action, to_store = stored, "none", None
    else:
        new = SigningKey.generate()
        if current is None:
            keyring.add(new.key_id, new.public_b64, t)
            action = "generated"
        else:
            keyring.rotate(new.key_id, new.public_b64, t, params["overlap_days"] * DAY)
            action = "rotated"
        to_store = new

    result = dict(action=action)
    if action == "rotated":
        previous = current
        result.update(previous_key_id=previous.key_id, previous_not_after=format_time(keyring.get(previous.key_id).not_after))
    events = []
    if action == "generated":
        events.append(dict(action=provenance.KEY_GENERATED, key_id=new.key_id))
    elif action == "imported":
        events.append(dict(action=provenance.KEY_IMPORTED, key_id=new.key_id))
    elif action == "rotated":
        events.append(dict(action=provenance.KEY_ROTATED, key_id=new.key_id, previous_key_id=current.key_id))
    return result, to_store, events


def load_private_key_quietly(module, store):
    """What the store holds, or None when it is empty or holds something unreadable (it is then overwritten)."""
    try:
        return load_private_key(module, store)
    except SigningError:
        return None


def run(module):
    params = module.params
    state = params["state"]
    t = now()
    try:
        keyring = Keyring.load(params["keyring"], missing_ok=state != "revoked")
    except SigningError as exc:
        module.fail_json(msg=str(exc))
    before = keyring.dumps()
    store = key_store(module) if state != "revoked" else None

    if state == "revoked":
        result, to_store, events = _revoke(module, keyring, t)
        if result["action"] == "revoked":
            key = keyring.get(result["revoked_key_id"])
            events = [dict(action=provenance.KEY_REVOKED, key_id=key.key_id, reason=key.revocation_reason,
                           compromised_at=format_time(key.compromised_at))]
    else:
        result, to_store, events = _keep_or_make(module, keyring, store, t)

    after = keyring.dumps()
    keyring_changed = after != before or not _exists(params["keyring"])
    changed = keyring_changed or to_store is not None
    generated_in_check = module.check_mode and result["action"] in ("generated", "rotated") and not params["private_key_content"]

    if changed and not module.check_mode:
        if to_store is not None:
            store[2](to_store.to_pem(params["private_key_passphrase"]), to_store.key_id)
        if keyring_changed:
            storage.write_atomic(params["keyring"], after.encode("utf-8"))
        if params["provenance_log"]:
            for event in events:
                provenance.append(params["provenance_log"], t=t, **event)

    current = keyring.current_key(t)
    keyring_data = keyring.to_dict()
    if generated_in_check:
        new_id = keyring.current
        after = after.replace(new_id, PLACEHOLDER).replace(keyring.get(new_id).public_key, PLACEHOLDER)
        keyring_data = _placeholder(keyring_data, new_id)
    result.update(
        changed=changed,
        key_id=None if (current is None or generated_in_check) else current.key_id,
        private_key_written=to_store is not None and not module.check_mode,
        rotation_due=bool(current is not None and params["rotate_after_days"]
                          and t - current.created_at >= params["rotate_after_days"] * DAY),
        keyring_data=keyring_data,
    )
    if current is not None and not generated_in_check:
        result.update(public_key=current.public_key, created_at=format_time(current.created_at),
                      age_days=round((t - current.created_at) / float(DAY), 3))
    if module._diff:
        result["diff"] = dict(before=before if _exists(params["keyring"]) else "", after=after,
                              before_header=params["keyring"], after_header=params["keyring"])
    return result


def _exists(path):
    return storage.read_bytes(path) is not None


def _placeholder(data, key_id):
    data = copy.deepcopy(data)
    data["current"] = PLACEHOLDER
    for key in data["keys"]:
        if key["key_id"] == key_id:
            key.update(key_id=PLACEHOLDER, public_key=PLACEHOLDER)
    return data


def main():
    argument_spec = private_key_argument_spec()
    argument_spec.update(
        state=dict(type="str", default="present", choices=["present", "rotated", "revoked"]),
        keyring=dict(type="path", required=True),
        rotate_after_days=dict(type="int"),
        overlap_days=dict(type="int", default=7),
        key_id=dict(type="str", no_log=False),
        compromised_at=dict(type="str"),
        reason=dict(type="str"),
        provenance_log=dict(type="path"),
    )
    module = AnsibleK8SModule(
        module_class=AnsibleModule,
        check_k8s=False,
        check_pyyaml=False,
        argument_spec=argument_spec,
        mutually_exclusive=[("private_key_path", "private_key_secret")],
        required_if=[("state", "revoked", ("key_id", "reason"))],
        supports_check_mode=True,
    )
    _check_arguments(module)
    if module.params["state"] != "revoked":
        require_cryptography(module)
    try:
        module.exit_json(**run(module))
    except SigningError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or "file", exc.strerror or exc))


if __name__ == "__main__":
    main()
