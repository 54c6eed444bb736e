# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Detached signatures: every way a signature can fail names the file and the key."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing import errors
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError, VerificationError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey
from ansible_collections.spooky.ops.plugins.module_utils.signing.signature import (
    make_document,
    plan_signature,
    verify,
    write_document,
)
from ansible_collections.spooky.ops.plugins.module_utils.signing.digest import compute

T0 = 1767225600  # 2026-01-01T00:00:00Z, as in conftest.py
DAY = 86400


def sign(path, key, ring, t=T0 + 60, signature=None):
    signature_path, doc, _previous = plan_signature(str(path), key, ring, t, signature)
    if doc is not None:
        write_document(signature_path, doc)
    return doc


def failure(path, ring, at=T0 + 120, signature=None):
    with pytest.raises(VerificationError) as exc:
        verify(str(path), ring, at, signature)
    return exc.value


def test_a_good_signature_verifies(tree, key, ring):
    doc = sign(tree, key, ring)
    assert doc["type"] == "directory" and doc["subject"] == "manifests" and doc["signed_at"] == "2026-01-01T00:01:00Z"
    assert sorted(doc["files"]) == ["demo/deployment.yaml", "demo/service.yaml", "namespace.yaml"]
    result = verify(str(tree), ring, T0 + 120)
    assert result["key_id"] == key.key_id and result["digest"] == doc["digest"]
    sign(tree / "namespace.yaml", key, ring)
    assert verify(str(tree / "namespace.yaml"), ring, T0 + 120)["type"] == "file"
    assert verify(str(tree), ring, T0 + 120)["digest"] == doc["digest"]  # the file's signature is not part of the tree


def test_tampered_file_names_the_file_and_the_key(tree, key, ring):
    path = tree / "namespace.yaml"
    sign(path, key, ring)
    path.write_text("kind: Namespace\nmetadata: {name: evil}\n")
    exc = failure(path, ring)
    assert exc.reason == errors.TAMPERED and exc.key_id == key.key_id
    assert str(path) in str(exc) and key.key_id in str(exc) and "content changed" in str(exc)


def test_tampered_directory_names_the_changed_files(tree, key, ring):
    sign(tree, key, ring)
    (tree / "demo" / "service.yaml").write_text("kind: Service\ntype: LoadBalancer\n")
    (tree / "demo" / "backdoor.yaml").write_text("kind: Pod\n")
    (tree / "namespace.yaml").unlink()
    exc = failure(tree, ring)
    assert exc.reason == errors.TAMPERED
    assert "changed demo/service.yaml; added demo/backdoor.yaml; removed namespace.yaml" in str(exc)
    assert str(tree) in str(exc) and key.key_id in str(exc)


def test_a_directory_replaced_by_a_file(tmp_path, key, ring):
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "policy.rego").write_text("package x\n")
    sign(target, key, ring, signature=str(tmp_path / "bundle.sig"))
    (target / "policy.rego").unlink()
    target.rmdir()
    target.write_text("package x\n")
    exc = failure(target, ring, signature=str(tmp_path / "bundle.sig"))
    assert exc.reason == errors.TAMPERED and "signed as a directory, but it is now a file" in str(exc)


def test_revoked_key(tree, key, ring):
    sign(tree, key, ring)
    ring.revoke(key.key_id, T0 + DAY, T0 + 3600, "key leaked in a CI log")
    exc = failure(tree, ring, at=T0 + 2 * DAY)
    assert exc.reason == errors.REVOKED_KEY and key.key_id in str(exc) and str(tree) in str(exc)
    assert "key leaked in a CI log" in str(exc) and "compromised since 2026-01-01T01:00:00Z" in str(exc)
    # signed before the compromise, checked as of a time before the compromise: still good (history)
    assert verify(str(tree), ring, T0 + 1800)["key_id"] == key.key_id


def test_signed_after_the_compromise_is_refused_even_when_checked_earlier(tree, key, ring):
    sign(tree, key, ring, t=T0 + 7200)
    ring.revoke(key.key_id, T0 + DAY, T0 + 3600, "stolen")
    exc = failure(tree, ring, at=T0 + 3000)
    assert exc.reason == errors.REVOKED_KEY and "signed at 2026-01-01T02:00:00Z, when it was not valid" in str(exc)


def test_expired_key_after_rotation_and_valid_inside_the_overlap(tree, key, ring):
    sign(tree, key, ring)
    new = SigningKey.generate()
    ring.rotate(new.key_id, new.public_b64, T0 + 90 * DAY, 7 * DAY)
    assert verify(str(tree), ring, T0 + 90 * DAY)["key_id"] == key.key_id
    assert verify(str(tree), ring, T0 + 97 * DAY - 1)["key_id"] == key.key_id
    exc = failure(tree, ring, at=T0 + 97 * DAY)
    assert exc.reason == errors.EXPIRED_KEY and "key expired at 2026-04-08T00:00:00Z" in str(exc)
    assert key.key_id in str(exc) and str(tree) in str(exc)
    sign(tree, new, ring, t=T0 + 91 * DAY)  # re-signed with the new key inside the overlap
    assert verify(str(tree), ring, T0 + 200 * DAY)["key_id"] == new.key_id


def test_key_not_yet_valid_when_signed(tree, key, ring):
    signature_path, _doc, _prev = plan_signature(str(tree), key, ring, T0 + 60)
    write_document(signature_path, make_document(str(tree), compute(str(tree), [signature_path]), key, T0 - DAY))  # backdated
    exc = failure(tree, ring)
    assert exc.reason == errors.NOT_YET_VALID and "not valid before 2026-01-01T00:00:00Z" in str(exc)


def test_wrong_key_signature_does_not_verify_with_the_named_key(tree, key, ring):
    other = SigningKey.generate()
    signature_path = str(tree / "SIGNATURE.sig")
    doc = make_document(str(tree), compute(str(tree), [signature_path]), other, T0 + 60)
    doc["key_id"] = key.key_id  # claims the trusted key
    write_document(signature_path, doc)
    exc = failure(tree, ring)
    assert exc.reason == errors.WRONG_KEY and key.key_id in str(exc) and str(tree) in str(exc)


def test_altered_signature_document_is_a_wrong_key(tree, key, ring):
    sign(tree, key, ring)
    (tree / "namespace.yaml").write_text("kind: Namespace\nevil: true\n")
    doc = json.loads((tree / "SIGNATURE.sig").read_text())
    doc["digest"] = compute(str(tree), [str(tree / "SIGNATURE.sig")]).value  # an attacker updates the digest
    (tree / "SIGNATURE.sig").write_text(json.dumps(doc))
    assert failure(tree, ring).reason == errors.WRONG_KEY


def test_unknown_key(tree, ring):
    stranger = SigningKey.generate()
    signature_path = str(tree / "SIGNATURE.sig")
    write_document(signature_path, make_document(str(tree), compute(str(tree), [signature_path]), stranger, T0 + 60))
    exc = failure(tree, ring)
    assert exc.reason == errors.UNKNOWN_KEY and stranger.key_id in str(exc) and "not in the keyring" in str(exc)


def test_missing_and_malformed_signatures(tree, key, ring):
    exc = failure(tree, ring)
    assert exc.reason == errors.MISSING_SIGNATURE and str(tree) in str(exc) and "[key none]" in str(exc)
    (tree / "SIGNATURE.sig").write_text("{not json")
    assert failure(tree, ring).reason == errors.MALFORMED_SIGNATURE
    sign(tree, key, ring)
    doc = json.loads((tree / "SIGNATURE.sig").read_text())
    doc["signature"] = "AAAA"
    (tree / "SIGNATURE.sig").write_text(json.dumps(doc))
    exc = failure(tree, ring)
    assert exc.reason == errors.MALFORMED_SIGNATURE and key.key_id in str(exc)
    assert failure(tree / "nothing.yaml", ring).reason == errors.MISSING_FILE


def test_signing_is_idempotent_and_only_with_the_current_key(tree, key, ring):
    assert sign(tree, key, ring) is not None
    assert sign(tree, key, ring, t=T0 + 600) is None  # still good: nothing to write
    signature_path, doc, previous = plan_signature(str(tree), key, ring, T0 + 600, force=True)
    assert doc is not None and previous is not None
    (tree / "namespace.yaml").write_text("changed\n")
    assert sign(tree, key, ring, t=T0 + 700) is not None
    new = SigningKey.generate()
    ring.rotate(new.key_id, new.public_b64, T0 + DAY, 7 * DAY)
    with pytest.raises(SigningError, match="is not the current signing key"):
        plan_signature(str(tree), key, ring, T0 + DAY + 1)
    assert sign(tree, new, ring, t=T0 + DAY + 1)["key_id"] == new.key_id  # re-signed by the new key
    with pytest.raises(SigningError, match="not in the keyring"):
        plan_signature(str(tree), SigningKey.generate(), ring, T0 + DAY + 1)
    ring.revoke(new.key_id, T0 + 2 * DAY, None, "test")
    with pytest.raises(SigningError, match="cannot sign with key .* revoked"):
        plan_signature(str(tree), new, ring, T0 + 2 * DAY)


def test_a_custom_signature_inside_the_directory_is_left_out(tree, key, ring):
    custom = str(tree / "signature.json")
    sign(tree, key, ring, signature=custom)
    assert verify(str(tree), ring, T0 + 120, custom)["key_id"] == key.key_id
