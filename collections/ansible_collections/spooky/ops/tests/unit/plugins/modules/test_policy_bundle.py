# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.policy_bundle without a cluster: arguments, OPA status documents. The cluster side (ConfigMap,
check mode, diff, idempotence, drift) is tested against the lab: tests/lab/test_policy.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as pb
from ansible_collections.spooky.ops.plugins.modules import policy_bundle

POLICIES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "policies"))


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            policy_bundle.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def revision():
    with open(os.path.join(POLICIES, ".manifest")) as handle:
        return json.load(handle)["revision"]


def test_status_document_in_step(capsys):
    status = {"bundles": {"spooky": {"name": "spooky", "active_revision": revision()}}}
    code, result = run(capsys, source="status", status=status, src=POLICIES)
    assert code == 0 and result["drift"] is False and not result["changed"]
    assert result["found"]["revision"] == revision() and result["expected"]["digest"] == pb.dir_digest(POLICIES)


def test_status_document_with_another_revision_is_a_drift(capsys):
    code, result = run(capsys, source="status", status={"bundles": {"spooky": {"active_revision": "old"}}}, src=POLICIES)
    assert code == 0 and result["drift"] is True
    assert result["differences"]["revision"] == {"expected": revision(), "found": "old"}


def test_status_with_the_digest_compares_digests(capsys):
    status = {"result": {"spooky": {"manifest": {"revision": revision(), "metadata": {"spooky_digest": "sha256:other"}}}}}
    code, result = run(capsys, source="status", status=status, src=POLICIES)
    assert code == 0 and result["drift"] is True and result["digest"] == "sha256:other"


@pytest.mark.parametrize("args,message", [
    (dict(state="present"), "state is present but all of the following are missing: src"),
    (dict(source="status"), "source is status but all of the following are missing: status"),
    (dict(source="status", status={"bundles": {}}, state="present", src=POLICIES), "it cannot go with state"),
    (dict(source="status", status={"nothing": 1}), "not an OPA status document"),
    (dict(source="status", status={"bundles": {"a": {}}}, src="/nonexistent"), "does not exist"),
])
def test_bad_arguments(capsys, args, message):
    code, result = run(capsys, **args)
    assert code == 1 and message in result["msg"]


def test_publishing_needs_a_manifest(capsys, tmp_path):
    (tmp_path / "p.rego").write_text("package p\n")
    code, result = run(capsys, state="present", src=str(tmp_path), kubeconfig=str(tmp_path / "none"))
    assert code == 1 and "has no .manifest" in result["msg"]
