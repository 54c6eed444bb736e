# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bundle digests, the bundle ConfigMap and OPA status documents."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.policy import bundle as pb

MANIFEST = json.dumps({"revision": "r1", "roots": ["spooky"]})
FILES = {"a/a.rego": "package spooky.a\n", "b/b.rego": "package spooky.b\n", "a/data.json": "{}", ".manifest": MANIFEST,
         "README.md": "not part of the bundle", ".git/config": "hidden"}


def test_digest_is_sha256_of_sorted_file_hashes_and_revision(write_policies):
    root = write_policies(FILES)
    lines = "".join("%s  %s\n" % (hashlib.sha256(FILES[rel].encode()).hexdigest(), rel) for rel in ["a/a.rego", "a/data.json", "b/b.rego"])
    expected = "sha256:" + hashlib.sha256((lines + "revision r1\n").encode()).hexdigest()
    assert pb.dir_digest(root) == expected


def test_digest_is_the_same_anywhere(write_policies):
    assert pb.dir_digest(write_policies(FILES, "one")) == pb.dir_digest(write_policies(dict(reversed(list(FILES.items()))), "two"))


@pytest.mark.parametrize("change", [
    {"a/a.rego": "package spooky.a\n# edited\n"},
    {".manifest": json.dumps({"revision": "r2", "roots": ["spooky"]})},
    {"c/c.rego": "package spooky.c\n"},
])
def test_digest_changes_with_content_revision_and_files(write_policies, change):
    assert pb.dir_digest(write_policies(FILES, "one")) != pb.dir_digest(write_policies(dict(FILES, **change), "two"))


def test_renaming_a_file_changes_the_digest():
    assert pb.digest({"a.rego": b"x"}, "r") != pb.digest({"b.rego": b"x"}, "r")


def test_manifest_roots_do_not_change_the_digest_only_its_revision_does(write_policies):
    other_roots = dict(FILES, **{".manifest": json.dumps({"revision": "r1", "roots": ["other"]})})
    assert pb.dir_digest(write_policies(FILES, "one")) == pb.dir_digest(write_policies(other_roots, "two"))


@pytest.mark.parametrize("manifest,message", [
    ("{not json", "is not JSON"),
    ("[]", "must be a JSON object"),
    ('{"revision": 3}', "revision must be a string"),
    ('{"roots": "spooky"}', "roots must be a list of strings"),
])
def test_bad_manifests_name_the_file(write_policies, manifest, message):
    root = write_policies(dict(FILES, **{".manifest": manifest}))
    with pytest.raises(pb.BundleError, match=message) as exc:
        pb.read_dir(root)
    assert ".manifest" in str(exc.value)


def test_missing_directory():
    with pytest.raises(pb.BundleError, match="does not exist"):
        pb.read_dir("/nonexistent/policies")


def test_configmap_round_trip(write_policies):
    files, manifest = pb.read_dir(write_policies(FILES))
    cm = pb.configmap(files, manifest, "spooky-policy-bundle", "spooky-system")
    assert sorted(cm["data"]) == [".manifest", "a__a.rego", "a__data.json", "b__b.rego"]
    assert cm["metadata"]["annotations"][pb.DIGEST_ANNOTATION] == pb.digest(files, "r1")
    assert cm["metadata"]["annotations"][pb.REVISION_ANNOTATION] == "r1"
    held = pb.from_configmap(cm)
    assert held["digest"] == held["annotated_digest"] == pb.digest(files, "r1")
    assert held["files"] == files and held["revision"] == "r1" and held["manifest"]["roots"] == ["spooky"]
    assert pb.data_digest(cm["data"]) == held["digest"]


def test_an_edit_that_left_the_annotation_is_seen(write_policies):
    files, manifest = pb.read_dir(write_policies(FILES))
    cm = pb.configmap(files, manifest, "n", "ns")
    cm["data"]["a__a.rego"] += "# tampered\n"
    held = pb.from_configmap(cm)
    assert held["digest"] != held["annotated_digest"]
    assert pb.compare(files, held["files"]) == dict(added=[], removed=[], changed=["a/a.rego"])


def test_compare_lists_added_removed_changed():
    expected = {"a.rego": b"1", "b.rego": b"2", "c.rego": b"3"}
    found = {"a.rego": b"1", "b.rego": b"two", "d.rego": b"4"}
    assert pb.compare(expected, found) == dict(added=["d.rego"], removed=["c.rego"], changed=["b.rego"])


def test_keys_that_cannot_be_stored():
    with pytest.raises(pb.BundleError, match="cannot be stored"):
        pb.configmap_key("a__b/c.rego")
    with pytest.raises(pb.BundleError, match="may only hold"):
        pb.configmap_key("dir with space/x.rego")


def test_too_big_for_a_configmap():
    with pytest.raises(pb.BundleError, match="more than a ConfigMap holds"):
        pb.configmap_data({"big.rego": b"x" * (pb.CONFIGMAP_LIMIT + 1)}, {"revision": "r", "roots": [""]})


def test_opa_status_plugin_document():
    doc = {"labels": {"id": "opa-1"}, "bundles": {"spooky": {"name": "spooky", "active_revision": "r1"}}}
    assert pb.from_opa_status(doc) == dict(name="spooky", revision="r1", digest=None)


def test_opa_system_bundles_answer():
    doc = {"result": {"spooky": {"manifest": {"revision": "r1", "roots": ["spooky"], "metadata": {"spooky_digest": "sha256:ab"}}},
                      "other": {"manifest": {"revision": "x"}}}}
    assert pb.from_opa_status(doc, "spooky") == dict(name="spooky", revision="r1", digest="sha256:ab")
    with pytest.raises(pb.BundleError, match="runs 2 bundles"):
        pb.from_opa_status(doc)
    with pytest.raises(pb.BundleError, match="no bundle named nope"):
        pb.from_opa_status(doc, "nope")
    with pytest.raises(pb.BundleError, match="not an OPA status document"):
        pb.from_opa_status({"something": 1})
