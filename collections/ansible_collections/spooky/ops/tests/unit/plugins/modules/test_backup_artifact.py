# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.backup_artifact and spooky.ops.backup_manifest as modules: arguments, idempotency, check mode, failures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import backup_artifact, backup_manifest

KEY = base64.b64encode(bytes(range(32))).decode()


def run(capsys, module, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "backup.key"
    path.write_text(KEY + "\n")
    return str(path)


def test_encrypt_is_idempotent_and_decrypt_checks_the_manifest(capsys, tmp_path, key_file):
    src = tmp_path / "orca.pgc"
    src.write_bytes(os.urandom(50000))
    dest = str(tmp_path / "set" / "orca.pgc.enc")
    code, first = run(capsys, backup_artifact, src=str(src), dest=dest, key_file=key_file, type="postgres-dump",
                      info={"tables": {"public.agents": {"rows": 1}}})
    assert code == 0 and first["changed"]
    artifact = first["artifact"]
    assert artifact["object"] == "orca.pgc.enc" and artifact["content"]["tables"]["public.agents"]["rows"] == 1
    code, second = run(capsys, backup_artifact, src=str(src), dest=dest, key_file=key_file, type="postgres-dump")
    assert code == 0 and not second["changed"] and second["artifact"]["sha256"] == artifact["sha256"]

    out = str(tmp_path / "restored.pgc")
    checks = dict(expected_sha256=artifact["sha256"], expected_size=artifact["size"], expected_plain_sha256=artifact["plain_sha256"])
    code, result = run(capsys, backup_artifact, state="decrypted", src=dest, dest=out, key=KEY, **checks)
    assert code == 0 and result["changed"] and open(out, "rb").read() == src.read_bytes()
    code, result = run(capsys, backup_artifact, state="decrypted", src=dest, dest=out, key=KEY, **checks)
    assert code == 0 and not result["changed"]


def test_truncated_artifact_fails_naming_it(capsys, tmp_path, key_file):
    src = tmp_path / "dump.rdb"
    src.write_bytes(b"REDIS0011" + os.urandom(9000))
    dest = tmp_path / "dump.rdb.enc"
    _code, made = run(capsys, backup_artifact, src=str(src), dest=str(dest), key_file=key_file)
    dest.write_bytes(dest.read_bytes()[:4000])
    code, result = run(capsys, backup_artifact, state="decrypted", src=str(dest), dest=str(tmp_path / "out.rdb"), key_file=key_file,
                       name="redis/dump.rdb.enc", expected_sha256=made["artifact"]["sha256"], expected_size=made["artifact"]["size"])
    assert code == 1 and result["artifact"] == "redis/dump.rdb.enc" and "truncated" in result["msg"]
    assert not (tmp_path / "out.rdb").exists()


def test_content_is_not_logged_and_directories_are_archived(capsys, tmp_path, key_file):
    code, result = run(capsys, backup_artifact, content="kind: Secret\ndata: {password: c2VjcmV0}\n", dest=str(tmp_path / "ns.yaml.enc"),
                       key_file=key_file, type="kubernetes-objects")
    assert code == 0 and "c2VjcmV0" not in json.dumps(result)
    code, back = run(capsys, backup_artifact, state="decrypted", src=str(tmp_path / "ns.yaml.enc"), return_content=True, key_file=key_file)
    assert code == 0 and "c2VjcmV0" in back["content"]
    (tmp_path / "cfg" / "sub").mkdir(parents=True)
    (tmp_path / "cfg" / "sub" / "a.yml").write_text("a: 1\n")
    code, archived = run(capsys, backup_artifact, src=str(tmp_path / "cfg"), dest=str(tmp_path / "cfg.tar.gz.enc"), key_file=key_file)
    assert code == 0 and archived["tree"]["files"] == 1
    code, extracted = run(capsys, backup_artifact, state="decrypted", src=str(tmp_path / "cfg.tar.gz.enc"), dest=str(tmp_path / "x" / "cfg"),
                          extract=True, expected_tree=archived["tree"], key_file=key_file)
    assert code == 0 and extracted["tree"] == archived["tree"] and (tmp_path / "x" / "cfg" / "sub" / "a.yml").exists()


def test_check_mode_writes_nothing(capsys, tmp_path, key_file):
    src = tmp_path / "f"
    src.write_text("x")
    code, result = run(capsys, backup_artifact, src=str(src), dest=str(tmp_path / "f.enc"), key_file=key_file, _ansible_check_mode=True)
    assert code == 0 and result["changed"] and not (tmp_path / "f.enc").exists()


@pytest.mark.parametrize("args,message", [
    (dict(dest="/tmp/x.enc"), "needs src"),
    (dict(src="/nonexistent/file", dest="/tmp/x.enc"), "does not exist"),
    (dict(state="decrypted", src="/tmp/x.enc"), "needs dest"),
    (dict(src="/tmp", dest="/tmp/x.enc", compress_level=12), "compress_level"),
    (dict(src="/tmp", dest="/tmp/x.enc", mode="rw"), "mode must be octal"),
])
def test_bad_input_is_rejected(capsys, key_file, args, message):
    code, result = run(capsys, backup_artifact, key_file=key_file, **args)
    assert code == 1 and message in result["msg"]


def test_bad_key_is_rejected(capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    code, result = run(capsys, backup_artifact, src=str(tmp_path / "f"), dest=str(tmp_path / "f.enc"), key="too-short")
    assert code == 1 and "32 bytes" in result["msg"] and "too-short" not in result["msg"]


def test_manifest_module_writes_once_and_verifies(capsys, tmp_path, key_file):
    (tmp_path / "f").write_text("x")
    _code, made = run(capsys, backup_artifact, src=str(tmp_path / "f"), dest=str(tmp_path / "f.enc"), key_file=key_file)
    args = dict(path=str(tmp_path / "manifest.json"), set_id="20260124T020000Z", source={"kind": "directory", "name": "config"},
                artifacts=[made["artifact"]], key_file=key_file)
    code, written = run(capsys, backup_manifest, **args)
    assert code == 0 and written["changed"]
    code, again = run(capsys, backup_manifest, **args)
    assert code == 0 and not again["changed"]
    code, read = run(capsys, backup_manifest, mode="verify", path=args["path"], key_file=key_file)
    assert code == 0 and read["manifest"] == written["manifest"]
    document = json.loads((tmp_path / "manifest.json").read_text())
    document["artifacts"][0]["size"] += 1
    (tmp_path / "manifest.json").write_text(json.dumps(document))
    code, tampered = run(capsys, backup_manifest, mode="verify", path=args["path"], key_file=key_file)
    assert code == 1 and "HMAC" in tampered["msg"]
    code, missing = run(capsys, backup_manifest, path=args["path"], key_file=key_file)
    assert code == 1 and "set_id" in missing["msg"]
