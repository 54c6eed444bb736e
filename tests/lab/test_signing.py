"""Signed manifests against the lab: key rotation, key compromise, verify-before-apply, and no private key in any output.

Each test has its own key directory and its own manifests and policies (copies in a temporary directory), so the
repository's manifests/ and policies/ are never signed by a test. The keyring ConfigMap is published to the lab's
clusters by every run.
"""

import base64
import calendar
import json
import re
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

DAY = 86400
CLUSTERS = ("lab-east", "lab-west", "lab-edge")


def rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@pytest.fixture
def signing(tmp_path, lab_env):
    """Extra vars for one test: a key directory, a manifests directory and a policy bundle of its own."""
    manifests = tmp_path / "manifests"
    (manifests / "demo").mkdir(parents=True)
    (manifests / "demo" / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    (manifests / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n")
    policies = tmp_path / "policies"
    (policies / "ship_check").mkdir(parents=True)
    (policies / "ship_check" / "ship_check.rego").write_text("package ship_check\n\ndefault allow := false\n")
    (policies / ".manifest").write_text('{"roots": ["ship_check"]}\n')
    key_dir = tmp_path / "signing"
    extra = {"signing_dir": str(key_dir), "signing_manifests_dir": str(manifests),
             "signing_bundle_dirs": [str(policies), str(tmp_path / "no-such-bundle")]}
    reports = Path(lab_env["SPOOKY_REPORTS_DIR"])
    return dict(extra=extra, args=["-e", json.dumps(extra)], dir=key_dir, manifests=manifests, policies=policies,
                keyring=key_dir / "keyring.json", private_key=key_dir / "private" / "signing-key.pem",
                log=key_dir / "provenance.jsonl", reports=reports, tmp=tmp_path)


def recap(result):
    """{host: changed count} from the PLAY RECAP; fails when the run failed."""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    counts = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", result.stdout, re.M))
    assert counts, result.stdout[-2000:]
    return {host: int(n) for host, n in counts.items()}


def private_forms(pem: bytes):
    """Every printable form of a private key: the PEM body lines, the raw 32-byte seed in base64 and hex."""
    key = serialization.load_pem_private_key(pem, password=None)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    body = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    return body + ["".join(body), base64.b64encode(raw).decode(), raw.hex(), raw.hex().upper()]


def assert_not_leaked(result, *pems):
    output = result.stdout + result.stderr
    assert "BEGIN PRIVATE KEY" not in output
    for pem in pems:
        for form in private_forms(pem):
            assert form not in output, "private key material in the output"


def keyring(signing):
    return json.loads(signing["keyring"].read_text())


def configmap_keyring(lab, cluster):
    api = k8s_client.CoreV1Api(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context=cluster))
    cm = api.read_namespaced_config_map("spooky-signing-keyring", "spooky-system")
    return json.loads(cm.data["keyring.json"])


def signature(path):
    path = Path(path)
    return json.loads((path / "SIGNATURE.sig" if path.is_dir() else Path(str(path) + ".sig")).read_text())


def verify_with_role(run_playbook, signing, paths, at=None):
    """Run the verify_signed role the way a rollout playbook includes it."""
    playbook = signing["tmp"] / "apply.yml"
    role_vars = {"verify_signed_paths": [str(p) for p in paths], "verify_signed_keyring": str(signing["keyring"])}
    if at:
        role_vars["verify_signed_at"] = at
    playbook.write_text(json.dumps([{
        "name": "Rollout | apply signed manifests", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Rollout | refuse what is not signed by a valid key",
                   "ansible.builtin.include_role": {"name": "spooky.ops.verify_signed"}, "vars": role_vars}],
    }]))
    return run_playbook(str(playbook))


def test_rotation_signs_publishes_and_a_second_run_changes_nothing(run_playbook, signing, lab):
    result = run_playbook("playbooks/key_rotation.yml", "-vvv", *signing["args"])
    changed = recap(result)
    assert changed["localhost"] > 0 and all(changed[c] > 0 for c in CLUSTERS)
    assert signing["private_key"].stat().st_mode & 0o777 == 0o600
    assert_not_leaked(result, signing["private_key"].read_bytes())

    report = json.loads((signing["reports"] / "key_rotation.json").read_text())
    ring = keyring(signing)
    assert report["key_id"] == ring["current"] and report["published"] == list(CLUSTERS)
    expected = {str(signing["manifests"]), str(signing["manifests"] / "demo"), str(signing["manifests"] / "namespace.yaml"),
                str(signing["policies"])}
    assert set(report["signed_by"]) == expected and set(report["signed_by"].values()) == {ring["current"]}
    assert signature(signing["policies"])["files"].keys() == {".manifest", "ship_check/ship_check.rego"}
    for cluster in CLUSTERS:
        assert configmap_keyring(lab, cluster) == ring
    assert [json.loads(line)["action"] for line in signing["log"].read_text().splitlines()] == ["key-generated"] + ["sign"] * 4

    again = run_playbook("playbooks/key_rotation.yml", *signing["args"])
    assert recap(again) == {host: 0 for host in ("localhost",) + CLUSTERS}


def test_rotation_of_an_old_key_keeps_old_signatures_valid_for_the_overlap_only(run_playbook, signing):
    recap(run_playbook("playbooks/key_rotation.yml", *signing["args"]))
    old_key = signing["private_key"].read_bytes()
    old_id = keyring(signing)["current"]
    # Something signed by the old key that the rotation does not re-sign (outside the signed directories).
    elsewhere = signing["tmp"] / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "job.yaml").write_text("kind: Job\n")
    recap(run_playbook("playbooks/key_rotation.yml", *signing["args"], "-e", json.dumps({"signing_bundle_dirs": [str(elsewhere)]})))
    assert signature(elsewhere)["key_id"] == old_id

    ring = keyring(signing)  # make the key 91 days old
    for key in ring["keys"]:
        key["created_at"] = key["not_before"] = rfc3339(time.time() - 91 * DAY)
    signing["keyring"].write_text(json.dumps(ring))

    result = run_playbook("playbooks/key_rotation.yml", "-vvv", *signing["args"])
    assert recap(result)["localhost"] > 0
    new_key = signing["private_key"].read_bytes()
    assert_not_leaked(result, old_key, new_key)
    ring = keyring(signing)
    assert ring["current"] != old_id
    old = next(k for k in ring["keys"] if k["key_id"] == old_id)
    overlap_end = calendar.timegm(time.strptime(old["not_after"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(overlap_end - (time.time() + 7 * DAY)) < 120
    assert set(json.loads((signing["reports"] / "key_rotation.json").read_text())["signed_by"].values()) == {ring["current"]}

    inside = verify_with_role(run_playbook, signing, [elsewhere], at=rfc3339(time.time() + 6 * DAY))
    assert inside.returncode == 0, inside.stdout[-3000:]
    after = verify_with_role(run_playbook, signing, [elsewhere], at=rfc3339(time.time() + 8 * DAY))
    assert after.returncode != 0
    assert "Refusing to apply" in after.stdout and "key expired at" in after.stdout
    assert str(elsewhere) in after.stdout and old_id in after.stdout


def test_compromise_revokes_rotates_resigns_and_reports_what_the_key_signed(run_playbook, signing, lab):
    recap(run_playbook("playbooks/key_rotation.yml", *signing["args"]))
    compromised_id = keyring(signing)["current"]
    old_key = signing["private_key"].read_bytes()
    stale = signing["tmp"] / "stale"  # signed by the compromised key and not re-signed by the playbook
    stale.mkdir()
    (stale / "cronjob.yaml").write_text("kind: CronJob\n")
    recap(run_playbook("playbooks/key_rotation.yml", *signing["args"], "-e", json.dumps({"signing_bundle_dirs": [str(stale)]})))

    compromise = {"signing_compromised_key_id": compromised_id, "signing_compromised_at": rfc3339(time.time() - 3600),
                  "signing_compromise_reason": "signing key found in a CI log"}
    result = run_playbook("playbooks/key_compromise.yml", "-vvv", *signing["args"], "-e", json.dumps(compromise))
    changed = recap(result)
    assert changed["localhost"] > 0 and all(changed[c] > 0 for c in CLUSTERS)
    new_key = signing["private_key"].read_bytes()
    assert new_key != old_key
    assert_not_leaked(result, old_key, new_key)

    ring = keyring(signing)
    revoked = next(k for k in ring["keys"] if k["key_id"] == compromised_id)
    assert revoked["revocation_reason"] == "signing key found in a CI log" and revoked["compromised_at"] == compromise["signing_compromised_at"]
    assert ring["current"] not in (None, compromised_id)
    for cluster in CLUSTERS:
        assert configmap_keyring(lab, cluster) == ring

    report = json.loads((signing["reports"] / "key_compromise.json").read_text())
    assert report["revoked_key_id"] == compromised_id and report["key_id"] == ring["current"]
    assert set(report["signed_by"].values()) == {ring["current"]}
    entries = report["signed_after_compromise"]
    subjects = sorted(e["subject"] for e in entries)
    assert str(stale) in subjects and str(signing["manifests"]) in subjects and len(entries) == 5
    assert all(e["key_id"] == compromised_id and e["reason"] == "revoked-key" for e in entries)
    assert report["provenance"]["chain_ok"] is True and report["other_findings"] == []

    refused = verify_with_role(run_playbook, signing, [signing["manifests"], stale])
    assert refused.returncode != 0 and "Refusing to apply" in refused.stdout
    assert "1 of 2 signature(s) do not hold" in refused.stdout and "revoked" in refused.stdout
    assert str(stale) in refused.stdout and compromised_id in refused.stdout

    again = run_playbook("playbooks/key_compromise.yml", *signing["args"], "-e", json.dumps(compromise))
    assert recap(again) == {host: 0 for host in ("localhost",) + CLUSTERS}


def test_verify_signed_refuses_tampered_unsigned_and_a_broken_chain_is_pinpointed(run_playbook, signing):
    recap(run_playbook("playbooks/key_rotation.yml", *signing["args"]))
    key_id = keyring(signing)["current"]
    assert verify_with_role(run_playbook, signing, [signing["manifests"], signing["policies"]]).returncode == 0

    (signing["policies"] / "ship_check" / "ship_check.rego").write_text("package ship_check\n\ndefault allow := true\n")
    (signing["manifests"] / "unsigned.yaml").write_text("kind: Secret\n")
    result = verify_with_role(run_playbook, signing, [signing["policies"], signing["manifests"] / "unsigned.yaml"])
    assert result.returncode != 0 and "Refusing to apply" in result.stdout
    assert "changed ship_check/ship_check.rego" in result.stdout and key_id in result.stdout
    assert str(signing["manifests"] / "unsigned.yaml") in result.stdout and "not signed" in result.stdout

    lines = signing["log"].read_text().splitlines()
    entry = json.loads(lines[2])
    entry["subject"] = "/somewhere/else"
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    signing["log"].write_text("\n".join(lines) + "\n")
    compromise = {"signing_compromised_key_id": key_id, "signing_compromised_at": rfc3339(time.time()),
                  "signing_compromise_reason": "drill", "signing_audit_strict": True}
    (signing["reports"] / "key_compromise.json").unlink(missing_ok=True)
    result = run_playbook("playbooks/key_compromise.yml", *signing["args"], "-e", json.dumps(compromise))
    assert result.returncode != 0, result.stdout[-3000:]
    assert "The provenance audit found" in result.stdout, result.stdout[-3000:]
    report = json.loads((signing["reports"] / "key_compromise.json").read_text())
    assert report["provenance"]["chain_ok"] is False and report["provenance"]["first_broken"]["line"] == 3
    assert "line 3 was changed after it was written" in report["provenance"]["first_broken"]["msg"]
    assert key_id in report["provenance"]["first_broken"]["msg"]


def test_private_key_in_a_kubernetes_secret(run_playbook, signing, lab):
    secret = {"namespace": "spooky-system", "name": "spooky-signing-key-test", "key": "ed25519.pem"}
    args = [*signing["args"], "-e", json.dumps({"signing_key_source": "secret", "signing_private_key_secret": secret})]
    result = run_playbook("playbooks/key_rotation.yml", "-vvv", *args)
    assert recap(result)["localhost"] > 0
    assert not signing["private_key"].exists()
    api = k8s_client.CoreV1Api(k8s_config.new_client_from_config(config_file=str(lab.kubeconfig), context="lab-east"))
    stored = api.read_namespaced_secret(secret["name"], secret["namespace"])
    pem = base64.b64decode(stored.data["ed25519.pem"])
    assert stored.metadata.annotations["signing.spooky.ops/key-id"] == keyring(signing)["current"]
    assert_not_leaked(result, pem)
    assert set(json.loads((signing["reports"] / "key_rotation.json").read_text())["signed_by"].values()) == {keyring(signing)["current"]}
    assert recap(run_playbook("playbooks/key_rotation.yml", *args)) == {host: 0 for host in ("localhost",) + CLUSTERS}
