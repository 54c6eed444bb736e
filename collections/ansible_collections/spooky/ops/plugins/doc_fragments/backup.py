# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The backup encryption key (spooky.ops.backup).
    DOCUMENTATION = r"""
options:
  key_file:
    description:
      - File holding the 32-byte backup key, as base64 (44 characters), 64 hex digits or the raw bytes.
      - Exactly one of O(key_file) and O(key) is required.
    type: path
  key:
    description:
      - The backup key itself, in the same forms as O(key_file), for example read from a Kubernetes Secret
        with M(kubernetes.core.k8s_info) and C(b64decode).
    type: str
requirements:
  - cryptography
"""

    # Where the backup sets are (spooky.ops.backup.store).
    STORE = r"""
options:
  bucket:
    description:
      - The S3 bucket of the backup sets.
    type: str
    required: true
  prefix:
    description:
      - Key prefix under which the sets of every source are kept (C(<prefix>/<source>/<set id>/...)).
    type: str
    default: ""
  endpoint_url:
    description:
      - URL of an S3-compatible store (MinIO, Ceph, moto). Leave unset for AWS S3.
      - If not set, the value of the E(AWS_ENDPOINT_URL) environment variable is used.
    type: str
  region:
    description:
      - The region of the bucket.
      - If not set, the value of the E(AWS_REGION) environment variable is used.
    type: str
  access_key:
    description:
      - Access key id. If not set, E(AWS_ACCESS_KEY_ID) or the usual boto3 credential chain is used.
    type: str
  secret_key:
    description:
      - Secret access key. If not set, E(AWS_SECRET_ACCESS_KEY) or the usual boto3 credential chain is used.
    type: str
  session_token:
    description:
      - Session token of temporary credentials.
    type: str
  validate_certs:
    description:
      - Verify the store's TLS certificate.
    type: bool
    default: true
  ca_bundle:
    description:
      - PEM file with the certificate authorities to trust for the store's certificate.
    type: path
requirements:
  - boto3
  - botocore
"""

    # How to reach PostgreSQL (spooky.ops.backup.postgres): libpq parameters, as community.postgresql names them.
    POSTGRES = r"""
options:
  login_host:
    description:
      - Host of the server (a directory for a Unix socket).
    type: str
    default: localhost
  login_port:
    description:
      - Port of the server.
    type: int
    default: 5432
  login_user:
    description:
      - User to connect as.
    type: str
    default: postgres
  login_password:
    description:
      - Password of O(login_user). Passed to the client programs in their environment, never on a command line.
    type: str
  ssl_mode:
    description:
      - libpq C(sslmode).
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - CA certificate for O(ssl_mode=verify-ca) and O(ssl_mode=verify-full).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for a connection.
    type: int
    default: 10
requirements:
  - psycopg2
"""
