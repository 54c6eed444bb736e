# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Artifact encryption and directory archives: round trips, and every way an artifact can be damaged."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import os

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import archive, crypto
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import IntegrityError, KeyMaterialError

KEY = bytes(range(32))


@pytest.fixture
def artifact(tmp_path):
    src = tmp_path / "dump.pgc"
    src.write_bytes(os.urandom(3 * crypto.CHUNK + 123))
    result = crypto.encrypt_file(KEY, str(src), str(tmp_path / "dump.pgc.enc"), "dump")
    return src, tmp_path / "dump.pgc.enc", result


def test_round_trip_keeps_every_byte(artifact, tmp_path):
    src, enc, result = artifact
    assert result["plain_sha256"] == crypto.sha256_file(str(src))[0]
    assert (result["sha256"], result["size"]) == crypto.sha256_file(str(enc))
    out = crypto.decrypt_file(KEY, str(enc), str(tmp_path / "back"), expected_sha256=result["sha256"], expected_size=result["size"])
    assert (tmp_path / "back").read_bytes() == src.read_bytes()
    assert out["plain_sha256"] == result["plain_sha256"]


def test_nonce_is_fresh_each_time(artifact, tmp_path):
    src, enc, result = artifact
    again = crypto.encrypt_file(KEY, str(src), str(tmp_path / "again.enc"), "dump")
    assert again["plain_sha256"] == result["plain_sha256"] and again["sha256"] != result["sha256"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "append", "header"])
def test_damaged_artifacts_fail_and_leave_nothing(artifact, tmp_path, damage):
    _src, enc, result = artifact
    data = bytearray(enc.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "append":
        data += b"x"
    else:
        data[12] ^= 0x01  # inside the JSON header (authenticated)
    enc.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as exc:
        crypto.decrypt_file(KEY, str(enc), str(tmp_path / "out"), name="dump.pgc.enc")
    assert exc.value.artifact == "dump.pgc.enc" and "dump.pgc.enc" in str(exc.value)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_manifest_size_and_sha256_are_checked_first(artifact, tmp_path):
    _src, enc, result = artifact
    with pytest.raises(IntegrityError, match="truncated or corrupt"):
        crypto.decrypt_file(KEY, str(enc), str(tmp_path / "o"), expected_size=result["size"] + 1)
    with pytest.raises(IntegrityError, match="sha256"):
        crypto.decrypt_file(KEY, str(enc), str(tmp_path / "o"), expected_sha256="0" * 64)
    assert not (tmp_path / "o").exists()


def test_wrong_key_is_named_as_such(artifact, tmp_path):
    _src, enc, _result = artifact
    with pytest.raises(KeyMaterialError, match="was encrypted with key"):
        crypto.decrypt_file(bytes(32), str(enc), str(tmp_path / "o"))


def test_not_an_artifact(tmp_path):
    bogus = tmp_path / "bogus.enc"
    bogus.write_bytes(b"PGDMP" + b"\0" * 100)
    with pytest.raises(IntegrityError, match="bad magic"):
        crypto.read_header(str(bogus))


@pytest.mark.parametrize("form", ["base64", "hex", "raw", "base64-newline"])
def test_key_forms(form):
    text = {"base64": base64.b64encode(KEY), "hex": binascii.hexlify(KEY), "raw": KEY,
            "base64-newline": base64.b64encode(KEY) + b"\n"}[form]
    assert crypto.load_key(text) == KEY


@pytest.mark.parametrize("bad", [b"", b"short", base64.b64encode(bytes(16)), None])
def test_bad_keys_are_refused(bad):
    with pytest.raises(KeyMaterialError):
        crypto.load_key(bad)


def test_key_id_names_the_key_without_revealing_it():
    assert crypto.key_id(KEY) == crypto.key_id(bytes(KEY)) and crypto.key_id(KEY) != crypto.key_id(bytes(32))
    assert len(crypto.key_id(KEY)) == 16 and binascii.hexlify(KEY).decode()[:16] != crypto.key_id(KEY)


def _tree(root):
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_text("hello")
    (root / "top.yml").write_text("x: 1\n")
    (root / "skip.retry").write_text("no")
    os.symlink("top.yml", str(root / "link.yml"))
    return root


def test_directory_archive_is_deterministic_and_extracts_to_the_same_tree(tmp_path):
    root = _tree(tmp_path / "src")
    outs = []
    for name in ("one.enc", "two.enc"):
        with crypto.EncryptingWriter(KEY, str(tmp_path / name), "src") as writer:
            tree = archive.write_tar_gz(str(root), writer, exclude=["*.retry"])
        outs.append(writer.result)
    assert outs[0]["plain_sha256"] == outs[1]["plain_sha256"]
    assert tree["files"] == 2 and tree == archive.tree_digest(str(root), exclude=["*.retry"])
    crypto.decrypt_file(KEY, str(tmp_path / "one.enc"), str(tmp_path / "one.tar.gz"))
    archive.extract_tar_gz(str(tmp_path / "one.tar.gz"), str(tmp_path / "out"))
    assert archive.tree_digest(str(tmp_path / "out")) == tree
    assert not (tmp_path / "out" / "skip.retry").exists() and os.readlink(str(tmp_path / "out" / "link.yml")) == "top.yml"


def test_a_changed_file_changes_the_tree_digest(tmp_path):
    root = _tree(tmp_path / "src")
    before = archive.tree_digest(str(root))
    (root / "a" / "b" / "f.txt").write_text("hellO")
    assert archive.tree_digest(str(root))["digest"] != before["digest"]


def test_extraction_refuses_members_outside_the_tree(tmp_path):
    import io
    import tarfile
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(str(path), "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(IntegrityError, match="unsafe member"):
        archive.extract_tar_gz(str(path), str(tmp_path / "out"))
    assert not (tmp_path / "escape.txt").exists()
