# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""manifest_verify: every failure names the file and the key; rotation overlap; the keyring as content."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, now
from ansible_collections.spooky.ops.plugins.modules import manifest_sign, manifest_verify, signing_key

DAY = 86400


def run(module, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def signed(tmp_path, capsys):
    keys = dict(keyring=str(tmp_path / "keyring.json"), private_key_path=str(tmp_path / "key.pem"))
    _code, key = run(signing_key, capsys, **keys)
    root = tmp_path / "manifests"
    root.mkdir()
    (root / "deployment.yaml").write_text("kind: Deployment\n")
    code, _result = run(manifest_sign, capsys, paths=[str(root), str(root / "deployment.yaml")], **keys)
    assert code == 0
    return dict(keys=keys, root=root, file=root / "deployment.yaml", key_id=key["key_id"])


def verify(capsys, signed, path, **extra):
    return run(manifest_verify, capsys, path=str(path), keyring=signed["keys"]["keyring"], **extra)


def assert_fails(capsys, signed, path, reason, key_id, **extra):
    code, result = verify(capsys, signed, path, **extra)
    assert code == 1 and result["failed"]
    assert [f["reason"] for f in result["failures"]] == [reason]
    assert str(path) in result["msg"] and (key_id or "none") in result["msg"]
    return result


def test_good_signatures(capsys, signed):
    code, result = run(manifest_verify, capsys, paths=[str(signed["root"]), str(signed["file"])], keyring=signed["keys"]["keyring"])
    assert code == 0 and not result["changed"] and [v["key_id"] for v in result["verified"]] == [signed["key_id"]] * 2


def test_tampered(capsys, signed):
    signed["file"].write_text("kind: Deployment\nimage: evil\n")
    assert_fails(capsys, signed, signed["file"], "tampered", signed["key_id"])
    result = assert_fails(capsys, signed, signed["root"], "tampered", signed["key_id"])
    assert "changed deployment.yaml" in result["msg"]


def test_revoked_key(capsys, signed):
    run(signing_key, capsys, state="revoked", key_id=signed["key_id"], reason="leaked", keyring=signed["keys"]["keyring"])
    result = assert_fails(capsys, signed, signed["file"], "revoked-key", signed["key_id"])
    assert "leaked" in result["msg"]


def test_expired_key_after_the_overlap_and_valid_inside_it(capsys, signed):
    code, rotated = run(signing_key, capsys, state="rotated", overlap_days=7, **signed["keys"])
    assert code == 0 and rotated["previous_key_id"] == signed["key_id"]
    code, result = verify(capsys, signed, signed["file"], at=format_time(now() + 6 * DAY))
    assert code == 0 and result["verified"][0]["key_id"] == signed["key_id"]
    result = assert_fails(capsys, signed, signed["file"], "expired-key", signed["key_id"], at=format_time(now() + 8 * DAY))
    assert "key expired at" in result["msg"]


def test_wrong_key(capsys, signed):
    doc = json.loads((signed["root"] / "deployment.yaml.sig").read_text())
    other = SigningKey.generate()
    doc["signature"] = base64.b64encode(other.sign(b"anything")).decode()
    (signed["root"] / "deployment.yaml.sig").write_text(json.dumps(doc))
    result = assert_fails(capsys, signed, signed["file"], "wrong-key", signed["key_id"])
    assert "does not verify with the key it names" in result["msg"]


def test_unknown_key(capsys, signed, tmp_path):
    stranger = dict(keyring=str(tmp_path / "other-keyring.json"), private_key_path=str(tmp_path / "other.pem"))
    _code, other = run(signing_key, capsys, **stranger)
    run(manifest_sign, capsys, path=str(signed["file"]), force=True, **stranger)
    assert_fails(capsys, signed, signed["file"], "unknown-key", other["key_id"])


def test_missing_signature(capsys, signed):
    (signed["root"] / "new.yaml").write_text("kind: Pod\n")
    result = assert_fails(capsys, signed, signed["root"] / "new.yaml", "missing-signature", None)
    assert "not signed" in result["msg"]


def test_all_paths_are_reported(capsys, signed):
    signed["file"].write_text("changed\n")
    code, result = run(manifest_verify, capsys, paths=[str(signed["root"]), str(signed["file"]), str(signed["root"] / "x.yaml")],
                       keyring=signed["keys"]["keyring"])
    assert code == 1 and [f["reason"] for f in result["failures"]] == ["tampered", "tampered", "missing-file"]
    assert result["msg"].startswith("3 of 3 signature(s) do not hold")


def test_keyring_as_content(capsys, signed):
    content = open(signed["keys"]["keyring"]).read()
    code, result = run(manifest_verify, capsys, path=str(signed["file"]), keyring_content=content)
    assert code == 0
    code, result = run(manifest_verify, capsys, path=str(signed["file"]), keyring_content=json.loads(content))
    assert code == 0
    code, result = run(manifest_verify, capsys, path=str(signed["file"]), keyring_content="{broken")
    assert code == 1 and "keyring_content: not valid JSON" in result["msg"]


def test_bad_time(capsys, signed):
    code, result = verify(capsys, signed, signed["file"], at="tomorrow")
    assert code == 1 and "at: expected an RFC 3339 time" in result["msg"]
