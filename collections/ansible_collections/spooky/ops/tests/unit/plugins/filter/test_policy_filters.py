# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.policy_digest and spooky.ops.policy_violations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.policy import FilterModule, policy_digest, policy_violations
from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as pb


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"policy_digest", "policy_violations"}


def test_digest_of_a_directory_and_of_its_configmap_data_agree(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "p.rego").write_text("package spooky.p\n")
    (tmp_path / ".manifest").write_text(json.dumps({"revision": "r9", "roots": ["spooky"]}))
    files, manifest = pb.read_dir(str(tmp_path))
    data = pb.configmap_data(files, manifest)
    assert policy_digest(str(tmp_path)) == policy_digest(data) == pb.digest({"p/p.rego": b"package spooky.p\n"}, "r9")
    assert policy_digest({"p/p.rego": "package spooky.p\n", ".manifest": '{"revision": "r9"}'}) == policy_digest(data)


@pytest.mark.parametrize("value,message", [
    (42, "expected a directory path or a mapping"),
    ("/nonexistent/dir", "does not exist"),
    ({".manifest": "{", "a.rego": "x"}, None),  # a broken manifest in a ConfigMap is reported by policy_bundle, digest still computed
])
def test_digest_errors(value, message):
    if message is None:
        assert policy_digest(value).startswith("sha256:")
        return
    with pytest.raises(AnsibleFilterError, match=message):
        policy_digest(value)


RESULT = {"decisions": [
    {"label": "manifests/a.yaml", "allow": True, "reasons": [], "path": "data.spooky.ship_check"},
    {"label": "manifests/b.yaml", "allow": False, "reasons": ["r1", "r2"], "path": "data.spooky.ship_check"},
]}
OBJECTS = [{"kind": "Service", "metadata": {"name": "a"}}, {"kind": "Deployment", "metadata": {"name": "b", "namespace": "demo"}}]


def test_violations_one_per_reason_with_the_object():
    assert policy_violations(RESULT, OBJECTS) == [
        dict(source="manifests/b.yaml", subject="Deployment demo/b", path="data.spooky.ship_check", reason="r1"),
        dict(source="manifests/b.yaml", subject="Deployment demo/b", path="data.spooky.ship_check", reason="r2"),
    ]
    assert policy_violations(RESULT)[0]["subject"] is None


def test_violations_errors():
    with pytest.raises(AnsibleFilterError, match="opa_eval result"):
        policy_violations({"allow": True})
    with pytest.raises(AnsibleFilterError, match="the list of the 2 inputs"):
        policy_violations(RESULT, OBJECTS[:1])
