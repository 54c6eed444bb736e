# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.opa_eval: arguments, decisions, errors that name the file and line or the path, faults as data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import opa_eval

pytest.importorskip("regopy")

POLICIES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "policies"))


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            opa_eval.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_one_input_denied_with_reasons(capsys):
    code, result = run(capsys, policy_dir=POLICIES, path="spooky/peace_bonds", input={"provider": {"name": "acme-pay", "risk_score": 0.85}})
    assert code == 0 and not result["changed"]
    assert result["allow"] is False and result["denied"] == 1
    assert result["reasons"] == ["High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"]
    assert result["decisions"][0]["label"] == "input" and result["path"] == "data.spooky.peace_bonds"
    assert result["backend"] == "embedded" and result["opa_available"] is True


def test_many_inputs_with_labels_in_check_mode(capsys):
    inputs = [{"provider": {"name": "calm", "risk_score": 0.1}}, '{"provider": {"name": "risky", "risk_score": 0.9}}']
    code, result = run(capsys, policy_dir=POLICIES, path="spooky.peace_bonds", inputs=inputs, labels=["a.json", "b.json"],
                       _ansible_check_mode=True)
    assert code == 0 and not result["allow"] and result["denied"] == 1
    assert [d["allow"] for d in result["decisions"]] == [True, False]
    assert result["reasons"] == ["b.json: High risk provider detected: risk_score=0.9 provider=risky (denied at >= 0.85)"]


def test_inline_policy_and_data(capsys):
    policy = "package inline\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.n <= data.limits.n\n"
    code, result = run(capsys, policy=policy, data={"limits": {"n": 3}}, path="inline", inputs=[{"n": 3}, {"n": 4}])
    assert code == 0 and [d["allow"] for d in result["decisions"]] == [True, False]
    assert result["reasons"] == ["input 1: data.inline.allow is false"]


def test_input_that_is_not_json_names_line_and_column(capsys):
    code, result = run(capsys, policy_dir=POLICIES, path="spooky/peace_bonds", input='{"provider": {"name": "x",\n "risk_score": }}')
    assert code == 1 and result["failed"]
    assert result["msg"] == "input:2:16: input is not JSON: Expecting value"
    assert result["error"]["kind"] == "input" and result["error"]["line"] == 2


def test_malformed_rego_names_file_and_line(capsys, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.rego").write_text("package broken\n\nimport rego.v1\n\nallow if {\n  input.x ==\n}\n")
    code, result = run(capsys, policy_dir=str(tmp_path), path="broken", input={})
    assert code == 1
    assert result["error"]["file"] == str(tmp_path / "broken" / "broken.rego") and result["error"]["line"] == 6
    assert result["msg"].startswith(str(tmp_path / "broken" / "broken.rego") + ":6:11: ")


def test_missing_package_names_the_path(capsys):
    code, result = run(capsys, policy_dir=POLICIES, path="spooky/nope", input={})
    assert code == 1 and result["error"]["kind"] == "not_found" and result["error"]["path"] == "data.spooky.nope"
    assert "no policy defines data.spooky.nope" in result["msg"]


def test_unreachable_opa_is_reported_not_a_crash(capsys):
    code, result = run(capsys, backend="rest", url="http://127.0.0.1:%d" % closed_port(), timeout=2, path="spooky/peace_bonds", input={})
    assert code == 0 and result["opa_available"] is False and result["allow"] is False
    assert result["error"]["kind"] == "unavailable" and "unreachable" in result["error"]["message"]


@pytest.mark.parametrize("args,message", [
    (dict(backend="rest", input={}), "backend rest needs url"),
    (dict(backend="rest", url="http://127.0.0.1:1", policy_dir="/x", input={}), "policy_dir, policy and data are for the embedded backend"),
    (dict(input={}), "backend embedded needs policy_dir or policy"),
    (dict(policy_dir=POLICIES, input={}, timeout=0), "timeout must be greater than 0"),
    (dict(policy_dir=POLICIES, inputs=[{}], labels=["a", "b"]), "labels names 2 inputs, there are 1"),
    (dict(policy_dir=POLICIES), "one of the following is required: input, inputs"),
    (dict(policy_dir=POLICIES, input={}, inputs=[{}]), "parameters are mutually exclusive: input|inputs"),
    (dict(policy_dir="/nonexistent/policies", input={}), "does not exist"),
])
def test_bad_arguments_fail_before_any_evaluation(capsys, args, message):
    code, result = run(capsys, path="spooky/peace_bonds", **args)
    assert code == 1 and message in result["msg"]


def test_token_is_not_logged_and_tls_is_verified():
    spec = opa_eval.policy_common_argument_spec()
    assert spec["bearer_token"]["no_log"] and spec["validate_certs"]["default"] is True
    assert spec["backend"]["default"] == "embedded"
