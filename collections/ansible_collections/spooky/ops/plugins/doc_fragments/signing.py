# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The idempotent attribute (not in ansible.builtin.action_common_attributes), with each module's support level.
    DOCUMENTATION = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled or queried by the module has not changed in a relevant way.
"""

    # Where the private signing key is read from or written to.
    PRIVATE_KEY = r"""
options:
  private_key_path:
    description:
      - Path of the private key file (PEM, PKCS#8). Written with mode C(0600), in a directory created with mode C(0700)
        if it does not exist.
      - Mutually exclusive with O(private_key_secret).
    type: path
  private_key_secret:
    description:
      - A Kubernetes Secret that holds the private key, reached with the connection options (O(kubeconfig), O(context), ...)
        of P(kubernetes.core.k8s#module). Needs the C(kubernetes) Python library.
      - Mutually exclusive with O(private_key_path).
    type: dict
    suboptions:
      name:
        description: Name of the Secret.
        type: str
        required: true
      namespace:
        description: Namespace of the Secret. It must exist.
        type: str
        required: true
      key:
        description: The data key that holds the PEM.
        type: str
        default: ed25519.pem
  private_key_content:
    description:
      - The private key itself (PEM), for example read from HashiCorp Vault with the
        C(community.hashi_vault.vault_kv2_get) lookup. Never logged and never returned.
    type: str
  private_key_passphrase:
    description:
      - Passphrase of an encrypted private key; keys written by M(spooky.ops.signing_key) are encrypted with it.
    type: str
notes:
  - No result of this module contains private key material, and the options that carry it are C(no_log).
"""

    # The public keyring to verify with.
    KEYRING = r"""
options:
  keyring:
    description:
      - Path of the public keyring (JSON), as M(spooky.ops.signing_key) writes it.
      - One of O(keyring) and O(keyring_content) is required.
    type: path
  keyring_content:
    description:
      - The keyring itself, as a JSON string or a mapping, for example the C(keyring.json) of the
        C(spooky-signing-keyring) ConfigMap that C(playbooks/key_rotation.yml) publishes to every cluster.
    type: raw
"""
