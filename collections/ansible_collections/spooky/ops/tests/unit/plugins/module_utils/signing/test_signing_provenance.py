# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provenance log: hash chain, and what a compromised key signed after its compromise."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing import errors, provenance
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey

T0 = 1767225600  # 2026-01-01T00:00:00Z, as in conftest.py
DAY = 86400


@pytest.fixture
def log(tmp_path, key):
    path = str(tmp_path / "provenance.jsonl")
    provenance.append(path, provenance.KEY_GENERATED, key_id=key.key_id, t=T0)
    for hour in range(1, 6):
        provenance.append(path, provenance.SIGN, key_id=key.key_id, subject="manifests/app-%d" % hour, digest="sha256:%d" % hour,
                          t=T0 + hour * 3600)
    return path


def lines(path):
    with open(path, "rb") as handle:
        return handle.read().split(b"\n")[:-1]


def write(path, raw_lines):
    with open(path, "wb") as handle:
        handle.write(b"".join(line + b"\n" for line in raw_lines))


def test_entries_chain_by_the_hash_of_the_previous_line(log, ring):
    raw = lines(log)
    entries = [json.loads(r) for r in raw]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0]["prev"] == provenance.GENESIS
    assert all(entries[i]["prev"] == provenance.line_hash(raw[i - 1]) for i in range(1, 6))
    assert entries[1]["action"] == "sign" and entries[1]["subject"] == "manifests/app-1" and entries[1]["time"] == "2026-01-01T01:00:00Z"
    result = provenance.audit(log, ring)
    assert result["ok"] and result["chain_ok"] and result["entries"] == 6 and result["head"] == provenance.line_hash(raw[-1])


def test_a_changed_line_is_pinpointed(log, ring, key):
    raw = lines(log)
    entry = json.loads(raw[2])
    entry["subject"] = "manifests/something-else"
    raw[2] = provenance.encode(entry)
    write(log, raw)
    broken = provenance.audit(log, ring)["first_broken"]
    assert broken["line"] == 3 and broken["found_at_line"] == 4
    assert "line 3 was changed after it was written" in broken["msg"] and log in broken["msg"]
    assert broken["key_id"] == key.key_id and key.key_id in broken["msg"] and "manifests/something-else" in broken["msg"]


def test_a_removed_and_an_inserted_line(log, ring, key):
    raw = lines(log)
    write(log, raw[:2] + raw[3:])
    broken = provenance.audit(log, ring)["first_broken"]
    assert broken["line"] == 3 and "1 line(s) were removed before it" in broken["msg"]
    forged = provenance.encode(dict(seq=3, prev=provenance.line_hash(raw[1]), action="sign", key_id=key.key_id, subject="evil",
                                    digest="sha256:0", time="2026-01-01T01:30:00Z"))
    write(log, raw[:2] + [forged] + raw[2:])
    broken = provenance.audit(log, ring)["first_broken"]
    assert broken["line"] == 4 and "inserted before it" in broken["msg"]


def test_an_incomplete_last_line(log, ring, key):
    with open(log, "ab") as handle:
        handle.write(b'{"seq": 7, "act')
    broken = provenance.audit(log, ring)["first_broken"]
    assert broken["line"] == 7 and "incomplete" in broken["msg"]
    with pytest.raises(SigningError, match="incomplete"):
        provenance.append(log, provenance.SIGN, key_id=key.key_id, t=T0)


def test_a_truncated_start(log, ring):
    write(log, lines(log)[1:])
    assert provenance.audit(log, ring)["first_broken"]["line"] == 1


def test_entries_signed_after_the_compromise_are_suspicious(log, ring, key):
    ring.revoke(key.key_id, T0 + DAY, T0 + 3 * 3600, "stolen")
    result = provenance.audit(log, ring)
    assert result["chain_ok"] and not result["ok"]
    assert [s["subject"] for s in result["suspicious"]] == ["manifests/app-3", "manifests/app-4", "manifests/app-5"]
    first = result["suspicious"][0]
    assert first["reason"] == errors.REVOKED_KEY and first["line"] == 4 and first["key_id"] == key.key_id
    assert key.key_id in first["msg"] and "manifests/app-3" in first["msg"] and "stolen" in first["msg"]


def test_entries_outside_the_validity_window_and_unknown_keys(log, ring, key, tmp_path):
    new = SigningKey.generate()
    ring.rotate(new.key_id, new.public_b64, T0 + 3600, 3600)  # the old key expires at T0 + 2h
    stranger = SigningKey.generate()
    provenance.append(log, provenance.SIGN, key_id=stranger.key_id, subject="x", t=T0 + 7 * 3600)
    provenance.append(log, provenance.SIGN, key_id=new.key_id, subject="early", t=T0 + 7 * 3600)
    suspicious = provenance.audit(log, ring)["suspicious"]
    reasons = [(s["subject"], s["reason"]) for s in suspicious]
    assert reasons == [("manifests/app-2", errors.EXPIRED_KEY), ("manifests/app-3", errors.EXPIRED_KEY),
                       ("manifests/app-4", errors.EXPIRED_KEY), ("manifests/app-5", errors.EXPIRED_KEY), ("x", errors.UNKNOWN_KEY)]


def test_a_missing_log_is_empty(tmp_path, ring):
    result = provenance.audit(str(tmp_path / "none.jsonl"), ring)
    assert result["ok"] and result["entries"] == 0 and not result["exists"] and result["head"] == provenance.GENESIS


def test_concurrent_appends_keep_the_chain(tmp_path, ring, key):
    path = str(tmp_path / "p.jsonl")

    def worker(n):
        for i in range(20):
            provenance.append(path, provenance.SIGN, key_id=key.key_id, subject="w%d-%d" % (n, i), t=T0 + 60)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = provenance.audit(path, ring)
    assert result["chain_ok"] and result["entries"] == 80
