# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 calls amazon.aws.s3_object cannot make: streams and sets.

Retention lists a prefix, deletes a set (manifest first) and aborts stale multipart uploads. The streamed
PostgreSQL backup writes its artifact through a multipart upload fed as pg_dump produces (MultipartUpload,
a sink for crypto.EncryptingWriter), and the streamed restore reads one as pg_restore consumes it
(Store.stream). Everything else is uploaded and downloaded by amazon.aws.s3_object in the playbooks.
Faults (no connection, access denied, no bucket) become StoreError.
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

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import StoreError


def _faults():
    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class Store(object):
    def __init__(self, bucket, endpoint_url=None, region=None, access_key=None, secret_key=None, session_token=None,
                 validate_certs=True, ca_bundle=None, timeout=30, max_pool_connections=10):
        if not HAS_BOTO3:
            raise StoreError("the Python packages boto3 and botocore are required: %s" % BOTO3_IMPORT_ERROR)
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        verify = (ca_bundle or True) if validate_certs else False
        config = botocore.config.Config(connect_timeout=timeout, read_timeout=timeout, retries=dict(max_attempts=3),
                                        max_pool_connections=max_pool_connections,
                                        request_checksum_calculation="when_required")
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

    def get_bytes(self, key, limit=16 * 1024 * 1024):
        """The content of a small object (a manifest); StoreError when missing or larger than `limit`."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            if answer.get("ContentLength", 0) > limit:
                raise StoreError("%s/%s is %d bytes, more than the %d expected" % (self._where(), key, answer["ContentLength"], limit))
            return answer["Body"].read()
        except _faults() as exc:
            raise StoreError("cannot read %s/%s: %s" % (self._where(), key, exc))

    def put_bytes(self, key, data, sse=None, content_type=None):
        extra = dict(ServerSideEncryption=sse) if sse else {}
        if content_type:
            extra["ContentType"] = content_type
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
        except _faults() as exc:
            raise StoreError("cannot write %s/%s: %s" % (self._where(), key, exc))

    def stream(self, key, chunk=1024 * 1024):
        """(size, iterator of byte strings) of an object, read as it is consumed."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except _faults() as exc:
            raise StoreError("cannot read %s/%s: %s" % (self._where(), key, exc))
        body = answer["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(chunk)
            except _faults() as exc:
                raise StoreError("reading %s/%s broke off: %s" % (self._where(), key, exc))
            finally:
                body.close()
        return answer["ContentLength"], chunks()


class MultipartUpload(object):
    """A sink (write/commit/abort) that stores what is written as one S3 object, in parts uploaded while more
    is written: at most `workers` parts in flight and `workers` + 1 buffered, so memory stays bounded.

    Nothing is visible under `key` until commit() completes the upload; abort() (or a failure) aborts it,
    and a process killed half way leaves only an incomplete multipart upload, which retention aborts.
    """

    MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last

    def __init__(self, store, key, part_size=16 * 1024 * 1024, sse=None, content_type="application/octet-stream", workers=2,
                 checksum="CRC32"):
        self.store = store
        self.key = key
        self.dest = "s3://%s/%s" % (store.bucket, key)
        self.part_size = max(int(part_size), self.MIN_PART)
        extra = dict(ServerSideEncryption=sse) if sse else {}
        # S3's additional checksums: the store checks each part's CRC32 on receipt (None for stores without them)
        self.checksum = checksum
        self._checksum_args = dict(ChecksumAlgorithm=checksum) if checksum else {}
        extra.update(self._checksum_args)
        try:
            answer = store.client.create_multipart_upload(Bucket=store.bucket, Key=key, ContentType=content_type, **extra)
        except _faults() as exc:
            raise StoreError("cannot start uploading %s: %s" % (self.dest, exc))
        self.upload_id = answer["UploadId"]
        self._buffer = bytearray()
        self._parts = []
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._slots = threading.BoundedSemaphore(workers + 1)
        self._failed = None
        self.size = 0

    def _put(self, number, data):
        try:
            answer = self.store.client.upload_part(Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id,
                                                   PartNumber=number, Body=data, **self._checksum_args)
            part = dict(PartNumber=number, ETag=answer["ETag"])
            if answer.get("Checksum" + str(self.checksum)):  # a store without additional checksums returns none
                part["Checksum" + self.checksum] = answer["Checksum" + self.checksum]
            return part
        except _faults() as exc:
            self._failed = StoreError("uploading part %d of %s failed: %s" % (number, self.dest, exc))
            raise self._failed
        finally:
            self._slots.release()

    def _send(self, data):
        if self._failed is not None:
            raise self._failed
        self._slots.acquire()
        self._parts.append(self._pool.submit(self._put, len(self._parts) + 1, data))

    def write(self, data):
        self._buffer += data
        self.size += len(data)
        if len(self._buffer) >= self.part_size:
            self._send(bytes(self._buffer))
            self._buffer = bytearray()

    def commit(self):
        try:
            if self._buffer or not self._parts:
                self._send(bytes(self._buffer))
                self._buffer = bytearray()
            parts = [future.result() for future in self._parts]
            self.store.client.complete_multipart_upload(Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id,
                                                        MultipartUpload=dict(Parts=parts))
        except _faults() as exc:
            self.abort()
            raise StoreError("cannot complete the upload of %s: %s" % (self.dest, exc))
        except BaseException:
            self.abort()
            raise
        finally:
            self._pool.shutdown(wait=True)

    def abort(self):
        self._pool.shutdown(wait=True)
        try:
            self.store.client.abort_multipart_upload(Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id)
        except _faults():
            pass  # what is left is an incomplete upload: invisible, and retention aborts it later
