# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing.digest import (
    DIRECTORY,
    FILE,
    compare_files,
    compute,
    default_signature_path,
    tree_digest_value,
)
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError


def test_file_digest_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"kind: Pod\n")
    digest = compute(str(path))
    assert digest.kind == FILE and digest.files is None
    assert digest.value == "sha256:" + hashlib.sha256(b"kind: Pod\n").hexdigest()


def test_directory_digest_is_the_sorted_listing(tree):
    digest = compute(str(tree))
    assert digest.kind == DIRECTORY
    assert sorted(digest.files) == ["demo/deployment.yaml", "demo/service.yaml", "namespace.yaml"]
    listing = b"spooky.ops/tree/v1\n" + b"".join(
        ("%s  %s\n" % (hashlib.sha256((tree / rel).read_bytes()).hexdigest(), rel)).encode()
        for rel in sorted(digest.files))
    assert digest.value == "sha256:" + hashlib.sha256(listing).hexdigest()
    assert tree_digest_value(digest.files) == digest.value


def test_signature_files_and_excluded_paths_do_not_count(tree):
    before = compute(str(tree)).value
    (tree / "SIGNATURE.sig").write_text("{}")
    (tree / "demo" / "deployment.yaml.sig").write_text("{}")
    assert compute(str(tree)).value == before
    (tree / "custom-signature.json").write_text("{}")
    assert compute(str(tree)).value != before
    assert compute(str(tree), exclude=[str(tree / "custom-signature.json")]).value == before


def test_every_change_changes_the_digest(tree):
    base = compute(str(tree)).value
    (tree / "demo" / "service.yaml").write_text("kind: Service\nspec: {}\n")
    changed = compute(str(tree)).value
    assert changed != base
    (tree / "demo" / "service.yaml").rename(tree / "demo" / "svc.yaml")
    assert compute(str(tree)).value not in (base, changed)


def test_symlinks_are_hashed_by_target_not_followed(tree, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    os.symlink(str(outside), str(tree / "link.yaml"))
    first = compute(str(tree))
    assert first.files["link.yaml"].startswith("link:")
    outside.write_text("secret: 2\n")  # the target changes, the link does not
    assert compute(str(tree)).value == first.value


def test_bad_paths(tmp_path):
    with pytest.raises(SigningError, match="no such file"):
        compute(str(tmp_path / "missing"))
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "line\nbreak").write_text("x")
    with pytest.raises(SigningError, match="line breaks"):
        compute(str(odd))


def test_default_signature_paths(tree):
    assert default_signature_path(str(tree)) == str(tree / "SIGNATURE.sig")
    assert default_signature_path(str(tree / "namespace.yaml")) == str(tree / "namespace.yaml.sig")


def test_compare_files():
    assert compare_files({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"}) == dict(changed=["b"], added=["d"], removed=["c"])
