"""Backups against the lab: a round trip of every artifact type, an upload killed half way, retention, corruption.

Reads the JSON reports (backup.json, restore_verify.json, backup_retention.json) and the S3 store itself.
"""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spooky_lab.services import s3

from conftest import REPO, ansible_env, kill_when

COLLECTIONS = str(REPO / "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog  # noqa: E402

PREFIX = "lab"
# One cluster is enough for the round trip (each cluster is a set of its own, handled alike).
ALL_KINDS = json.dumps({"backup_kinds": ["postgres", "redis", "kubernetes", "config", "prometheus"],
                        "backup_kubernetes_clusters": ["lab-east"]})


def report(lab_env, name):
    return json.loads((Path(lab_env["SPOOKY_REPORTS_DIR"]) / name).read_text())


def store_keys(lab, source):
    client = s3.client(lab)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=s3.BUCKET, Prefix=f"{PREFIX}/{source}/")
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def sets(lab, source):
    return catalog.sets_from_keys(store_keys(lab, source), PREFIX, source)


@pytest.fixture(scope="module")
def round_trip(lab, lab_env):
    """A backup of every kind, then the weekly restore dry run of it."""
    env = ansible_env(lab_env)
    run = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(REPO / "inventories" / "lab"), "-e", ALL_KINDS]
    backup = subprocess.run(run[:1] + [str(REPO / "playbooks" / "backup.yml")] + run[1:], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert backup.returncode == 0, backup.stdout[-4000:]
    verify = subprocess.run(run[:1] + [str(REPO / "playbooks" / "restore_verify.yml")] + run[1:], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    return report(lab_env, "backup.json"), verify


def test_backup_then_restore_verify_passes_for_every_artifact_type(round_trip, lab, lab_env):
    backed_up, verify = round_trip
    assert verify.returncode == 0, verify.stdout[-4000:]
    assert backed_up["status"] == "ok" and not backed_up["failures"]
    kinds = {s["source"]: {a["type"] for a in s["artifacts"]} for s in backed_up["sets"]}
    assert kinds == {"postgres-orca": {"postgres-dump"}, "redis": {"redis-rdb"}, "kubernetes-lab-east": {"kubernetes-objects"},
                     "config": {"directory"}, "prometheus": {"prometheus-snapshot"}}
    orca = next(s for s in backed_up["sets"] if s["source"] == "postgres-orca")["artifacts"][0]
    assert orca["content"]["tables"]["public.agents"]["rows"] == 400
    assert orca["content"]["tables"]["public.trust_events"]["rows"] == 4000
    assert orca["encryption"] == "AES-256-GCM" and len(orca["sha256"]) == 64

    verified = report(lab_env, "restore_verify.json")
    assert verified["status"] == "pass"
    by_source = {s["source"]: s for s in verified["sources"]}
    assert set(by_source) == set(kinds)
    for source, result in by_source.items():
        assert result["status"] == "pass", result
        assert result["checks"] and all(c["ok"] and c["checked"] > 0 for c in result["checks"]), result
        assert result["set_id"] == next(s["set_id"] for s in backed_up["sets"] if s["source"] == source)
    assert {c["what"] for c in by_source["prometheus"]["checks"]} == {"tree", "tsdb blocks"}
    # the scratch database is gone, and every restored set is now marked verified
    for source in kinds:
        newest = sets(lab, source)[0]
        assert newest["complete"] and newest["verified"], newest


def test_objects_in_the_store_are_encrypted(round_trip, lab):
    client = s3.client(lab)
    newest = sets(lab, "kubernetes-lab-east")[0]
    body = client.get_object(Bucket=s3.BUCKET, Key=newest["prefix"] + "demo.yaml.enc")
    data = body["Body"].read()
    assert data.startswith(b"SPKBAK2\n") and b"demo-config" not in data and b"kind" not in data[200:]
    assert body["ServerSideEncryption"] == "AES256"


def test_killing_the_backup_during_an_upload_leaves_no_valid_set(round_trip, lab, lab_env, tmp_path):
    big = tmp_path / "big-config"
    big.mkdir()
    (big / "blob.bin").write_bytes(os.urandom(96 * 1024 * 1024))  # uploads in parts: slow enough to be caught
    before = {s["set_id"] for s in sets(lab, "config")}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "backup.yml"),
           "-i", str(REPO / "inventories" / "lab"),
           "-e", json.dumps({"backup_kinds": ["config"], "backup_config_paths": [str(big)],
                             "backup_work_dir": str(tmp_path / "work")})]  # what the killed run leaves stays in tmp_path
    proc = subprocess.Popen(cmd, env=ansible_env(lab_env), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    client = s3.client(lab)
    caught = kill_when(proc, lambda: client.list_multipart_uploads(Bucket=s3.BUCKET, Prefix=f"{PREFIX}/config/").get("Uploads"))
    assert caught, "the upload finished before it could be killed"

    after = sets(lab, "config")
    new = [s for s in after if s["set_id"] not in before]
    assert all(not s["complete"] for s in new), new  # whatever got stored, no manifest: not a backup
    assert catalog.latest(after)["set_id"] in before  # the newest complete set is still the one before
    # what restores and retention see: the killed set is never chosen, and goes once past the grace period
    retention = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "backup_retention.yml"),
         "-i", str(REPO / "inventories" / "lab"),
         "-e", json.dumps({"backup_kinds": ["config"], "backup_retention_incomplete_grace": "0s"})],
        env=ansible_env(lab_env), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert retention.returncode == 0, retention.stdout[-3000:]
    outcome = report(lab_env, "backup_retention.json")["retention"][0]
    assert {p["set_id"] for p in outcome["pruned"]} >= {s["set_id"] for s in new}
    assert outcome["aborted_uploads"], "the killed multipart upload was not aborted"
    assert not client.list_multipart_uploads(Bucket=s3.BUCKET, Prefix=f"{PREFIX}/config/").get("Uploads")
    assert catalog.latest(sets(lab, "config"))["set_id"] in before


def _put_fake_set(client, source, set_id, verified=False):
    prefix = f"{PREFIX}/{source}/{set_id}/"
    client.put_object(Bucket=s3.BUCKET, Key=prefix + "ghost.pgc.enc", Body=b"old")
    client.put_object(Bucket=s3.BUCKET, Key=prefix + "manifest.json", Body=b"{}")
    if verified:
        client.put_object(Bucket=s3.BUCKET, Key=prefix + "verified.json", Body=b"{}")


def test_retention_check_lists_then_prunes_then_changes_nothing(lab, lab_env):
    """Two months of daily sets of a database (ORCA policy: 7 daily, 4 weekly, 12 monthly); only the oldest was verified."""
    client = s3.client(lab)
    first_day = datetime.datetime(2025, 1, 1, 2, 0, tzinfo=datetime.timezone.utc)
    old = [catalog.set_id_for(first_day + datetime.timedelta(days=n)) for n in range(60)]
    for index, set_id in enumerate(old):
        _put_fake_set(client, "postgres-ghost", set_id, verified=index == 0)
    env = ansible_env(lab_env)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "backup_retention.yml"),
           "-i", str(REPO / "inventories" / "lab"),
           "-e", json.dumps({"backup_kinds": ["postgres"], "backup_postgres_databases": ["ghost"]})]

    check = subprocess.run(cmd + ["--check"], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout[-3000:]
    would = report(lab_env, "backup_retention.json")["retention"][0]
    assert would["check_mode"] and would["pruned"]
    assert [s["set_id"] for s in sets(lab, "postgres-ghost")] == old[::-1]  # check mode deleted nothing

    first = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout[-3000:]
    done = report(lab_env, "backup_retention.json")["retention"][0]
    assert [p["set_id"] for p in done["pruned"]] == [p["set_id"] for p in would["pruned"]]
    left = {s["set_id"]: s for s in sets(lab, "postgres-ghost")}
    kept = {k["set_id"]: k["reasons"] for k in done["kept"]}
    assert set(left) == set(kept) and not set(left) & {p["set_id"] for p in done["pruned"]}
    assert "newest verified backup" in kept[old[0]] and left[old[0]]["verified"]  # never zero verified backups
    assert "newest complete backup" in kept[old[-1]]
    assert sum(1 for reasons in kept.values() if any(r.startswith("daily") for r in reasons)) == 7
    assert {r for reasons in kept.values() for r in reasons if r.startswith("monthly")} == {
        "monthly 2025-01", "monthly 2025-02", "monthly 2025-03"}

    second = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:]
    again = report(lab_env, "backup_retention.json")["retention"][0]
    assert again["pruned"] == [] and not again["aborted_uploads"]
    assert set(s["set_id"] for s in sets(lab, "postgres-ghost")) == set(left)


def test_a_truncated_artifact_fails_restore_verify_and_is_named(round_trip, lab, lab_env):
    client = s3.client(lab)
    newest = sets(lab, "postgres-orca")[0]
    key = newest["prefix"] + "orca.pgc.enc"
    original = client.get_object(Bucket=s3.BUCKET, Key=key)["Body"].read()
    client.put_object(Bucket=s3.BUCKET, Key=key, Body=original[: len(original) // 2])
    try:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "restore_verify.yml"),
             "-i", str(REPO / "inventories" / "lab"), "-e", json.dumps({"backup_restore_sources": ["postgres-orca"]})],
            env=ansible_env(lab_env), cwd=REPO, capture_output=True, text=True, timeout=600)
    finally:
        client.put_object(Bucket=s3.BUCKET, Key=key, Body=original)
    assert result.returncode != 0
    assert "orca.pgc.enc" in result.stdout and "truncated" in result.stdout
    failed = report(lab_env, "restore_verify.json")
    assert failed["status"] == "fail"
    (source,) = failed["sources"]
    assert source["status"] == "fail" and source["artifact"] == "orca.pgc.enc" and source["set_id"] == newest["set_id"]
    assert "truncated" in source["error"]
