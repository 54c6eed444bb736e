#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_artifact
short_description: Encrypt a backup artifact, or check and decrypt one
version_added: 0.1.0
description:
  - With O(state=encrypted), encrypts a file, a directory (as a deterministic tar.gz, streamed, so no clear archive is
    written) or a string (O(content), so Kubernetes Secrets never reach the disk in clear) into O(dest) with AES-256-GCM,
    and returns the manifest entry of the artifact (size and sha256 of the encrypted file and of the plaintext, time,
    type, and O(info) such as row counts).
  - With O(state=decrypted), checks the encrypted file against the manifest (size, sha256), authenticates it, and
    writes the plaintext to O(dest), extracts it into the directory O(dest) (O(extract)), or returns it
    (O(return_content)). A corrupt, truncated or replaced artifact fails with a message that names it, and nothing
    is left under O(dest).
  - Idempotent. Encryption uses a fresh nonce each time, so an existing O(dest) is kept when it decrypts, with the
    same key, to the same plaintext. Supports check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.backup
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  state:
    description:
      - V(encrypted) to make O(dest) the encrypted artifact of O(src) or O(content).
      - V(decrypted) to check the encrypted O(src) and make O(dest) its plaintext.
    type: str
    choices: [encrypted, decrypted]
    default: encrypted
  src:
    description:
      - With O(state=encrypted), the file or directory to back up. With O(state=decrypted), the encrypted artifact.
    type: path
  content:
    description:
      - With O(state=encrypted), text to encrypt instead of O(src) (never logged).
    type: str
  dest:
    description:
      - The encrypted file (O(state=encrypted)), or the plaintext file or directory (O(state=decrypted)).
      - Not needed with O(return_content).
    type: path
  name:
    description:
      - The artifact's name in the manifest and in the encrypted header. Defaults to the file name of O(dest).
    type: str
  type:
    description:
      - What the artifact is, recorded in the manifest entry, for example V(postgres-dump) or V(redis-rdb).
    type: str
    default: file
  info:
    description:
      - Facts recorded with the artifact in its manifest entry under C(content), for example table row counts.
    type: dict
    default: {}
  exclude:
    description:
      - With a directory O(src), shell patterns of paths or names left out of the archive.
    type: list
    elements: str
    default: []
  compress_level:
    description:
      - gzip level of a directory archive.
    type: int
    default: 6
  remove_src:
    description:
      - With O(state=encrypted) and a file O(src), remove O(src) once it is encrypted (a dump in clear should not linger).
    type: bool
    default: false
  expected_sha256:
    description:
      - With O(state=decrypted), the sha256 of the encrypted file from the manifest.
    type: str
  expected_size:
    description:
      - With O(state=decrypted), the size of the encrypted file from the manifest.
    type: int
  expected_plain_sha256:
    description:
      - With O(state=decrypted), the sha256 of the plaintext from the manifest (not checked with O(extract), which
        checks the tree instead when O(expected_tree) is given).
    type: str
  expected_tree:
    description:
      - With O(extract), the tree digest from the manifest (C(files), C(bytes), C(digest)).
    type: dict
  extract:
    description:
      - With O(state=decrypted), the artifact is a directory archive, to extract into the directory O(dest).
    type: bool
    default: false
  return_content:
    description:
      - With O(state=decrypted), return the plaintext (UTF-8 text) as RV(content) instead of writing it.
    type: bool
    default: false
  mode:
    description:
      - Permissions of a written file.
    type: raw
    default: "0600"
"""

EXAMPLES = r"""
- name: Encrypt the dump of orca, with its row counts in the manifest entry
  spooky.ops.backup_artifact:
    src: /var/backups/work/orca.pgc
    dest: /var/backups/work/orca.pgc.enc
    type: postgres-dump
    key_file: /etc/spooky/backup.key
    info:
      tables: "{{ orca_stats.tables }}"
  register: orca_artifact

- name: Encrypt the Secrets of a namespace straight from memory
  spooky.ops.backup_artifact:
    content: "{{ secrets.resources | to_nice_yaml }}"
    dest: /var/backups/work/demo-secrets.yaml.enc
    type: kubernetes-objects
    key: "{{ backup_key_secret.resources[0].data.key | b64decode }}"
  no_log: true

- name: Check the downloaded dump against the manifest and decrypt it
  spooky.ops.backup_artifact:
    state: decrypted
    src: /var/tmp/restore/orca.pgc.enc
    dest: /var/tmp/restore/orca.pgc
    expected_sha256: "{{ entry.sha256 }}"
    expected_size: "{{ entry.size }}"
    expected_plain_sha256: "{{ entry.plain_sha256 }}"
    key_file: /etc/spooky/backup.key
"""

RETURN = r"""
artifact:
  description: The manifest entry of the encrypted artifact.
  returned: state=encrypted
  type: dict
  sample:
    name: orca
    object: orca.pgc.enc
    size: 206298813
    sha256: 3f1c0c6e5b0f4c1e9d1f7c6e2a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b
    plain_size: 206298757
    plain_sha256: 9a8b7c6d5e4f3a2b3f1c0c6e5b0f4c1e9d1f7c6e2a0b9c8d7e6f5a4b3c2d1e0f
    encryption: AES-256-GCM
    key_id: 5d0c2f4e1a9b8c7d
    time: "2026-01-24T02:03:10Z"
    type: postgres-dump
    content: {tables: {public.agents: {rows: 400, checksum: "-1859454977765435162198", method: hash_record_extended}}}
plain_sha256:
  description: The sha256 of the plaintext.
  returned: always
  type: str
plain_size:
  description: The size of the plaintext in bytes.
  returned: always
  type: int
tree:
  description: The tree digest of an archived or extracted directory (C(files), C(bytes), C(digest)).
  returned: when the artifact is a directory
  type: dict
content:
  description: The plaintext, with O(return_content).
  returned: when return_content is true
  type: str
"""

import datetime
import hashlib
import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup import archive, catalog, crypto
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError


class _HashSink(object):
    """A write-only file object that only hashes: the plaintext sha256 of a directory archive, without writing it."""

    def __init__(self):
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self):
        pass

    def tell(self):
        return self.size


def _plain_digest(module, params):
    """sha256 and size of what would be encrypted (without encrypting it)."""
    if params["content"] is not None:
        data = params["content"].encode("utf-8")
        return hashlib.sha256(data).hexdigest(), len(data), None
    if os.path.isdir(params["src"]):
        sink = _HashSink()
        tree = archive.write_tar_gz(params["src"], sink, params["exclude"], params["compress_level"])
        return sink.hash.hexdigest(), sink.size, tree
    digest, size = crypto.sha256_file(params["src"])
    return digest, size, None


def _existing_entry(key, params, name, plain):
    """The entry of an existing dest if it holds the same plaintext under the same key, else None."""
    dest = params["dest"]
    if not os.path.isfile(dest):
        return None
    try:
        header, _length = crypto.read_header(dest)
        if header.get("key_id") != crypto.key_id(key) or header.get("name") != name:
            return None
        plain_hash = hashlib.sha256()
        size = 0
        for block in crypto.decrypt_blocks(key, dest, name):
            plain_hash.update(block)
            size += len(block)
    except BackupError:
        return None
    if plain_hash.hexdigest() != plain[0]:
        return None
    digest, cipher_size = crypto.sha256_file(dest)
    moment = datetime.datetime.fromtimestamp(os.path.getmtime(dest), catalog.UTC)
    return dict(sha256=digest, size=cipher_size, plain_sha256=plain[0], plain_size=size, encryption=crypto.CIPHER_NAME,
                key_id=crypto.key_id(key), time=catalog.iso(moment))


def encrypt(module, key, params):
    name = params["name"] or os.path.basename(params["dest"])
    src = params["src"]
    is_dir = src is not None and os.path.isdir(src)
    if src is not None and not os.path.exists(src):
        module.fail_json(msg="src %s does not exist" % src)
    plain = _plain_digest(module, params)
    existing = _existing_entry(key, params, name, plain)
    changed = existing is None
    if existing is not None:
        result = existing
        tree = plain[2]
    elif module.check_mode:
        result = dict(plain_sha256=plain[0], plain_size=plain[1], encryption=crypto.CIPHER_NAME, key_id=crypto.key_id(key),
                      sha256=None, size=None, time=catalog.iso(catalog.utcnow()))
        tree = plain[2]
    else:
        tree = None
        if params["content"] is not None:
            result = crypto.encrypt_bytes(key, params["content"].encode("utf-8"), params["dest"], name)
        elif is_dir:
            with crypto.EncryptingWriter(key, params["dest"], name) as writer:
                tree = archive.write_tar_gz(src, writer, params["exclude"], params["compress_level"])
            result = writer.result
        else:
            result = crypto.encrypt_file(key, src, params["dest"], name)
        result["time"] = catalog.iso(catalog.utcnow())
    if params["remove_src"] and src is not None and not is_dir and os.path.isfile(src) and not module.check_mode:
        os.unlink(src)
        changed = True
    content = dict(params["info"] or {})
    if tree is not None:
        content["tree"] = tree
    artifact = dict(name=name, object=os.path.basename(params["dest"]), type=params["type"], content=content, **result)
    out = dict(changed=changed, artifact=artifact, plain_sha256=artifact["plain_sha256"], plain_size=artifact["plain_size"])
    if tree is not None:
        out["tree"] = tree
    return out


def decrypt(module, key, params):
    src = params["src"]
    name = params["name"] or os.path.basename(src)
    if not os.path.isfile(src):
        module.fail_json(msg="the artifact %s is missing: %s does not exist" % (name, src), artifact=name)
    checks = dict(name=name, expected_sha256=params["expected_sha256"], expected_size=params["expected_size"])
    if params["return_content"]:
        data = crypto.decrypt_bytes(key, src, **checks)
        digest = hashlib.sha256(data).hexdigest()
        _check_plain(module, params, name, digest)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            module.fail_json(msg="%s is not UTF-8 text: return_content is for text artifacts" % name, artifact=name)
        return dict(changed=False, content=text, plain_sha256=digest, plain_size=len(data))
    dest = params["dest"]
    if params["extract"]:
        if os.path.isdir(dest) and params["expected_tree"]:
            tree = archive.tree_digest(dest)
            if _same_tree(tree, params["expected_tree"]):
                return dict(changed=False, tree=tree, plain_sha256=None, plain_size=None)
        if module.check_mode:
            return dict(changed=True, plain_sha256=None, plain_size=None)
        if os.path.isdir(dest) and os.listdir(dest):
            module.fail_json(msg="dest %s is not empty: extract into a new directory" % dest, artifact=name)
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o700)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % name, suffix=".tar.gz", dir=os.path.dirname(os.path.abspath(dest)))
        os.close(fd)
        try:
            plain = crypto.decrypt_file(key, src, tmp, **checks)
            _check_plain(module, params, name, plain["plain_sha256"])
            archive.extract_tar_gz(tmp, dest, name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        tree = archive.tree_digest(dest)
        if params["expected_tree"] and not _same_tree(tree, params["expected_tree"]):
            module.fail_json(msg="%s extracted to a tree that differs from the manifest (%s files, digest %s; expected %s files, digest %s)"
                             % (name, tree["files"], tree["digest"], params["expected_tree"].get("files"),
                                params["expected_tree"].get("digest")), artifact=name, tree=tree)
        return dict(changed=True, tree=tree, **plain)
    if os.path.isfile(dest) and params["expected_plain_sha256"]:
        digest, size = crypto.sha256_file(dest)
        if digest == params["expected_plain_sha256"]:
            # the plaintext is already there; still prove the artifact itself is intact
            for _block in crypto.decrypt_blocks(key, src, **checks):
                pass
            return dict(changed=False, plain_sha256=digest, plain_size=size)
    if module.check_mode:
        return dict(changed=True, plain_sha256=params["expected_plain_sha256"], plain_size=None)
    plain = crypto.decrypt_file(key, src, dest, mode=_mode(module, params), **checks)
    try:
        _check_plain(module, params, name, plain["plain_sha256"])
    except SystemExit:
        os.unlink(dest)
        raise
    return dict(changed=True, **plain)


def _same_tree(actual, expected):
    return all(actual.get(f) == expected.get(f) for f in ("files", "bytes", "digest"))


def _check_plain(module, params, name, digest):
    expected = params["expected_plain_sha256"]
    if expected and digest != expected:
        module.fail_json(msg="%s decrypts to data with sha256 %s, the manifest says %s: the artifact is not the one backed up"
                         % (name, digest, expected), artifact=name)


def _mode(module, params):
    mode = params["mode"]
    try:
        return int(mode, 8) if isinstance(mode, str) else int(mode)
    except (TypeError, ValueError):
        module.fail_json(msg="mode must be octal like '0600', got %r" % (mode,))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="encrypted", choices=["encrypted", "decrypted"]),
            src=dict(type="path"),
            content=dict(type="str", no_log=True),
            dest=dict(type="path"),
            name=dict(type="str"),
            type=dict(type="str", default="file"),
            info=dict(type="dict", default={}),
            exclude=dict(type="list", elements="str", default=[]),
            compress_level=dict(type="int", default=6),
            remove_src=dict(type="bool", default=False),
            expected_sha256=dict(type="str"),
            expected_size=dict(type="int"),
            expected_plain_sha256=dict(type="str"),
            expected_tree=dict(type="dict"),
            extract=dict(type="bool", default=False),
            return_content=dict(type="bool", default=False),
            mode=dict(type="raw", default="0600"),
            key_file=dict(type="path"),
            key=dict(type="str", no_log=True),
        ),
        mutually_exclusive=[("key_file", "key"), ("src", "content"), ("extract", "return_content")],
        required_one_of=[("key_file", "key")],
        supports_check_mode=True,
    )
    if not crypto.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(crypto.CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    state = params["state"]
    if state == "encrypted":
        if params["src"] is None and params["content"] is None:
            module.fail_json(msg="state=encrypted needs src (a file or directory) or content")
        if not params["dest"]:
            module.fail_json(msg="state=encrypted needs dest, the encrypted file to write")
        if params["extract"] or params["return_content"]:
            module.fail_json(msg="extract and return_content apply to state=decrypted only")
        if not 0 <= params["compress_level"] <= 9:
            module.fail_json(msg="compress_level must be 0 to 9, got %d" % params["compress_level"])
    else:
        if params["src"] is None:
            module.fail_json(msg="state=decrypted needs src, the encrypted artifact")
        if params["content"] is not None:
            module.fail_json(msg="content applies to state=encrypted only")
        if not params["dest"] and not params["return_content"]:
            module.fail_json(msg="state=decrypted needs dest, or return_content=true")
    _mode(module, params)

    try:
        key = crypto.read_key_file(params["key_file"]) if params["key_file"] else crypto.load_key(params["key"])
        result = encrypt(module, key, params) if state == "encrypted" else decrypt(module, key, params)
    except IntegrityError as exc:
        module.fail_json(msg=str(exc), artifact=exc.artifact)
    except BackupError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (exc.filename or "I/O error", exc.strerror or exc), exception=traceback.format_exc())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
