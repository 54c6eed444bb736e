# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""signing_key: generate, keep, rotate, revoke; files 0600; nothing private in any result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, now, parse_time
from ansible_collections.spooky.ops.plugins.modules import signing_key

DAY = 86400


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            signing_key.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


@pytest.fixture
def paths(tmp_path):
    return dict(keyring=str(tmp_path / "keyring.json"), private_key_path=str(tmp_path / "private" / "key.pem"),
                provenance_log=str(tmp_path / "provenance.jsonl"))


def secrets_of(pem):
    """Every form of the private key that must never be printed: the PEM body, each of its lines, the raw seed."""
    key = SigningKey.from_pem(pem)
    body = [line for line in pem.decode().splitlines() if not line.startswith("-----")]
    raw = key._private.private_bytes_raw()
    return body + ["".join(body), base64.b64encode(raw).decode(), raw.hex()]


def assert_no_private_material(output, pem):
    for secret in secrets_of(pem):
        assert secret not in output


def age(keyring_path, days):
    """Make every key of the keyring `days` older."""
    with open(keyring_path) as handle:
        data = json.load(handle)
    for key in data["keys"]:
        for name in ("created_at", "not_before"):
            key[name] = format_time(now() - days * DAY)
    with open(keyring_path, "w") as handle:
        json.dump(data, handle)


def test_present_generates_once(capsys, paths):
    code, result, out = run(capsys, **paths)
    assert code == 0 and result["changed"] and result["action"] == "generated" and result["private_key_written"]
    pem = open(paths["private_key_path"], "rb").read()
    assert stat.S_IMODE(os.stat(paths["private_key_path"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(paths["private_key_path"])).st_mode) == 0o700
    assert SigningKey.from_pem(pem).key_id == result["key_id"]
    assert json.load(open(paths["keyring"]))["current"] == result["key_id"]
    assert_no_private_material(out, pem)
    code, again, out = run(capsys, **paths)
    assert code == 0 and not again["changed"] and again["action"] == "none" and again["key_id"] == result["key_id"]
    assert_no_private_material(out, pem)
    log = [json.loads(line) for line in open(paths["provenance_log"])]
    assert [e["action"] for e in log] == ["key-generated"]


def test_check_mode_writes_nothing_and_diffs_the_keyring(capsys, paths):
    code, result, _out = run(capsys, _ansible_check_mode=True, _ansible_diff=True, **paths)
    assert code == 0 and result["changed"] and result["key_id"] is None
    assert not os.path.exists(paths["keyring"]) and not os.path.exists(paths["private_key_path"])
    assert result["diff"]["before"] == "" and "generated when not in check mode" in result["diff"]["after"]


def test_rotation_only_when_due_with_an_overlap(capsys, paths):
    _code, first, _out = run(capsys, **paths)
    code, result, _out = run(capsys, state="rotated", rotate_after_days=90, **paths)
    assert code == 0 and not result["changed"] and not result["rotation_due"]
    age(paths["keyring"], 91)
    old_pem = open(paths["private_key_path"], "rb").read()
    code, result, out = run(capsys, state="rotated", rotate_after_days=90, overlap_days=7, _ansible_diff=True, **paths)
    assert code == 0 and result["changed"] and result["action"] == "rotated"
    assert result["previous_key_id"] == first["key_id"] and result["key_id"] != first["key_id"]
    assert abs(parse_time(result["previous_not_after"]) - (now() + 7 * DAY)) < 60
    new_pem = open(paths["private_key_path"], "rb").read()
    assert SigningKey.from_pem(new_pem).key_id == result["key_id"]
    assert_no_private_material(out, old_pem)
    assert_no_private_material(out, new_pem)
    code, result, _out = run(capsys, state="rotated", rotate_after_days=90, **paths)
    assert code == 0 and not result["changed"]
    log = [json.loads(line)["action"] for line in open(paths["provenance_log"])]
    assert log == ["key-generated", "key-rotated"]


def test_revoke_then_present_makes_a_new_key(capsys, paths):
    _code, first, _out = run(capsys, **paths)
    compromised = format_time(now() - 3600)
    args = dict(state="revoked", key_id=first["key_id"], compromised_at=compromised, reason="found in a pastebin", keyring=paths["keyring"],
                provenance_log=paths["provenance_log"])
    code, result, _out = run(capsys, **args)
    assert code == 0 and result["changed"] and result["revoked_key_id"] == first["key_id"] and result["key_id"] is None
    revoked = json.load(open(paths["keyring"]))["keys"][0]
    assert revoked["compromised_at"] == compromised and revoked["revocation_reason"] == "found in a pastebin"
    code, result, _out = run(capsys, **args)
    assert code == 0 and not result["changed"]
    code, result, _out = run(capsys, **paths)
    assert code == 0 and result["action"] == "generated" and result["key_id"] != first["key_id"]
    code, result, _out = run(capsys, **paths)
    assert code == 0 and not result["changed"]


def test_a_key_given_as_content_is_registered_and_never_echoed(capsys, paths, tmp_path):
    pem = SigningKey.generate().to_pem()
    args = dict(keyring=paths["keyring"], private_key_content=pem.decode())
    code, result, out = run(capsys, **args)
    assert code == 0 and result["action"] == "imported" and not os.path.exists(paths["private_key_path"])
    assert_no_private_material(out, pem)
    code, result, _out = run(capsys, state="rotated", **args)
    assert code == 0 and not result["changed"]  # already the current key
    newer = SigningKey.generate().to_pem()
    code, result, out = run(capsys, state="rotated", keyring=paths["keyring"], private_key_content=newer.decode())
    assert code == 0 and result["action"] == "rotated"
    assert_no_private_material(out, newer)
    code, result, out = run(capsys, state="rotated", **args)  # the old key again: refused
    assert code == 1 and "never made current again" in result["msg"]
    assert_no_private_material(out, pem)


def test_a_missing_private_key_is_not_silently_replaced(capsys, paths):
    run(capsys, **paths)
    os.unlink(paths["private_key_path"])
    code, result, _out = run(capsys, **paths)
    assert code == 1 and "is missing from private key file" in result["msg"] and "state=rotated" in result["msg"]


def test_private_key_encrypted_with_a_passphrase(capsys, paths):
    code, result, _out = run(capsys, private_key_passphrase="s3cret phrase", **paths)
    assert code == 0 and b"ENCRYPTED" in open(paths["private_key_path"], "rb").read()
    code, result, out = run(capsys, private_key_passphrase="s3cret phrase", **paths)
    assert code == 0 and not result["changed"] and "s3cret phrase" not in out


@pytest.mark.parametrize("extra,message", [
    (dict(state="revoked"), "state is revoked but all of the following are missing: key_id, reason"),
    (dict(state="revoked", reason="x", key_id="ed25519:00", rotate_after_days=90), "cannot be used with state=revoked"),
    (dict(reason="x"), "cannot be used with state=present"),
    (dict(state="revoked", reason="x", key_id="ed25519:00"), "no keyring at this path"),
    (dict(overlap_days=-1), "must not be negative"),
    (dict(state="rotated", rotate_after_days=0), "greater than 0"),
    (dict(rotate_after_days=90), "rotate_after_days is for state=rotated"),
])
def test_bad_input_is_rejected_before_anything_changes(capsys, paths, extra, message):
    code, result, _out = run(capsys, **dict(paths, **extra))
    assert code == 1 and message in result["msg"]
    assert not os.path.exists(paths["keyring"]) and not os.path.exists(paths["private_key_path"])


def test_nowhere_to_keep_the_key(capsys, paths):
    code, result, _out = run(capsys, keyring=paths["keyring"])
    assert code == 1 and "needs to know where the private key is" in result["msg"]


def test_revoking_with_a_compromise_time_in_the_future_or_garbled(capsys, paths):
    _code, first, _out = run(capsys, **paths)
    for value, message in ((format_time(now() + DAY), "in the future"), ("last tuesday", "RFC 3339")):
        code, result, _out = run(capsys, state="revoked", key_id=first["key_id"], reason="x", compromised_at=value, keyring=paths["keyring"])
        assert code == 1 and message in result["msg"]


def test_secret_options_are_no_log():
    spec = signing_key.private_key_argument_spec()
    assert spec["private_key_content"]["no_log"] and spec["private_key_passphrase"]["no_log"]
    assert spec["private_key_path"]["no_log"] is False
