"""The streamed PostgreSQL backup and restore (spooky.ops.backup_postgres / restore_postgres) against the lab's PostgreSQL
and S3: a backup killed in mid-stream, a tampered dump, a database that is not there, and idempotent recovery."""

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spooky_lab.services import postgres, s3

from conftest import REPO, ansible_env, kill_when

COLLECTIONS = str(REPO / "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog  # noqa: E402

PREFIX = "lab"


@contextlib.contextmanager
def cursor(lab, dbname="postgres"):
    """An autocommit cursor (psycopg2's `with conn` would open a transaction, where DROP DATABASE cannot run)."""
    conn = postgres.connect(lab.host, lab.postgres_port, postgres.password(lab), dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def databases(lab):
    with cursor(lab) as cur:
        cur.execute("SELECT datname FROM pg_database")
        return {row[0] for row in cur.fetchall()}


def sets(lab, source):
    client = s3.client(lab)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=s3.BUCKET, Prefix=f"{PREFIX}/{source}/")
    return catalog.sets_from_keys([i["Key"] for p in pages for i in p.get("Contents", [])], PREFIX, source)


def open_uploads(lab, source):
    return s3.client(lab).list_multipart_uploads(Bucket=s3.BUCKET, Prefix=f"{PREFIX}/{source}/").get("Uploads", [])


def report(lab_env, name):
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def changed(result):
    """The changed count of the play recap."""
    return int(re.search(r"localhost\s+:.*\bchanged=(\d+)", result.stdout).group(1))


def playbook(name, lab_env, extra, check=False):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / name), "-i", str(REPO / "inventories" / "lab"),
           "-e", json.dumps(extra)] + (["--check"] if check else [])
    return subprocess.run(cmd, env=ansible_env(lab_env), cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def bulk(lab):
    """A database big enough (about 60 MB of dump input) that a backup can be caught in mid-stream."""
    with cursor(lab) as cur:
        cur.execute("DROP DATABASE IF EXISTS bulk WITH (FORCE)")
        cur.execute("CREATE DATABASE bulk")
    with cursor(lab, "bulk") as cur:
        cur.execute("CREATE TABLE blobs (id integer PRIMARY KEY, body text NOT NULL);"
                    "INSERT INTO blobs SELECT i, repeat(md5(i::text), 20) FROM generate_series(1, 120000) i")
    return "bulk"


def test_a_backup_killed_in_mid_stream_leaves_no_valid_set_and_no_session(lab, lab_env, bulk):
    source = "postgres-" + bulk
    before = {s["set_id"] for s in sets(lab, source)}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "backup.yml"),
           "-i", str(REPO / "inventories" / "lab"),
           "-e", json.dumps({"backup_kinds": ["postgres"], "backup_postgres_databases": [bulk]})]
    proc = subprocess.Popen(cmd, env=ansible_env(lab_env), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    caught = kill_when(proc, lambda: open_uploads(lab, source))  # the dump is streaming into its multipart upload
    assert caught, "the backup finished before it could be killed"

    new = [s for s in sets(lab, source) if s["set_id"] not in before]
    assert all(not s["complete"] for s in new), new  # no manifest: nothing will ever restore it
    assert open_uploads(lab, source), "the killed stream should leave only an incomplete multipart upload"
    # the stats transaction holding the snapshot went with the module
    deadline = time.monotonic() + 10
    while True:
        with cursor(lab) as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'spooky.ops backup' OR "
                        "(datname = %s AND application_name = 'pg_dump')", (bulk,))
            if cur.fetchone()[0] == 0:
                break
        assert time.monotonic() < deadline, "a session of the killed backup is still open"
        time.sleep(0.2)

    retention = playbook("backup_retention.yml", lab_env, {"backup_kinds": ["postgres"], "backup_postgres_databases": [bulk],
                                                           "backup_retention_incomplete_grace": "0s"})
    assert retention.returncode == 0, retention.stdout[-3000:]
    assert not open_uploads(lab, source)

    # and the next backup streams a complete set, which restores and matches
    again = playbook("backup.yml", lab_env, {"backup_kinds": ["postgres"], "backup_postgres_databases": [bulk]})
    assert again.returncode == 0, again.stdout[-3000:]
    (made,) = [s for s in report(lab_env, "backup.json")["sets"] if s["source"] == source]
    assert made["artifacts"][0]["content"]["tables"]["public.blobs"]["rows"] == 120000
    verify = playbook("restore_verify.yml", lab_env, {"backup_restore_sources": [source]})
    assert verify.returncode == 0, verify.stdout[-3000:]
    (checked,) = report(lab_env, "restore_verify.json")["sources"]
    assert checked["status"] == "pass" and checked["set_id"] == made["set_id"] and checked["checks"][0]["checked"] == 2


def test_a_tampered_dump_fails_before_pg_restore_sees_it_and_leaves_no_database(lab, lab_env, bulk):
    source = "postgres-" + bulk
    if not any(s["complete"] for s in sets(lab, source)):
        backup = playbook("backup.yml", lab_env, {"backup_kinds": ["postgres"], "backup_postgres_databases": [bulk]})
        assert backup.returncode == 0, backup.stdout[-3000:]
    newest = catalog.latest(sets(lab, source))
    key = newest["prefix"] + bulk + ".pgc.enc"
    client = s3.client(lab)
    original = client.get_object(Bucket=s3.BUCKET, Key=key)["Body"].read()
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0x20  # same size: only the authentication can tell
    client.put_object(Bucket=s3.BUCKET, Key=key, Body=bytes(tampered))
    try:
        result = playbook("restore_verify.yml", lab_env, {"backup_restore_sources": [source]})
    finally:
        client.put_object(Bucket=s3.BUCKET, Key=key, Body=original)
    assert result.returncode != 0
    (failed,) = report(lab_env, "restore_verify.json")["sources"]
    assert failed["status"] == "fail" and failed["artifact"] == bulk + ".pgc.enc" and failed["set_id"] == newest["set_id"]
    assert "failed authentication at segment" in failed["error"], failed["error"]
    assert "spooky_verify_" + bulk not in databases(lab)  # the scratch database is gone, not left half restored


def test_a_missing_database_fails_the_run_naming_it_and_leaves_no_set(lab, lab_env):
    result = playbook("backup.yml", lab_env, {"backup_kinds": ["postgres"], "backup_postgres_databases": ["nosuchdb"]})
    assert result.returncode != 0
    failures = report(lab_env, "backup.json")["failures"]
    assert [f["source"] for f in failures] == ["postgres-nosuchdb"] and "nosuchdb" in failures[0]["error"]
    assert not any(s["complete"] for s in sets(lab, "postgres-nosuchdb"))
    assert not open_uploads(lab, "postgres-nosuchdb")


def test_recovery_is_idempotent_and_verification_marks_a_set_once(lab, lab_env, bulk):
    source = "postgres-" + bulk
    recover = {"backup_restore_sources": [source], "backup_restore_mode": "recover",
               "backup_restore_postgres_targets": {bulk: bulk + "_dr"}, "backup_restore_report": "recover.json"}
    try:
        first = playbook("restore_verify.yml", lab_env, recover)
        assert first.returncode == 0, first.stdout[-3000:]
        assert changed(first) == 1  # the target was restored
        second = playbook("restore_verify.yml", lab_env, recover)
        assert second.returncode == 0, second.stdout[-3000:]
        assert changed(second) == 0, second.stdout[-1500:]  # the target already holds exactly the backed-up rows
        (kept,) = report(lab_env, "recover.json")["sources"]
        assert kept["status"] == "pass" and kept["checks"][0]["restored"] is False
        with cursor(lab, bulk + "_dr") as cur:
            cur.execute("SELECT count(*) FROM blobs")
            assert cur.fetchone()[0] == 120000
    finally:
        with cursor(lab) as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {bulk}_dr WITH (FORCE)")

    verify = {"backup_restore_sources": [source]}
    playbook("restore_verify.yml", lab_env, verify)  # marks the newest set (if an earlier test did not)
    again = playbook("restore_verify.yml", lab_env, verify)
    assert again.returncode == 0 and changed(again) == 0, again.stdout[-1500:]
    assert catalog.latest(sets(lab, source))["verified"]
