# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""provenance_audit: a broken chain and entries signed after a compromise, reported or failed on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, now
from ansible_collections.spooky.ops.plugins.modules import manifest_sign, provenance_audit, signing_key


def run(module, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def trail(tmp_path, capsys):
    log = str(tmp_path / "provenance.jsonl")
    keys = dict(keyring=str(tmp_path / "keyring.json"), private_key_path=str(tmp_path / "key.pem"))
    _code, key = run(signing_key, capsys, provenance_log=log, **keys)
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(name)
        assert run(manifest_sign, capsys, path=str(tmp_path / name), provenance_log=log, **keys)[0] == 0
    return dict(log=log, keyring=keys["keyring"], key_id=key["key_id"])


def test_clean_trail(capsys, trail):
    code, result = run(provenance_audit, capsys, path=trail["log"], keyring=trail["keyring"])
    assert code == 0 and result["ok"] and result["entries"] == 4 and not result["changed"]
    assert result["msg"].endswith("4 entries, chain holds, 0 suspicious entries")


def test_signed_after_the_compromise(capsys, trail):
    run(signing_key, capsys, state="revoked", key_id=trail["key_id"], reason="stolen", compromised_at=format_time(now() - 3600),
        keyring=trail["keyring"])
    code, result = run(provenance_audit, capsys, path=trail["log"], keyring=trail["keyring"])
    assert code == 0 and not result["ok"] and result["chain_ok"]
    assert [s["line"] for s in result["suspicious"]] == [2, 3, 4]
    assert all(s["reason"] == "revoked-key" and trail["key_id"] in s["msg"] for s in result["suspicious"])
    code, result = run(provenance_audit, capsys, path=trail["log"], keyring=trail["keyring"], fail_on_findings=True)
    assert code == 1 and "3 suspicious entries" in result["msg"]


def test_broken_chain(capsys, trail):
    lines = open(trail["log"]).read().splitlines()
    entry = json.loads(lines[1])
    entry["subject"] = "/elsewhere"
    lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    open(trail["log"], "w").write("\n".join(lines) + "\n")
    code, result = run(provenance_audit, capsys, path=trail["log"], keyring=trail["keyring"], fail_on_findings=True)
    assert code == 1 and result["first_broken"]["line"] == 2
    assert "chain BROKEN" in result["msg"] and "line 2 was changed after it was written" in result["msg"]
