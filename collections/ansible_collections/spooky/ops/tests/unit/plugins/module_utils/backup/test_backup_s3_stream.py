# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The streamed store against an in-process S3 (moto): multipart uploads appear whole or not at all, and streams decrypt."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto, s3
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import StoreError

boto3 = pytest.importorskip("boto3")
botocore = pytest.importorskip("botocore.exceptions")
moto = pytest.importorskip("moto")

BUCKET = "spooky-backups"
KEY = bytes(range(32))
MIB = 1024 * 1024
OBJECT = "lab/postgres-orca/20260124T020000Z/orca.pgc.enc"


@pytest.fixture
def client(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def store(client):
    return s3.Store(BUCKET, region="us-east-1", access_key="test", secret_key="test-secret")


@pytest.fixture(scope="module")
def data():
    return os.urandom(11 * MIB + 12345)


def objects(client):
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents") or []]


def uploads(client):
    return [(u["Key"], u["UploadId"]) for u in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads") or []]


def write_in_blocks(upload, data, block=MIB):
    for start in range(0, len(data), block):
        upload.write(data[start:start + block])


def test_nothing_is_visible_before_commit_then_exactly_what_was_written(client, store, data):
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)
    write_in_blocks(upload, data)
    assert upload.size == len(data)
    assert objects(client) == [] and store.list_keys("lab/") == []
    with pytest.raises(botocore.ClientError):
        client.head_object(Bucket=BUCKET, Key=OBJECT)
    assert uploads(client) == [(OBJECT, upload.upload_id)]
    upload.commit()
    assert objects(client) == [OBJECT] and uploads(client) == []
    head = client.head_object(Bucket=BUCKET, Key=OBJECT)
    assert head["ContentLength"] == len(data) and head["ETag"].strip('"').endswith("-3")  # 5 + 5 + 1 MiB parts
    assert client.get_object(Bucket=BUCKET, Key=OBJECT)["Body"].read() == data


def test_a_small_object_is_one_part_and_an_empty_one_is_stored_too(client, store):
    for key, payload in (("lab/small", b"tiny"), ("lab/empty", b"")):
        upload = s3.MultipartUpload(store, key, part_size=1)  # raised to S3's 5 MiB minimum
        assert upload.part_size == 5 * MIB
        upload.write(payload)
        upload.commit()
        assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == payload
    assert uploads(client) == []


def test_abort_leaves_no_object_and_no_upload(client, store, data):
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)
    write_in_blocks(upload, data)
    assert uploads(client) != []
    upload.abort()
    assert objects(client) == [] and uploads(client) == []


def failing_part(monkeypatch, store, number):
    real = store.client.upload_part
    calls = []

    def upload_part(**kwargs):
        calls.append(kwargs["PartNumber"])
        if kwargs["PartNumber"] == number:
            raise botocore.ClientError({"Error": {"Code": "InternalError", "Message": "part lost"}}, "UploadPart")
        return real(**kwargs)

    monkeypatch.setattr(store.client, "upload_part", upload_part)
    return calls


def test_a_failed_part_fails_commit_and_leaves_nothing(monkeypatch, client, store, data):
    calls = failing_part(monkeypatch, store, 2)
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)
    write_in_blocks(upload, data[:10 * MIB])  # parts 1 and 2 go out: no write can see the failure yet
    upload.write(data[10 * MIB:11 * MIB])
    with pytest.raises(StoreError, match="part 2") as exc:
        upload.commit()
    assert OBJECT in str(exc.value)
    assert 2 in calls
    assert objects(client) == [] and uploads(client) == []


def test_a_failed_part_fails_the_next_write_and_abort_cleans_up(monkeypatch, client, store, data):
    failing_part(monkeypatch, store, 2)
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)
    write_in_blocks(upload, data[:10 * MIB])
    with pytest.raises(StoreError):
        upload._parts[1].result()  # wait until part 2 has failed
    with pytest.raises(StoreError, match="part 2"):
        write_in_blocks(upload, data[:6 * MIB])  # the next full part cannot go out
    upload.abort()  # what a caller (EncryptingWriter) does with a sink that failed
    assert objects(client) == [] and uploads(client) == []


def test_encrypted_stream_round_trip(client, store, data):
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB, sse="AES256")
    with crypto.EncryptingWriter(KEY, upload, "orca") as writer:
        for start in range(0, len(data), 300000):
            writer.write(data[start:start + 300000])
    result = writer.result
    assert uploads(client) == [] and result["plain_size"] == len(data)
    size, chunks = store.stream(OBJECT, chunk=256 * 1024)
    assert size == result["size"]
    plain = b"".join(crypto.decrypt_chunks(KEY, chunks, "orca.pgc.enc", result["sha256"], result["size"], size))
    assert hashlib.sha256(plain).hexdigest() == result["plain_sha256"] and plain == data


def test_encrypting_writer_abort_leaves_no_upload(client, store, data):
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)
    with pytest.raises(RuntimeError):
        with crypto.EncryptingWriter(KEY, upload, "orca") as writer:
            writer.write(data)
            raise RuntimeError("pg_dump died")
    assert objects(client) == [] and uploads(client) == []


def test_stream_of_a_missing_object_is_a_store_error(store):
    with pytest.raises(StoreError, match="cannot read"):
        store.stream("lab/missing")


def test_put_and_get_bytes(client, store):
    store.put_bytes("lab/manifest.json", b'{"a": 1}\n', content_type="application/json")
    assert store.get_bytes("lab/manifest.json") == b'{"a": 1}\n'
    assert client.head_object(Bucket=BUCKET, Key="lab/manifest.json")["ContentType"] == "application/json"
    assert store.list_keys("lab/") == ["lab/manifest.json"] and store.list_keys("other/") == []
    with pytest.raises(StoreError, match="cannot read") as exc:
        store.get_bytes("lab/missing.json")
    assert "lab/missing.json" in str(exc.value) and BUCKET in str(exc.value)
    with pytest.raises(StoreError, match="more than"):
        store.get_bytes("lab/manifest.json", limit=3)


def test_a_missing_bucket_is_a_store_error(client):
    other = s3.Store("no-such-bucket", region="us-east-1", access_key="test", secret_key="test-secret")
    with pytest.raises(StoreError, match="cannot list"):
        other.list_keys("lab/")
    with pytest.raises(StoreError, match="cannot write"):
        other.put_bytes("lab/x", b"x")
    with pytest.raises(StoreError, match="cannot start uploading"):
        s3.MultipartUpload(other, "lab/x")


def test_server_side_encryption_is_requested(client, store, data):
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB, sse="AES256")
    upload.write(data[:MIB])
    upload.commit()
    assert client.head_object(Bucket=BUCKET, Key=OBJECT).get("ServerSideEncryption") == "AES256"
    store.put_bytes("lab/manifest.json", b"{}", sse="AES256")
    assert client.head_object(Bucket=BUCKET, Key="lab/manifest.json").get("ServerSideEncryption") == "AES256"
    store.put_bytes("lab/plain.json", b"{}")
    plain = s3.MultipartUpload(store, "lab/plain.bin", part_size=5 * MIB)
    plain.write(b"x")
    plain.commit()
    for key in ("lab/plain.json", "lab/plain.bin"):  # the store does not add it on its own: the header above is ours
        assert "ServerSideEncryption" not in client.head_object(Bucket=BUCKET, Key=key)


def test_a_store_without_additional_checksums_still_takes_the_upload(monkeypatch, client, store, data):
    """Some S3-compatible stores ignore ChecksumAlgorithm and answer without a checksum: the parts go without one."""
    answer_part = store.client.upload_part

    def without_checksum(**kwargs):
        answer = answer_part(**kwargs)
        answer.pop("ChecksumCRC32", None)
        return answer
    monkeypatch.setattr(store.client, "upload_part", without_checksum)
    upload = s3.MultipartUpload(store, OBJECT, part_size=5 * MIB)  # CRC32 asked for, none answered
    write_in_blocks(upload, data)
    upload.commit()
    assert client.get_object(Bucket=BUCKET, Key=OBJECT)["Body"].read() == data and not uploads(client)
