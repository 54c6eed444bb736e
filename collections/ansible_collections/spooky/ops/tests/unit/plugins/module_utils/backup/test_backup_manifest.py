# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests: built and signed, verified, and refused when edited, truncated or signed with another key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import manifest
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError, KeyMaterialError

KEY = bytes(range(32))


def entry(name="orca", obj="orca.pgc.enc", **extra):
    value = dict(name=name, object=obj, size=10, sha256="a" * 64, plain_size=8, plain_sha256="b" * 64,
                 encryption="AES-256-GCM", time="2026-01-24T02:00:05Z", type="postgres-dump",
                 content={"tables": {"public.agents": {"rows": 400, "checksum": "12", "method": "hash_record_extended"}}})
    value.update(extra)
    return value


def build(**kwargs):
    args = dict(set_id="20260124T020000Z", source={"kind": "postgres", "name": "postgres-orca"}, artifacts=[entry()], key=KEY,
                started="2026-01-24T02:00:00Z", completed="2026-01-24T02:00:09Z")
    args.update(kwargs)
    return manifest.build(**args)


def test_built_manifest_verifies(tmp_path):
    document = build()
    path = tmp_path / "manifest.json"
    written, changed = manifest.write(str(path), document, KEY)
    assert changed and manifest.load(str(path), KEY) == document == written
    assert document["format"] == manifest.FORMAT and len(document["hmac"]) == 64


def test_rewriting_the_same_set_changes_nothing(tmp_path):
    path = str(tmp_path / "manifest.json")
    first, dummy = manifest.write(path, build(), KEY)
    kept, changed = manifest.write(path, build(completed="2026-01-24T03:00:00Z"), KEY)
    assert not changed and kept == first


@pytest.mark.parametrize("edit", [
    lambda d: d["artifacts"][0]["content"]["tables"]["public.agents"].update(rows=401),
    lambda d: d["artifacts"][0].update(sha256="c" * 64),
    lambda d: d.update(set_id="20260125T020000Z"),
])
def test_an_edited_manifest_fails_its_hmac(edit):
    document = build()
    edit(document)
    with pytest.raises(IntegrityError, match="HMAC"):
        manifest.verify(document, KEY)


def test_truncated_manifest_file(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(manifest.dumps(build())[:100])
    with pytest.raises(IntegrityError, match="not valid JSON"):
        manifest.load(str(path), KEY)


def test_another_key(tmp_path):
    with pytest.raises(KeyMaterialError, match="signed with key"):
        manifest.verify(build(), bytes(32))


@pytest.mark.parametrize("kwargs,message", [
    (dict(artifacts=[]), "at least one artifact"),
    (dict(artifacts=[entry(), entry(name="again")]), "appears twice"),
    (dict(artifacts=[entry(obj="../x")]), "plain file name"),
    (dict(artifacts=[entry(sha256="nope")]), "not a sha256"),
    (dict(artifacts=[dict(name="x")]), "lacks"),
    (dict(set_id="yesterday"), "not a UTC timestamp"),
    (dict(source={"name": "x"}), "kind and name"),
    (dict(artifacts=[entry(key_id="ffffffffffffffff")]), "encrypted with key"),
])
def test_bad_manifests_are_refused(kwargs, message):
    with pytest.raises(BackupError, match=message):
        build(**kwargs)


def test_canonical_form_ignores_key_order():
    document = build()
    shuffled = json.loads(json.dumps(document, sort_keys=False))
    assert manifest.canonical(shuffled) == manifest.canonical(document)
