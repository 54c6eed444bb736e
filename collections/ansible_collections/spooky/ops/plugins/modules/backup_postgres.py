#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_postgres
short_description: Back up a PostgreSQL database into an encrypted backup set in S3, streamed
version_added: 0.2.0
description:
  - Takes a complete backup set of one database under C(<prefix>/<source>/<set id>/) in one pass, as pgBackRest and
    WAL-G do it - C(pg_dump -Fc) streams through AES-256-GCM (client side, in authenticated segments) into a
    multipart upload, with server-side encryption requested; no plaintext dump touches the local disk.
  - While the dump runs, every table is counted and checksummed on another connection in the very snapshot the
    dump reads (C(pg_export_snapshot) and C(pg_dump --snapshot)), so the manifest's figures describe exactly the
    rows in the dump, however busy the database is.
  - The manifest (artifact size and sha256 of ciphertext and plaintext, tables, HMAC) is written last, after the
    artifact's upload has completed. A failed or killed backup leaves no manifest, so no set that looks valid; a
    failed upload is aborted, and one cut short by a killed process is an incomplete multipart upload that
    M(spooky.ops.backup_retention) aborts.
  - Why not M(community.postgresql.postgresql_db) and M(amazon.aws.s3_object) - that pair writes the dump to a local
    file in clear, then reads it twice more (encryption, upload), and the dump cannot join the stats' snapshot.
    On a 1 GB database the streamed set costs about the time of a bare C(pg_dump -Fc) (C(bench/backup_bench.py)).
  - Idempotent for a given O(set_id) - when that set is already complete in the store, nothing is dumped and the
    stored manifest is returned. Without O(set_id) every run takes a new set (named after the current UTC time).
  - In check mode nothing is dumped nor uploaded; the module reports the set it would take.
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
  - pg_dump (the PostgreSQL client programs, of the server's major version or newer)
options:
  db:
    description:
      - The database to back up.
    type: str
    required: true
    aliases: [login_db]
  source:
    description:
      - The source name of the sets (the directory under O(prefix)). Defaults to C(postgres-<db>).
    type: str
  set_id:
    description:
      - The id of the set, a UTC time like V(20260124T020000Z). Defaults to the time the module starts.
    type: str
  sse:
    description:
      - Server-side encryption to request, on top of the client-side encryption. V(none) requests none.
    type: str
    default: AES256
    choices: [AES256, "aws:kms", none]
  part_size:
    description:
      - Size of the multipart upload's parts, in MiB (at least 5). Memory used is about three parts.
    type: int
    default: 16
  dump_args:
    description:
      - Extra arguments for C(pg_dump), for example V(--exclude-table-data=audit_log) or V(--compress=9).
      - The format (custom), the output, the database, the connection and the snapshot are set by the module and refused
        here, in any spelling pg_dump accepts (abbreviated, grouped). Give each option with its value in one element.
    type: list
    elements: str
    default: []
  pg_bin_dir:
    description:
      - Directory of C(pg_dump). Defaults to C(PATH), then the newest C(/usr/lib/postgresql/<version>/bin).
    type: path
  checksum:
    description:
      - Checksum every table (as M(spooky.ops.postgres_table_stats) does); V(false) only counts rows.
    type: bool
    default: true
  schemas:
    description:
      - Only count and checksum the tables of these schemas (the dump itself is set by O(dump_args)).
    type: list
    elements: str
    default: []
  snapshot_timeout:
    description:
      - The longest, in seconds, the stats transaction holds its snapshot open for the dump.
    type: float
    default: 7200
  manifest_extra:
    description:
      - More fields for the manifest, such as the retention policy the set was taken under.
    type: dict
    default: {}
  retention:
    description:
      - Prune the source's sets by this grandfather-father-son policy once the new set is complete, in the same run
        (as pgBackRest expires after each backup); see M(spooky.ops.backup_retention) for the rules, which are the same.
        Unset, nothing is pruned.
      - When the set was already complete (a repeated O(set_id)), retention still runs; a second run prunes nothing.
    type: dict
    suboptions:
      policy:
        description: Sets per tier (C(last), C(hourly), C(daily), C(weekly), C(monthly), C(yearly)).
        type: dict
      profile:
        description: A named policy instead of O(retention.policy).
        type: str
        choices: [phoenix-redis, orca-postgres]
      rpo:
        description: Keep every complete set younger than this.
        type: str
        default: "0s"
      incomplete_grace:
        description: An incomplete set younger than this may still be uploading and is kept.
        type: str
        default: "24h"
"""

EXAMPLES = r"""
- name: Backup | the orca database, streamed into an encrypted set
  spooky.ops.backup_postgres:
    db: orca
    login_host: db.internal
    login_password: "{{ vault_postgres_password }}"
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/internal-ca.pem
    bucket: spooky-backups
    prefix: prod
    key_file: /etc/spooky/backup.key
    manifest_extra:
      retention: {profile: orca-postgres, rpo: 24h}
  register: orca_backup

- name: Backup | the same into an S3-compatible store, with a set id chosen by the caller (a retry changes nothing)
  spooky.ops.backup_postgres:
    db: orca
    bucket: spooky-backups
    endpoint_url: https://minio.internal:9000
    set_id: "{{ now(utc=true).strftime('%Y%m%dT%H%M%SZ') }}"
    key: "{{ backup_key }}"
"""

RETURN = r"""
set_id:
  description: The id of the set.
  returned: always
  type: str
  sample: "20260124T020000Z"
prefix:
  description: The key prefix of the set in the bucket.
  returned: always
  type: str
  sample: prod/postgres-orca/20260124T020000Z/
artifact:
  description: The manifest entry of the dump (see M(spooky.ops.backup_artifact)), with the tables' row counts and
    checksums and the snapshot id in C(content).
  returned: success, not in check mode
  type: dict
  sample:
    name: orca
    object: orca.pgc.enc
    type: postgres-dump
    size: 206298813
    sha256: 3f1c0c6e5b0f4c1e9d1f7c6e2a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b
    plain_size: 206298757
    plain_sha256: 9a8b7c6d5e4f3a2b3f1c0c6e5b0f4c1e9d1f7c6e2a0b9c8d7e6f5a4b3c2d1e0f
    encryption: AES-256-GCM
    key_id: 5d0c2f4e1a9b8c7d
    time: "2026-01-24T02:03:10Z"
    content: {database: orca, format: custom, snapshot: 00000003-0000001B-1,
              tables: {public.agents: {rows: 400, checksum: "-1859454977765435162198", method: hash_record_extended}}}
manifest:
  description: The manifest of the set, as stored.
  returned: success, not in check mode
  type: dict
dump_seconds:
  description: How long the dump, the stats and the upload took together.
  returned: when a dump was taken
  type: float
retention:
  description: What retention pruned and kept, as M(spooky.ops.backup_retention) returns it (C(pruned), C(kept),
    C(aborted_uploads), C(policy), C(verified_kept), C(blocked)).
  returned: with O(retention), not in check mode
  type: dict
"""

import re
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.backup import catalog, crypto, manifest, options, pgstream
from ansible_collections.spooky.ops.plugins.module_utils.backup import prune, retention, s3
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, StoreError
from ansible_collections.spooky.ops.plugins.module_utils.durations import parse_duration


def default_source(db):
    return "postgres-" + safe_name(db).lower()


def safe_name(db):
    """The database name as an object name (letters, digits, . _ - only)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", db)


def existing_set(store, set_prefix, key):
    """The verified manifest of a complete set at `set_prefix`, or None."""
    name = set_prefix + catalog.MANIFEST
    if name not in store.list_keys(set_prefix):
        return None
    return manifest.loads(store.get_bytes(name), key, name, label=name)


def run(module, params, key):
    db = params["db"]
    source = params["source"] or default_source(db)
    started = catalog.utcnow()
    set_id = params["set_id"] or catalog.set_id_for(started)
    set_prefix = catalog.set_prefix(params["prefix"], source, set_id)
    result = dict(changed=False, set_id=set_id, prefix=set_prefix)
    store = options.store(params)
    stored = existing_set(store, set_prefix, key)
    if stored is not None:
        result.update(manifest=stored, artifact=stored["artifacts"][0])
        return expire(params, store, source, result)
    result["changed"] = True
    if module.check_mode:
        return result

    login = options.login(params, "spooky.ops backup")
    pg_dump = pgstream.find_program("pg_dump", params["pg_bin_dir"])
    sse = None if params["sse"] == "none" else params["sse"]
    obj = safe_name(db) + ".pgc.enc"
    upload = s3.MultipartUpload(store, set_prefix + obj, part_size=params["part_size"] * 1024 * 1024, sse=sse)
    writer = crypto.EncryptingWriter(key, upload, db)
    try:
        dumped = pgstream.dump(login, db, writer, pg_dump, params["dump_args"], checksum=params["checksum"],
                               schemas=params["schemas"] or None, hold_timeout=params["snapshot_timeout"])
        writer.close()
    except BaseException:
        writer.abort()
        raise
    artifact = dict(name=db, object=obj, type="postgres-dump", time=catalog.iso(catalog.utcnow()),
                    content=dict(database=db, format="custom", snapshot=dumped["snapshot"], tables=dumped["tables"]),
                    **writer.result)
    source_doc = dict(kind="postgres", name=source, database=db, server="%s:%s" % (params["login_host"], params["login_port"]))
    document = manifest.build(set_id, source_doc, [artifact], key, catalog.iso(started), catalog.iso(catalog.utcnow()),
                              params["manifest_extra"] or None)
    # last: from now on the set is complete
    store.put_bytes(set_prefix + catalog.MANIFEST, manifest.dumps(document).encode("utf-8"), sse=sse, content_type="application/json")
    result.update(artifact=artifact, manifest=document, dump_seconds=dumped["seconds"])
    return expire(params, store, source, result)


def expire(params, store, source, result):
    """Retention, once the set is complete (never before: prune.apply checks the set's manifest is there)."""
    policy = params["retention"]
    if not policy:
        return result
    try:
        outcome = prune.apply(store, params["prefix"], source, policy["policy"] if policy["policy"] is not None else policy["profile"],
                              rpo=parse_duration(policy["rpo"]), incomplete_grace=parse_duration(policy["incomplete_grace"]),
                              after_set=result["set_id"])
    except (BackupError, ValueError) as exc:
        raise BackupError("set %s is complete, but retention failed: %s" % (result["set_id"], exc))
    outcome.pop("sets")
    result["changed"] = result["changed"] or outcome.pop("changed")
    result["retention"] = outcome
    return result


def main():
    module = AnsibleModule(
        argument_spec=options.spec(
            options.STORE, options.KEY, options.POSTGRES,
            db=dict(type="str", required=True, aliases=["login_db"]),
            source=dict(type="str"),
            set_id=dict(type="str"),
            sse=dict(type="str", default="AES256", choices=["AES256", "aws:kms", "none"]),
            part_size=dict(type="int", default=16),
            dump_args=dict(type="list", elements="str", default=[]),
            pg_bin_dir=dict(type="path"),
            checksum=dict(type="bool", default=True),
            schemas=dict(type="list", elements="str", default=[]),
            snapshot_timeout=dict(type="float", default=7200.0),
            manifest_extra=dict(type="dict", default={}),
            retention=dict(type="dict", options=dict(
                policy=dict(type="dict"),
                profile=dict(type="str", choices=sorted(retention.PROFILES)),
                rpo=dict(type="str", default="0s"),
                incomplete_grace=dict(type="str", default="24h"),
            ), mutually_exclusive=[("policy", "profile")], required_one_of=[("policy", "profile")]),
        ),
        mutually_exclusive=[("key_file", "key")],
        required_one_of=[("key_file", "key")],
        supports_check_mode=True,
    )
    params = module.params
    options.require_libraries(module)
    refused = pgstream.refused_dump_arg(params["dump_args"])
    if refused is not None:
        module.fail_json(msg="dump_args may not set %s: the format, output, database, connection and snapshot are the module's, "
                             "and each option goes with its value in one element (--exclude-table=audit, -Z9)" % refused)
    if params["part_size"] < 5 or params["part_size"] > 5120:
        module.fail_json(msg="part_size must be 5 to 5120 MiB (S3's part limits), got %d" % params["part_size"])
    if params["snapshot_timeout"] <= 0 or params["connect_timeout"] <= 0:
        module.fail_json(msg="snapshot_timeout and connect_timeout must be positive")
    try:
        catalog.check_source(params["source"] or default_source(params["db"]))
        if params["set_id"]:
            catalog.parse_set_id(params["set_id"])
        if params["retention"]:
            policy = params["retention"]
            retention.check_policy(policy["policy"] if policy["policy"] is not None else policy["profile"])
            parse_duration(policy["rpo"])
            parse_duration(policy["incomplete_grace"])
        key = options.key(params)
    except (BackupError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    try:
        module.exit_json(**run(module, params, key))
    except StoreError as exc:
        module.fail_json(msg=str(exc), store_available=False)
    except BackupError as exc:
        module.fail_json(msg="backup of %s failed, no set was completed: %s" % (params["db"], exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="backup of %s failed, no set was completed: %s" % (params["db"], exc), exception=traceback.format_exc())


if __name__ == "__main__":
    main()
