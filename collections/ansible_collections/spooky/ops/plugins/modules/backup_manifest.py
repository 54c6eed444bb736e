#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_manifest
short_description: Write the manifest of a backup set, or verify one
version_added: 0.1.0
description:
  - With O(mode=write), writes the manifest of a backup set atomically (temporary file, fsync, rename) with the set id,
    the source, start and completion times, the key id, and every artifact with its size, sha256 and content facts
    (row counts and checksums per table for databases), signed with an HMAC derived from the backup key.
  - Write the manifest B(last), after every artifact it lists is stored. A set without a manifest is an interrupted
    backup, and nothing restores from it or counts it for retention.
  - With O(mode=verify), reads a manifest and checks its format, its artifact entries and its HMAC; a manifest
    that was edited, truncated or signed with another key fails with a message that says so.
  - Idempotent, an existing manifest of the same set with the same artifacts is kept as it is. Supports check mode.
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
  mode:
    description:
      - V(write) the manifest, or V(verify) an existing one.
    type: str
    choices: [write, verify]
    default: write
  path:
    description:
      - The manifest file.
    type: path
    required: true
  set_id:
    description:
      - The set id, the UTC start time of the backup such as V(20260124T020000Z). Required with O(mode=write).
    type: str
  source:
    description:
      - What was backed up, at least C(kind) and C(name) (the store directory of the source, for example
        V(postgres-orca)). Required with O(mode=write).
    type: dict
  artifacts:
    description:
      - The artifacts of the set, as returned by M(spooky.ops.backup_artifact) (RV(spooky.ops.backup_artifact#module:artifact)).
    type: list
    elements: dict
    default: []
  started:
    description:
      - When the backup started (ISO 8601). Defaults to the time of the set id.
    type: str
  completed:
    description:
      - When the backup completed (ISO 8601). Defaults to now.
    type: str
  extra:
    description:
      - More facts to record at the top level of the manifest, for example the retention profile.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the manifest last
  spooky.ops.backup_manifest:
    path: "{{ set_dir }}/manifest.json"
    set_id: "{{ set_id }}"
    source: {kind: postgres, name: postgres-orca, database: orca}
    artifacts: ["{{ orca_artifact.artifact }}"]
    key_file: /etc/spooky/backup.key

- name: Verify a downloaded manifest
  spooky.ops.backup_manifest:
    mode: verify
    path: /var/tmp/restore/manifest.json
    key_file: /etc/spooky/backup.key
  register: manifest
"""

RETURN = r"""
manifest:
  description: The manifest, as written or as read and verified.
  returned: always
  type: dict
  sample:
    format: spooky.ops/backup-manifest/v1
    set_id: 20260124T020000Z
    source: {kind: postgres, name: postgres-orca, database: orca}
    started: "2026-01-24T02:00:00Z"
    completed: "2026-01-24T02:03:10Z"
    key_id: 5d0c2f4e1a9b8c7d
    artifacts: []
    hmac: 0c6e5b0f4c1e9d1f7c6e2a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b3f1c
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, crypto, manifest
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type="str", default="write", choices=["write", "verify"]),
            path=dict(type="path", required=True),
            set_id=dict(type="str"),
            source=dict(type="dict"),
            artifacts=dict(type="list", elements="dict", default=[]),
            started=dict(type="str"),
            completed=dict(type="str"),
            extra=dict(type="dict", default={}),
            key_file=dict(type="path"),
            key=dict(type="str", no_log=True),
        ),
        mutually_exclusive=[("key_file", "key")],
        required_one_of=[("key_file", "key")],
        required_if=[("mode", "write", ("set_id", "source"))],
        supports_check_mode=True,
    )
    if not crypto.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(crypto.CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    try:
        key = crypto.read_key_file(params["key_file"]) if params["key_file"] else crypto.load_key(params["key"])
        if params["mode"] == "verify":
            module.exit_json(changed=False, manifest=manifest.load(params["path"], key))
        started = params["started"] or catalog.iso(catalog.parse_set_id(params["set_id"]))
        completed = params["completed"] or catalog.iso(catalog.utcnow())
        document = manifest.build(params["set_id"], params["source"], params["artifacts"], key,
                                  catalog.iso(catalog.parse_time(started)), catalog.iso(catalog.parse_time(completed)),
                                  params["extra"])
        if module.check_mode:
            existing = manifest.current(params["path"], key)
            changed = existing is None or not manifest.same_content(existing, document)
            document = document if changed else existing
        else:
            document, changed = manifest.write(params["path"], document, key)
    except IntegrityError as exc:
        module.fail_json(msg=str(exc), artifact=exc.artifact)
    except BackupError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (exc.filename or "I/O error", exc.strerror or exc), exception=traceback.format_exc())
    module.exit_json(changed=changed, manifest=document)


if __name__ == "__main__":
    main()
