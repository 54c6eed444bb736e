# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option groups the backup modules share (argument specs matching the doc fragments of spooky.ops.backup),
and the objects built from them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto, pgstats, pgstream, s3

# spooky.ops.backup.store
STORE = dict(
    bucket=dict(type="str", required=True),
    prefix=dict(type="str", default=""),
    endpoint_url=dict(type="str", fallback=(env_fallback, ["AWS_ENDPOINT_URL"])),
    region=dict(type="str", fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
    access_key=dict(type="str", no_log=False, fallback=(env_fallback, ["AWS_ACCESS_KEY_ID"])),
    secret_key=dict(type="str", no_log=True, fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY"])),
    session_token=dict(type="str", no_log=True, fallback=(env_fallback, ["AWS_SESSION_TOKEN"])),
    validate_certs=dict(type="bool", default=True),
    ca_bundle=dict(type="path"),
)

# spooky.ops.backup (the key)
KEY = dict(
    key_file=dict(type="path"),
    key=dict(type="str", no_log=True),
)

# spooky.ops.backup.postgres
POSTGRES = dict(
    login_host=dict(type="str", default="localhost"),
    login_port=dict(type="int", default=5432),
    login_user=dict(type="str", default="postgres"),
    login_password=dict(type="str", no_log=True),
    ssl_mode=dict(type="str", default="prefer", choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
    ca_cert=dict(type="path"),
    connect_timeout=dict(type="int", default=10),
)


def spec(*groups, **own):
    merged = {}
    for group in groups:
        merged.update(group)
    merged.update(own)
    return merged


def store(params, **kwargs):
    return s3.Store(params["bucket"], endpoint_url=params["endpoint_url"], region=params["region"],
                    access_key=params["access_key"], secret_key=params["secret_key"], session_token=params["session_token"],
                    validate_certs=params["validate_certs"], ca_bundle=params["ca_bundle"], **kwargs)


def key(params):
    return crypto.read_key_file(params["key_file"]) if params["key_file"] else crypto.load_key(params["key"])


def login(params, application):
    return pgstream.Login(params["login_host"], params["login_port"], params["login_user"], params["login_password"],
                          params["ssl_mode"], params["ca_cert"], params["connect_timeout"], application)


def require_libraries(module, store=True, encryption=True, postgres=True):
    """Fail the module, naming the package, when one it needs is missing."""
    needed = ((store, "boto3 and botocore", s3.HAS_BOTO3, s3.BOTO3_IMPORT_ERROR),
              (encryption, "cryptography", crypto.HAS_CRYPTOGRAPHY, crypto.CRYPTOGRAPHY_IMPORT_ERROR),
              (postgres, "psycopg2", pgstats.HAS_PSYCOPG2, pgstats.PSYCOPG2_IMPORT_ERROR))
    for wanted, lib, ok, error in needed:
        if wanted and not ok:
            module.fail_json(msg=missing_required_lib(lib), exception=str(error))
