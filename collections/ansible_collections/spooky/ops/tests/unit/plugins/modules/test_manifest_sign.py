# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""manifest_sign: signs with the current key only, idempotently, with check mode, diff and provenance."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey
from ansible_collections.spooky.ops.plugins.modules import manifest_sign, signing_key


def run(module, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


@pytest.fixture
def setup(tmp_path, capsys):
    keys = dict(keyring=str(tmp_path / "keyring.json"), private_key_path=str(tmp_path / "key.pem"))
    code, result, _out = run(signing_key, capsys, **keys)
    assert code == 0
    root = tmp_path / "manifests"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "deployment.yaml").write_text("kind: Deployment\n")
    (root / "namespace.yaml").write_text("kind: Namespace\n")
    return dict(keys=keys, root=root, key_id=result["key_id"], log=str(tmp_path / "provenance.jsonl"))


def test_sign_then_no_change(capsys, setup):
    args = dict(setup["keys"], paths=[str(setup["root"]), str(setup["root"] / "namespace.yaml")], provenance_log=setup["log"])
    code, result, out = run(manifest_sign, capsys, **args)
    assert code == 0 and result["changed"] and result["key_id"] == setup["key_id"]
    assert [s["signature"] for s in result["signatures"]] == [str(setup["root"] / "SIGNATURE.sig"), str(setup["root"] / "namespace.yaml.sig")]
    assert json.loads((setup["root"] / "SIGNATURE.sig").read_text())["key_id"] == setup["key_id"]
    pem_body = "".join(open(setup["keys"]["private_key_path"]).read().splitlines()[1:-1])
    assert pem_body not in out
    code, again, _out = run(manifest_sign, capsys, **args)
    assert code == 0 and not again["changed"] and again["signed"] == []
    entries = [json.loads(line) for line in open(setup["log"])]
    assert [(e["action"], os.path.basename(e["subject"])) for e in entries] == [("sign", "manifests"), ("sign", "namespace.yaml")]
    (setup["root"] / "demo" / "deployment.yaml").write_text("kind: Deployment\nreplicas: 3\n")
    code, third, _out = run(manifest_sign, capsys, **args)
    assert code == 0 and third["signed"] == [str(setup["root"])]  # the file's own signature still holds


def test_check_mode_and_diff(capsys, setup):
    code, result, _out = run(manifest_sign, capsys, path=str(setup["root"]), _ansible_check_mode=True, _ansible_diff=True, **setup["keys"])
    assert code == 0 and result["changed"] and not (setup["root"] / "SIGNATURE.sig").exists()
    assert result["diff"]["before"] == {str(setup["root"]): None}
    assert result["diff"]["after"][str(setup["root"])]["key_id"] == setup["key_id"]


def test_only_the_current_key_signs(capsys, setup, tmp_path):
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(SigningKey.generate().to_pem())
    args = dict(setup["keys"], private_key_path=str(stranger), path=str(setup["root"]))
    code, result, _out = run(manifest_sign, capsys, **args)
    assert code == 1 and "is not in the keyring" in result["msg"]
    assert not (setup["root"] / "SIGNATURE.sig").exists()


def test_revoked_key_does_not_sign(capsys, setup):
    code, _r, _o = run(signing_key, capsys, state="revoked", key_id=setup["key_id"], reason="test", keyring=setup["keys"]["keyring"])
    assert code == 0
    code, result, _out = run(manifest_sign, capsys, path=str(setup["root"]), **setup["keys"])
    assert code == 1 and "cannot sign with key %s: key revoked" % setup["key_id"] in result["msg"]


@pytest.mark.parametrize("extra,message", [
    (dict(paths=["missing-dir"]), "nothing to sign at missing-dir"),
    (dict(paths=["a", "b"], signature="x.sig"), "signature can only be used with path"),
    (dict(path="a", paths=["b"]), "mutually exclusive"),
])
def test_bad_input(capsys, setup, extra, message):
    code, result, _out = run(manifest_sign, capsys, **dict(setup["keys"], **extra))
    assert code == 1 and message in result["msg"]


def test_no_private_key(capsys, setup, tmp_path):
    args = dict(setup["keys"], private_key_path=str(tmp_path / "none.pem"), path=str(setup["root"]))
    code, result, _out = run(manifest_sign, capsys, **args)
    assert code == 1 and "no private key in private key file" in result["msg"]
