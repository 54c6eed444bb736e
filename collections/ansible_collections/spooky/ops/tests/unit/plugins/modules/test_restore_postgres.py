# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.restore_postgres without PostgreSQL: input checks, and sets that must not restore - none complete, a forged
manifest, a damaged dump - against an in-process S3 (moto). The real restores run in the lab tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto, manifest, pgstream
from ansible_collections.spooky.ops.plugins.modules import restore_postgres

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
pytest.importorskip("psycopg2")
pytest.importorskip("cryptography")

BUCKET = "spooky-backups"
KEY = bytes(range(32))
SET_ID = "20260124T020000Z"
SET_PREFIX = "lab/postgres-orca/%s/" % SET_ID
OBJECT = "orca.pgc.enc"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base(**extra):
    args = dict(source="postgres-orca", bucket=BUCKET, prefix="lab", region="us-east-1", access_key="test", secret_key="test-secret",
                key=base64.b64encode(KEY).decode("ascii"), login_host="127.0.0.1", login_port=closed_port(), connect_timeout=2)
    args.update(extra)
    return args


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            restore_postgres.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def fake_server(tmp_path, monkeypatch):
    """A pg_restore that keeps what it is fed, and database (re)creation recorded instead of run."""
    path = tmp_path / "bin"
    path.mkdir()
    program = path / "pg_restore"
    program.write_text('#!/bin/sh\ncat > "$0.stdin"\n')
    program.chmod(0o755)
    calls = []
    monkeypatch.setattr(pgstream, "recreate_database", lambda login, database, drop_only=False: calls.append((database, drop_only)))
    monkeypatch.setattr(pgstream, "database_exists", lambda login, database: False)
    monkeypatch.setattr(pgstream, "table_stats", lambda *args, **kwargs: pytest.fail("a damaged dump was compared"))
    return dict(bin_dir=str(path), fed=path / "pg_restore.stdin", calls=calls)


def objects(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents") or [])


class MemorySink(object):
    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data

    def commit(self):
        pass

    def abort(self):
        pass


def put_set(client, set_id=SET_ID, key=KEY, complete=True, damage=None, forge=None, manifest_body=None):
    """A set of orca as backup_postgres makes it: the encrypted dump, then its manifest; `damage` the stored dump."""
    prefix = "lab/postgres-orca/%s/" % set_id
    sink = MemorySink()
    with crypto.EncryptingWriter(key, sink, "orca") as writer:
        writer.write(b"PGDMP" + os.urandom(3000))
    blob = bytes(sink.data)
    if damage == "truncate":
        blob = blob[:-10]
    elif damage == "flip":
        blob = blob[:-40] + bytes([blob[-40] ^ 1]) + blob[-39:]
    client.put_object(Bucket=BUCKET, Key=prefix + OBJECT, Body=blob)
    if not complete:
        return None
    artifact = dict(name="orca", object=OBJECT, type="postgres-dump", time="2026-01-24T02:00:05Z",
                    content=dict(database="orca", format="custom", snapshot="00000003-0000001B-1",
                                 tables={"public.agents": {"rows": 400, "checksum": "1", "method": "hash_record_extended"}}),
                    **writer.result)
    document = manifest.build(set_id, dict(kind="postgres", name="postgres-orca", database="orca"), [artifact], key,
                              "2026-01-24T02:00:00Z", "2026-01-24T02:00:06Z")
    if forge:
        forge(document)
    body = manifest_body if manifest_body is not None else manifest.dumps(document).encode("utf-8")
    client.put_object(Bucket=BUCKET, Key=prefix + "manifest.json", Body=body)
    return document


@pytest.mark.parametrize("args,message", [
    (dict(jobs=0), "jobs must be 1 to 64, got 0"),
    (dict(jobs=65), "jobs must be 1 to 64, got 65"),
    (dict(targets={"orca": "orca"}), "targets apply to mode=recover"),
    (dict(mode="verify", targets={"orca": "orca"}), "targets apply to mode=recover"),
    (dict(set_id="yesterday"), "not a UTC timestamp"),
    (dict(source="Postgres/Orca"), "source name"),
    (dict(key=None), "one of the following is required: key_file, key"),
    (dict(key="too-short"), "must be 32 bytes"),
    (dict(connect_timeout=0), "connect_timeout must be positive"),
    (dict(mode="rewind"), "value of mode must be one of"),
])
def test_bad_input_is_rejected_before_the_store_is_touched(capsys, args, message):
    all_args = base(endpoint_url="http://127.0.0.1:%d" % closed_port())
    all_args.update(args)
    code, result = run(capsys, **dict((k, v) for k, v in all_args.items() if v is not None))
    assert code == 1 and message in result["msg"] and "store_available" not in result


def test_unreachable_store_is_reported_as_such(capsys):
    code, result = run(capsys, **base(endpoint_url="http://127.0.0.1:%d" % closed_port()))
    assert code == 1 and result["store_available"] is False and "cannot list" in result["msg"]


def test_no_set_at_all(capsys, store, fake_server):
    code, result = run(capsys, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "No complete backup set of postgres-orca" in result["msg"] and "s3://spooky-backups/lab" in result["msg"]
    assert result["source"] == "postgres-orca" and "set_id" not in result
    assert fake_server["calls"] == []


def test_an_interrupted_set_is_never_restored(capsys, store, fake_server):
    put_set(store, complete=False)  # the dump uploaded, the backup died before its manifest
    for set_id in ("latest", SET_ID):
        code, result = run(capsys, set_id=set_id, pg_bin_dir=fake_server["bin_dir"], **base())
        assert code == 1 and "No complete backup set" in result["msg"] and "interrupted" in result["msg"]
    assert fake_server["calls"] == [] and objects(store) == [SET_PREFIX + OBJECT]


def test_a_set_id_that_is_not_there(capsys, store, fake_server):
    put_set(store)
    code, result = run(capsys, set_id="20260101T000000Z", pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "No complete backup set 20260101T000000Z of postgres-orca" in result["msg"]


@pytest.mark.parametrize("forge", [
    lambda d: d["artifacts"][0].update(size=d["artifacts"][0]["size"] - 10),
    lambda d: d["artifacts"][0]["content"]["tables"]["public.agents"].update(rows=401),
    lambda d: d.update(hmac="0" * 64),
])
def test_a_forged_manifest_fails_its_hmac(capsys, store, fake_server, forge):
    put_set(store, forge=forge)
    code, result = run(capsys, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "fails its HMAC check" in result["msg"]
    assert result["artifact"] == "manifest.json" and result["set_id"] == SET_ID
    assert fake_server["calls"] == [] and not fake_server["fed"].exists()
    assert SET_PREFIX + "verified.json" not in objects(store)


def test_a_set_of_another_key_fails(capsys, store, fake_server):
    put_set(store, key=bytes(32))
    code, result = run(capsys, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "was signed with key" in result["msg"] and fake_server["calls"] == []


def test_a_cut_manifest_fails(capsys, store, fake_server):
    put_set(store, manifest_body=b'{"format": "spooky.ops/backup-manifest/v1", "set_id": "2026')
    code, result = run(capsys, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "not valid JSON" in result["msg"] and result["artifact"] == "manifest.json"


@pytest.mark.parametrize("mode,target", [("verify", "spooky_verify_orca"), ("recover", "orca_restored")])
def test_a_truncated_dump_fails_before_pg_restore_gets_a_byte_and_is_dropped(capsys, store, fake_server, mode, target):
    put_set(store, damage="truncate")
    code, result = run(capsys, mode=mode, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and "truncated" in result["msg"] and OBJECT in result["msg"]
    assert result["artifact"] == OBJECT and result["set_id"] == SET_ID
    assert fake_server["calls"] == [(target, False), (target, True)]  # created, then dropped: no partial database
    assert not fake_server["fed"].exists() or fake_server["fed"].read_bytes() == b""
    assert SET_PREFIX + "verified.json" not in objects(store)


def test_a_corrupt_dump_of_the_right_size_fails_and_is_dropped(capsys, store, fake_server):
    put_set(store, damage="flip")
    code, result = run(capsys, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 1 and result["artifact"] == OBJECT and OBJECT in result["msg"] and "sha256" in result["msg"]
    assert fake_server["calls"] == [("spooky_verify_orca", False), ("spooky_verify_orca", True)]
    assert SET_PREFIX + "verified.json" not in objects(store)


def test_check_mode_checks_the_manifest_and_restores_nothing(capsys, store, fake_server):
    put_set(store)
    before = objects(store)
    code, result = run(capsys, _ansible_check_mode=True, pg_bin_dir=fake_server["bin_dir"], **base())
    assert code == 0 and result["changed"] is True and result["set_id"] == SET_ID and result["verified_marked"] is False
    assert [c["restored"] for c in result["checks"]] == [False]
    assert fake_server["calls"] == [] and not fake_server["fed"].exists() and objects(store) == before
