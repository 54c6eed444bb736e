# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the signing modules share: their private key and keyring options and where they read them from
(documented in the spooky.ops.signing doc fragment)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.spooky.ops.plugins.module_utils.signing import storage
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import Keyring
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY, SigningKey


def private_key_argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        private_key_path=dict(type="path", no_log=False),
        private_key_secret=dict(type="dict", no_log=False, options=dict(
            name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
            key=dict(type="str", default="ed25519.pem", no_log=False),
        )),
        private_key_content=dict(type="str", no_log=True),
        private_key_passphrase=dict(type="str", no_log=True),
    )
    return spec


def keyring_argument_spec():
    return dict(keyring=dict(type="path"), keyring_content=dict(type="raw", no_log=False))


def require_cryptography(module):
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)


def load_keyring(module):
    """The keyring from O(keyring) or O(keyring_content); fails the module when it is missing or malformed."""
    params = module.params
    try:
        if params.get("keyring_content") is not None:
            return Keyring.loads(params["keyring_content"], "keyring_content")
        return Keyring.load(params["keyring"])
    except SigningError as exc:
        module.fail_json(msg=str(exc))


def key_store(module):
    """(description, reader, writer) of where the private key is stored, or None when it is only given as content."""
    params = module.params
    if params.get("private_key_path"):
        path = params["private_key_path"]

        def read():
            return storage.read_bytes(path)

        def write(pem, key_id):
            storage.ensure_private_file(path, pem)
        return "private key file %s" % path, read, write
    if params.get("private_key_secret"):
        spec = params["private_key_secret"]
        from ansible_collections.spooky.ops.plugins.module_utils.signing import secret  # only with a Secret: needs kubernetes
        client = kubernetes_client(module)

        def read():
            return secret.read_private_key(client, spec)

        def write(pem, key_id):
            secret.write_private_key(client, spec, pem, key_id)
        return "Secret %s/%s (data key %s)" % (spec["namespace"], spec["name"], spec["key"]), read, write
    return None


def kubernetes_client(module):
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    module.requires("kubernetes")
    try:
        return get_api_client(module=module)
    except CoreException as exc:
        module.fail_json(msg="Kubernetes API client: %s" % exc)


def load_private_key(module, store=None):
    """The SigningKey from O(private_key_content), or read from the store; None when the store is empty."""
    params = module.params
    if params.get("private_key_content"):
        return SigningKey.from_pem(params["private_key_content"], params.get("private_key_passphrase"), what="private_key_content")
    if store is None:
        return None
    where, read, _write = store
    pem = read()
    if pem is None:
        return None
    return SigningKey.from_pem(pem, params.get("private_key_passphrase"), what=where)
