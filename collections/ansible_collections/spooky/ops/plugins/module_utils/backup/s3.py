# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 calls retention needs: list a prefix, delete a set (manifest first), abort stale multipart uploads.

Uploads and downloads go through amazon.aws.s3_object in the playbooks; this is only what that module
cannot do in one call. Faults (no connection, access denied, no bucket) become StoreError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules with missing_required_lib
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import StoreError


def _faults():
    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class Store(object):
    def __init__(self, bucket, endpoint_url=None, region=None, access_key=None, secret_key=None, session_token=None,
                 validate_certs=True, ca_bundle=None, timeout=30):
        if not HAS_BOTO3:
            raise StoreError("the Python packages boto3 and botocore are required: %s" % BOTO3_IMPORT_ERROR)
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        verify = (ca_bundle or True) if validate_certs else False
        config = botocore.config.Config(connect_timeout=timeout, read_timeout=timeout, retries=dict(max_attempts=3))
        try:
            session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                            aws_session_token=session_token, region_name=region)
            self.client = session.client("s3", endpoint_url=endpoint_url, verify=verify, config=config)
        except _faults() as exc:
            raise StoreError("cannot set up an S3 client: %s" % exc)

    def _where(self):
        return "s3://%s%s" % (self.bucket, " at %s" % self.endpoint_url if self.endpoint_url else "")

    def list_keys(self, prefix):
        keys = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents") or [])
        except _faults() as exc:
            raise StoreError("cannot list %s/%s: %s" % (self._where(), prefix, exc))
        return keys

    def delete_set(self, entry):
        """Delete every object of a set, the manifest first, so a half-deleted set never looks complete."""
        keys = list(entry["keys"])
        first = [k for k in keys if k.endswith("/" + catalog.MANIFEST)]
        rest = [k for k in keys if k not in first]
        try:
            for key in first:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            for start in range(0, len(rest), 1000):
                batch = rest[start:start + 1000]
                answer = self.client.delete_objects(Bucket=self.bucket, Delete=dict(Objects=[dict(Key=k) for k in batch], Quiet=True))
                errors = answer.get("Errors") or []
                if errors:
                    raise StoreError("S3 refused to delete %s: %s" % (errors[0].get("Key"), errors[0].get("Message")))
        except _faults() as exc:
            raise StoreError("cannot delete set %s from %s: %s" % (entry["set_id"], self._where(), exc))
        return len(keys)

    def stale_uploads(self, prefix, older_than):
        """Multipart uploads under `prefix` started before `older_than` (a datetime): what a killed upload leaves."""
        found = []
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads") or []:
                    started = upload.get("Initiated")
                    if started is not None and catalog.parse_time(started) < older_than:
                        found.append(dict(key=upload["Key"], upload_id=upload["UploadId"], initiated=catalog.iso(catalog.parse_time(started))))
        except _faults() as exc:
            raise StoreError("cannot list the multipart uploads of %s/%s: %s" % (self._where(), prefix, exc))
        return found

    def abort_upload(self, upload):
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["key"], UploadId=upload["upload_id"])
        except _faults() as exc:
            raise StoreError("cannot abort the upload of %s: %s" % (upload["key"], exc))
