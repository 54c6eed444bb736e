# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.backup_postgres without PostgreSQL: input checks, check mode, an existing set, and an unreachable server
that leaves nothing in the store (the real dumps run in the lab tests)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto, manifest
from ansible_collections.spooky.ops.plugins.modules import backup_postgres

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
pytest.importorskip("psycopg2")
pytest.importorskip("cryptography")

BUCKET = "spooky-backups"
KEY = bytes(range(32))
SET_ID = "20260124T020000Z"
SET_PREFIX = "lab/postgres-orca/%s/" % SET_ID
PASSWORD = "pw-not-in-messages"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base(**extra):
    args = dict(db="orca", bucket=BUCKET, prefix="lab", region="us-east-1", access_key="test", secret_key="test-secret",
                key=base64.b64encode(KEY).decode("ascii"), login_host="127.0.0.1", login_port=closed_port(),
                login_password=PASSWORD, connect_timeout=2)
    args.update(extra)
    return args


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            backup_postgres.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def bin_dir(tmp_path):
    """A pg_dump that records being run: without a snapshot of the database it must never be."""
    path = tmp_path / "bin"
    path.mkdir()
    program = path / "pg_dump"
    program.write_text('#!/bin/sh\ntouch "$0.ran"\nexit 3\n')
    program.chmod(0o755)
    return path


def objects(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents") or [])


def uploads(client):
    return client.list_multipart_uploads(Bucket=BUCKET).get("Uploads") or []


class MemorySink(object):
    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data

    def commit(self):
        pass

    def abort(self):
        pass


def put_set(client, key=KEY, tamper=False):
    """A complete set of orca, built as the module builds one."""
    sink = MemorySink()
    with crypto.EncryptingWriter(key, sink, "orca") as writer:
        writer.write(b"PGDMP" + os.urandom(1000))
    artifact = dict(name="orca", object="orca.pgc.enc", type="postgres-dump", time="2026-01-24T02:00:05Z",
                    content=dict(database="orca", format="custom", snapshot="00000003-0000001B-1", tables={}), **writer.result)
    document = manifest.build(SET_ID, dict(kind="postgres", name="postgres-orca", database="orca"), [artifact], key,
                              "2026-01-24T02:00:00Z", "2026-01-24T02:00:06Z")
    if tamper:
        document["artifacts"][0]["size"] += 1
    client.put_object(Bucket=BUCKET, Key=SET_PREFIX + "orca.pgc.enc", Body=bytes(sink.data))
    client.put_object(Bucket=BUCKET, Key=SET_PREFIX + "manifest.json", Body=manifest.dumps(document).encode("utf-8"))
    return document


@pytest.mark.parametrize("dump_args", [["--format=plain"], ["-Fp"], ["--file=x"], ["-f", "x"], ["--format", "plain"],
                                       ["--snapshot=00000003-0000001B-1"], ["--dbname=other"], ["-dother"], ["-j4"],
                                       ["--port=5433"], ["-h", "elsewhere"]])
def test_dump_args_that_are_the_modules_are_refused(capsys, dump_args):
    code, result = run(capsys, dump_args=["--no-comments"] + dump_args, **base(endpoint_url="http://127.0.0.1:%d" % closed_port()))
    assert code == 1 and "dump_args may not set %s" % dump_args[0] in result["msg"]
    assert "store_available" not in result


# pg_dump (getopt_long) takes unambiguous abbreviations of long options, grouped short options, and a bare word as
# the database
@pytest.mark.parametrize("dump_args", [["--form=plain"], ["-vFp"], ["--fil=/tmp/orca.sql"], ["--snap=00000003-0000001B-1"],
                                       ["-Z", "9"], ["--compress", "9"], ["otherdb"]])
def test_abbreviated_or_grouped_dump_args_are_refused_too(capsys, dump_args):
    code, result = run(capsys, dump_args=dump_args, **base(endpoint_url="http://127.0.0.1:%d" % closed_port()))
    assert code == 1 and "dump_args may not set" in result["msg"]


@pytest.mark.parametrize("args,message", [
    (dict(part_size=4), "part_size must be 5 to 5120 MiB"),
    (dict(part_size=5121), "part_size must be 5 to 5120 MiB"),
    (dict(part_size=0), "part_size must be 5 to 5120 MiB"),
    (dict(set_id="tonight"), "not a UTC timestamp"),
    (dict(set_id="20261399T020000Z"), "not a valid date"),
    (dict(source="Bad/Name"), "source name"),
    (dict(key=None), "one of the following is required: key_file, key"),
    (dict(key="too-short"), "must be 32 bytes"),
    (dict(key_file="/nonexistent/spooky/backup.key", key=None), "cannot read the encryption key file"),
    (dict(key_file="/nonexistent/spooky/backup.key"), "mutually exclusive"),
    (dict(snapshot_timeout=0), "must be positive"),
    (dict(connect_timeout=0), "must be positive"),
    (dict(retention=dict(policy=dict(daily=0))), "must keep something"),
    (dict(retention=dict(profile="orca-postgres", rpo="soon")), "invalid duration"),
])
def test_bad_input_is_rejected_before_the_store_is_touched(capsys, args, message):
    all_args = base(endpoint_url="http://127.0.0.1:%d" % closed_port())
    all_args.update(args)
    code, result = run(capsys, **dict((k, v) for k, v in all_args.items() if v is not None))
    assert code == 1 and message in result["msg"] and "store_available" not in result


@pytest.mark.parametrize("part_size", [5, 5120])
def test_check_mode_writes_nothing(capsys, store, bin_dir, part_size):
    code, result = run(capsys, _ansible_check_mode=True, set_id=SET_ID, part_size=part_size, pg_bin_dir=str(bin_dir),
                       dump_args=["--exclude-table-data=audit_log", "-Z9"], **base())
    assert code == 0 and result["changed"] is True
    assert result["set_id"] == SET_ID and result["prefix"] == SET_PREFIX
    assert "artifact" not in result and "manifest" not in result
    assert objects(store) == [] and uploads(store) == []
    assert not (bin_dir / "pg_dump.ran").exists()


def test_check_mode_names_a_new_set_after_the_time(capsys, store):
    code, result = run(capsys, _ansible_check_mode=True, **base())
    assert code == 0 and result["changed"] and re.match(r"^\d{8}T\d{6}Z$", result["set_id"])
    assert result["prefix"] == "lab/postgres-orca/%s/" % result["set_id"]
    assert objects(store) == [] and uploads(store) == []


def test_unreachable_postgres_fails_and_leaves_nothing_in_the_store(capsys, store, bin_dir):
    port = closed_port()
    code, result = run(capsys, set_id=SET_ID, pg_bin_dir=str(bin_dir), **base(login_port=port))
    assert code == 1 and "backup of orca failed" in result["msg"] and "no set was completed" in result["msg"]
    assert "127.0.0.1:%d" % port in result["msg"] and PASSWORD not in result["msg"]
    assert objects(store) == [] and uploads(store) == []
    assert not (bin_dir / "pg_dump.ran").exists()


def test_unreachable_store_is_reported_as_such(capsys, bin_dir):
    code, result = run(capsys, set_id=SET_ID, pg_bin_dir=str(bin_dir), **base(endpoint_url="http://127.0.0.1:%d" % closed_port()))
    assert code == 1 and result["store_available"] is False and "cannot list" in result["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_complete_set_is_not_taken_again(capsys, store, bin_dir, check_mode):
    document = put_set(store)
    before = objects(store)
    code, result = run(capsys, _ansible_check_mode=check_mode, set_id=SET_ID, pg_bin_dir=str(bin_dir), **base())
    assert code == 0 and result["changed"] is False
    assert result["manifest"] == document and result["artifact"] == document["artifacts"][0]
    assert objects(store) == before and uploads(store) == []
    assert not (bin_dir / "pg_dump.ran").exists()


def test_a_complete_set_with_a_forged_manifest_fails(capsys, store, bin_dir):
    put_set(store, tamper=True)
    before = objects(store)
    code, result = run(capsys, set_id=SET_ID, pg_bin_dir=str(bin_dir), **base())
    assert code == 1 and "fails its HMAC check" in result["msg"] and "backup of orca failed" in result["msg"]
    assert objects(store) == before and uploads(store) == []


def test_a_complete_set_of_another_key_fails(capsys, store, bin_dir):
    put_set(store, key=bytes(32))
    code, result = run(capsys, set_id=SET_ID, pg_bin_dir=str(bin_dir), **base())
    assert code == 1 and "was signed with key" in result["msg"]
