#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: restore_postgres
short_description: Restore a PostgreSQL backup set from S3 into a database, streamed, and compare it with its manifest
version_added: 0.2.0
description:
  - Finds the newest complete set of O(source) (or the set O(set_id)) under C(<prefix>/<source>/), checks its
    manifest (format and HMAC), and streams each dump from the store through the decryption into C(pg_restore) -
    the object's size is checked against the manifest before anything is read, every segment is authenticated
    before pg_restore sees it, and the sha256 of the whole object is checked at its end. No plaintext dump
    touches the local disk (but with O(jobs) > 1, which needs a file).
  - Then counts and checksums every table of the restored database and compares them with the manifest's, which
    were taken in the snapshot of the dump (see M(spooky.ops.backup_postgres)).
  - O(mode=verify) is the weekly restore dry run - into a scratch database that is dropped afterwards, and a set
    that passed gets C(verified.json), which M(spooky.ops.backup_retention) never prunes while it is the newest.
    O(mode=recover) is disaster recovery - into the target database, which is kept; a target that exists but does not
    match the manifest is dropped and restored anew (name one that may be replaced, the default is C(<database>_restored)).
  - A database restored from an artifact that fails a check, or by a pg_restore that fails, is dropped - never a
    partial database left looking restored. A mismatch with the manifest fails the task (with the comparison in
    RV(checks)) unless O(fail_on_mismatch=false).
  - Idempotent. Verify marks a set once (a second run reports no change); recover leaves a target that already
    matches the manifest as it is. In check mode the set and its manifest are checked and nothing is restored.
  - Why not M(amazon.aws.s3_object) and M(community.postgresql.postgresql_db) - they need the dump downloaded and
    decrypted into local files first, two extra passes before pg_restore can start.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.backup
  - spooky.ops.backup.store
  - spooky.ops.backup.postgres
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - pg_restore (the PostgreSQL client programs, of the dump's major version or newer)
options:
  source:
    description:
      - The source whose set is restored, for example V(postgres-orca).
    type: str
    required: true
  set_id:
    description:
      - The set to restore, or V(latest) for the newest complete one.
    type: str
    default: latest
  mode:
    description:
      - V(verify) restores into a scratch database (O(verify_prefix) and the database name), compares, drops it and
        marks the set verified; V(recover) restores into O(targets) (default C(<database>_restored)) and keeps it.
    type: str
    default: verify
    choices: [verify, recover]
  targets:
    description:
      - With O(mode=recover), the target database of each backed-up database, for example V(orca) to V(orca) to restore in place.
    type: dict
    default: {}
  verify_prefix:
    description:
      - With O(mode=verify), the scratch database is this prefix and the database's name.
    type: str
    default: spooky_verify_
  mark_verified:
    description:
      - With O(mode=verify), write C(verified.json) into a set that passed.
    type: bool
    default: true
  fail_on_mismatch:
    description:
      - Fail the task when the restored tables differ from the manifest. With V(false) the result says so in
        RV(status) and RV(checks) and the caller decides.
    type: bool
    default: true
  jobs:
    description:
      - C(pg_restore --jobs). Above 1 the dump is first decrypted into a temporary file (mode 0600) in O(work_dir),
        since a parallel restore needs a file to seek in.
    type: int
    default: 1
  work_dir:
    description:
      - Directory for the temporary file of O(jobs) > 1. Defaults to the system's temporary directory.
    type: path
  pg_bin_dir:
    description:
      - Directory of C(pg_restore). Defaults to C(PATH), then the newest C(/usr/lib/postgresql/<version>/bin).
    type: path
  sse:
    description:
      - Server-side encryption to request for C(verified.json). V(none) requests none.
    type: str
    default: AES256
    choices: [AES256, "aws:kms", none]
"""

EXAMPLES = r"""
- name: Restore verify | the newest set of postgres-orca, into a scratch database
  spooky.ops.restore_postgres:
    source: postgres-orca
    bucket: spooky-backups
    prefix: prod
    key_file: /etc/spooky/backup.key
    login_host: db-scratch.internal
    login_password: "{{ vault_postgres_password }}"
  register: orca_verify

- name: DR | recover a chosen set into orca on the rebuilt server, four pg_restore jobs
  spooky.ops.restore_postgres:
    source: postgres-orca
    set_id: "20260124T020000Z"
    mode: recover
    targets: {orca: orca}
    jobs: 4
    bucket: spooky-backups
    prefix: prod
    key_file: /etc/spooky/backup.key
    login_host: db.internal
"""

RETURN = r"""
source:
  description: The source restored.
  returned: always
  type: str
set_id:
  description: The set restored.
  returned: when a complete set was found
  type: str
  sample: "20260124T020000Z"
set_time:
  description: When the set was taken (its id as ISO 8601).
  returned: when a complete set was found
  type: str
set_epoch:
  description: The same in seconds since 1970.
  returned: when a complete set was found
  type: int
status:
  description: V(pass) when every table matched the manifest, V(fail) when one did not, V(unchecked) in check mode
    (nothing was restored).
  returned: when the restore ran
  type: str
artifact:
  description: The first artifact that did not restore as recorded.
  returned: on failure or mismatch
  type: str
error:
  description: What did not match, one line per mismatch.
  returned: on mismatch
  type: str
checks:
  description: Per artifact, the comparison of the restored tables with the manifest (C(ok), C(checked),
    C(mismatches)) and the C(target) database.
  returned: when the restore ran
  type: list
  elements: dict
  sample: [{"artifact": "orca.pgc.enc", "what": "tables", "target": "spooky_verify_orca", "ok": true, "checked": 4,
            "mismatches": []}]
restored:
  description: When the restore finished.
  returned: when the restore ran
  type: str
verified_marked:
  description: Whether C(verified.json) was written by this run.
  returned: with mode=verify
  type: bool
"""

import json
import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, compare, crypto, manifest, options, pgstream
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError, StoreError

DUMP_TYPE = "postgres-dump"


class Failed(Exception):
    def __init__(self, message, **details):
        super(Failed, self).__init__(message)
        self.details = details


def choose_set(store, params):
    sets = catalog.sets_from_keys(store.list_keys(catalog.source_prefix(params["prefix"], params["source"])),
                                  params["prefix"], params["source"])
    wanted = params["set_id"]
    for entry in sets:
        if entry["complete"] and (wanted == "latest" or entry["set_id"] == wanted):
            return entry
    which = "" if wanted == "latest" else wanted + " "
    raise Failed("No complete backup set %sof %s in s3://%s/%s: run playbooks/backup.yml (sets without a manifest "
                 "are interrupted backups and never restored)" % (which, params["source"], params["bucket"], params["prefix"]))


def target_of(params, database):
    if params["mode"] == "verify":
        return params["verify_prefix"] + database
    return params["targets"].get(database) or database + "_restored"


def restore_artifact(params, store, key, login, entry, artifact, target, pg_restore):
    label = artifact["object"]
    size, chunks = store.stream(entry["prefix"] + label)
    blocks = crypto.decrypt_chunks(key, chunks, label, expected_sha256=artifact["sha256"], expected_size=artifact["size"],
                                   total_size=size)
    extra = ["--no-owner"]
    if params["jobs"] <= 1:
        pgstream.restore(login, target, blocks, pg_restore, extra)
        return
    fd, path = tempfile.mkstemp(prefix=".spooky-restore-", suffix=".pgc", dir=params["work_dir"])
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            for block in blocks:
                out.write(block)
        pgstream.restore(login, target, [], pg_restore, extra + ["--jobs=%d" % params["jobs"], path])
    finally:
        os.unlink(path)


def run(module, params, key, context):
    store = options.store(params)
    login = options.login(params, "spooky.ops restore")
    entry = choose_set(store, params)
    context.update(set_id=entry["set_id"], set_time=entry["time"])
    result = dict(changed=False, source=params["source"], set_id=entry["set_id"], set_time=entry["time"], set_epoch=entry["epoch"],
                  prefix=entry["prefix"])
    name = entry["prefix"] + catalog.MANIFEST
    document = manifest.loads(store.get_bytes(name), key, name, label=catalog.MANIFEST)
    dumps = [a for a in document["artifacts"] if a.get("type") == DUMP_TYPE]
    if not dumps:
        raise Failed("set %s of %s holds no PostgreSQL dump (types: %s)" % (entry["set_id"], params["source"],
                     ", ".join(sorted(set(a.get("type", "?") for a in document["artifacts"])))))
    verify = params["mode"] == "verify"
    if verify:
        result["verified_marked"] = False
    pg_restore = pgstream.find_program("pg_restore", params["pg_bin_dir"])
    checks = []
    for artifact in dumps:
        database = (artifact.get("content") or {}).get("database") or artifact["name"]
        target = target_of(params, database)
        expected = (artifact.get("content") or {}).get("tables") or {}
        if not verify and pgstream.database_exists(login, target):
            # recover is idempotent: a target that already holds exactly the backed-up rows is left alone
            same = compare.tables(expected, pgstream.table_stats(login, target))
            if same["ok"]:
                checks.append(dict(artifact=artifact["object"], what="tables", target=target, restored=False, **same))
                continue
        # a scratch database made and dropped is no change; a recovered one is
        result["changed"] = result["changed"] or not verify
        if module.check_mode:
            checks.append(dict(artifact=artifact["object"], what="tables", target=target, restored=False, ok=None, checked=0, mismatches=[]))
            continue
        pgstream.recreate_database(login, target)
        try:
            restore_artifact(params, store, key, login, entry, artifact, target, pg_restore)
            comparison = compare.tables(expected, pgstream.table_stats(login, target))
        except BaseException:
            pgstream.recreate_database(login, target, drop_only=True)  # never a partial database left behind
            raise
        if verify or not comparison["ok"]:
            pgstream.recreate_database(login, target, drop_only=True)
        checks.append(dict(artifact=artifact["object"], what="tables", target=target, restored=True, **comparison))
    failed = [c for c in checks if c["ok"] is False]
    status = "fail" if failed else "unchecked" if any(c["ok"] is None for c in checks) else "pass"
    result.update(checks=checks, status=status, restored=catalog.iso(catalog.utcnow()))
    if failed:
        result.update(artifact=failed[0]["artifact"], error="; ".join(m for c in failed for m in c["mismatches"]))
    if verify and not module.check_mode and not failed and params["mark_verified"] and not entry["verified"]:
        record = dict((k, result.get(k)) for k in ("source", "set_id", "set_time", "set_epoch", "status", "checks", "restored"))
        store.put_bytes(entry["prefix"] + catalog.VERIFIED, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"),
                        sse=params["sse"] if params["sse"] != "none" else None, content_type="application/json")
        result.update(changed=True, verified_marked=True)
    elif verify and module.check_mode and not entry["verified"]:
        result["changed"] = True
    return result


def main():
    module = AnsibleModule(
        argument_spec=options.spec(
            options.STORE, options.KEY, options.POSTGRES,
            source=dict(type="str", required=True),
            set_id=dict(type="str", default="latest"),
            mode=dict(type="str", default="verify", choices=["verify", "recover"]),
            targets=dict(type="dict", default={}),
            verify_prefix=dict(type="str", default="spooky_verify_"),
            mark_verified=dict(type="bool", default=True),
            fail_on_mismatch=dict(type="bool", default=True),
            jobs=dict(type="int", default=1),
            work_dir=dict(type="path"),
            pg_bin_dir=dict(type="path"),
            sse=dict(type="str", default="AES256", choices=["AES256", "aws:kms", "none"]),
        ),
        mutually_exclusive=[("key_file", "key")],
        required_one_of=[("key_file", "key")],
        supports_check_mode=True,
    )
    params = module.params
    options.require_libraries(module)
    if not 1 <= params["jobs"] <= 64:
        module.fail_json(msg="jobs must be 1 to 64, got %d" % params["jobs"])
    if params["mode"] == "verify" and params["targets"]:
        module.fail_json(msg="targets apply to mode=recover; verify restores into scratch databases named verify_prefix + database")
    if params["connect_timeout"] <= 0:
        module.fail_json(msg="connect_timeout must be positive")
    try:
        catalog.check_source(params["source"])
        if params["set_id"] != "latest":
            catalog.parse_set_id(params["set_id"])
        key = options.key(params)
    except BackupError as exc:
        module.fail_json(msg=str(exc))
    context = dict(source=params["source"])  # what is known when something fails
    try:
        result = run(module, params, key, context)
    except Failed as exc:
        module.fail_json(msg=str(exc), **dict(context, **exc.details))
    except IntegrityError as exc:
        module.fail_json(msg=str(exc), artifact=exc.artifact, **context)
    except StoreError as exc:
        module.fail_json(msg=str(exc), store_available=False, **context)
    except BackupError as exc:
        module.fail_json(msg="restore of %s failed: %s" % (params["source"], exc), **context)
    except (IOError, OSError) as exc:
        module.fail_json(msg="restore of %s failed: %s" % (params["source"], exc), exception=traceback.format_exc(), **context)
    if result.get("status") == "fail" and params["fail_on_mismatch"]:
        result.update(failed=True, msg="%s set %s did not restore as recorded: %s" % (params["source"], result["set_id"], result["error"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
