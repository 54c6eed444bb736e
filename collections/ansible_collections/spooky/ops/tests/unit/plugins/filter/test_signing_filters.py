# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.signing import FilterModule, manifest_digest, signature_subject
from ansible_collections.spooky.ops.plugins.module_utils.signing.digest import compute


def test_manifest_digest_matches_what_is_signed(tmp_path):
    (tmp_path / "a.yaml").write_text("a\n")
    (tmp_path / "a.yaml.sig").write_text("{}")
    assert manifest_digest(str(tmp_path)) == compute(str(tmp_path)).value
    assert manifest_digest(str(tmp_path / "a.yaml")).startswith("sha256:")
    with pytest.raises(AnsibleFilterError, match="no such file"):
        manifest_digest(str(tmp_path / "none"))
    with pytest.raises(AnsibleFilterError, match="expected a path"):
        manifest_digest(42)


def test_signature_subject():
    assert signature_subject("manifests/SIGNATURE.sig") == "manifests"
    assert signature_subject("manifests/demo/deployment.yaml.sig") == "manifests/demo/deployment.yaml"
    with pytest.raises(AnsibleFilterError, match="not a signature path"):
        signature_subject("manifests/deployment.yaml")
    assert set(FilterModule().filters()) == {"manifest_digest", "signature_subject"}
