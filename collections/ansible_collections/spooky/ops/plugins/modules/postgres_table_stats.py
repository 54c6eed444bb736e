#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: postgres_table_stats
short_description: Row counts and checksums of every table of a PostgreSQL database
version_added: 0.1.0
description:
  - Counts the rows of every user table and sums a 64-bit hash of each row (an order-independent checksum), in one
    REPEATABLE READ, read-only transaction. What a backup manifest records and a restore is compared against.
  - The row hash is C(hash_record_extended) on PostgreSQL 14 and later, or C(hashtextextended) of the row's text for
    tables with a column type that has no hash function and for older servers. Checksums compare equal between
    servers of the same major version.
  - With O(snapshot_file), the transaction's snapshot is exported first (C(pg_export_snapshot)) and its id written to
    that file, for C(pg_dump --snapshot); the stats then describe exactly the rows of the dump, however busy the
    database. Run the module with C(async) and the dump meanwhile; with O(release_file) the transaction stays open
    (so the snapshot stays importable) until that file exists, at most O(hold_timeout) seconds.
  - Only reads; runs fully in check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - spooky.ops.backup.postgres
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  db:
    description:
      - The database.
    type: str
    required: true
    aliases: [login_db]
  schemas:
    description:
      - Only the tables of these schemas. Defaults to every schema but the system ones.
    type: list
    elements: str
    default: []
  checksum:
    description:
      - Compute checksums; V(false) only counts rows.
    type: bool
    default: true
  snapshot_file:
    description:
      - Export the transaction's snapshot and write its id to this file.
    type: path
  release_file:
    description:
      - Keep the transaction open until this file exists.
    type: path
  hold_timeout:
    description:
      - The longest the transaction is held open waiting for O(release_file), in seconds.
    type: float
    default: 3600
"""

EXAMPLES = r"""
- name: Postgres | count and checksum every table of orca in a snapshot held for the dump
  spooky.ops.postgres_table_stats:
    db: orca
    login_host: 127.0.0.1
    login_port: 15432
    login_password: "{{ postgres_password }}"
    snapshot_file: "{{ work_dir }}/orca.snapshot"
    release_file: "{{ work_dir }}/orca.dumped"
  async: 3600
  poll: 0
  register: orca_stats_job

- name: Verify | row counts and checksums of the restored copy
  spooky.ops.postgres_table_stats:
    db: orca_verify
    login_host: 127.0.0.1
    login_password: "{{ postgres_password }}"
  register: restored
"""

RETURN = r"""
tables:
  description: Per table (C(schema.table)), its C(rows), C(checksum) (a decimal string) and the hash C(method).
  returned: success
  type: dict
  sample: {"public.agents": {"rows": 400, "checksum": "-1859454977765435162198", "method": "hash_record_extended"}}
snapshot:
  description: The exported snapshot id.
  returned: with snapshot_file
  type: str
  sample: 00000003-0000001B-1
held_seconds:
  description: How long the transaction waited for O(release_file).
  returned: with release_file
  type: float
released:
  description: Whether O(release_file) appeared (false when the hold timed out).
  returned: with release_file
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.spooky.ops.plugins.module_utils.backup import options, pgstats
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError


def main():
    module = AnsibleModule(
        argument_spec=options.spec(
            options.POSTGRES,
            db=dict(type="str", required=True, aliases=["login_db"]),
            schemas=dict(type="list", elements="str", default=[]),
            checksum=dict(type="bool", default=True),
            snapshot_file=dict(type="path"),
            release_file=dict(type="path"),
            hold_timeout=dict(type="float", default=3600.0),
        ),
        required_by=dict(release_file=("snapshot_file",)),
        supports_check_mode=True,
    )
    params = module.params
    if params["hold_timeout"] < 0 or params["connect_timeout"] <= 0:
        module.fail_json(msg="hold_timeout must not be negative and connect_timeout must be positive")
    if not pgstats.HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=str(pgstats.PSYCOPG2_IMPORT_ERROR))

    login = options.login(params, "spooky.ops table stats")

    try:
        stats = pgstats.collect(lambda: login.connect(params["db"]), schemas=params["schemas"] or None, checksum=params["checksum"],
                                snapshot_file=params["snapshot_file"], release_file=params["release_file"],
                                hold_timeout=params["hold_timeout"])
    except BackupError as exc:
        module.fail_json(msg="%s (database %s on %s:%s)" % (exc, params["db"], params["login_host"], params["login_port"]))
    result = dict(changed=False, tables=stats["tables"])
    if params["snapshot_file"]:
        result["snapshot"] = stats["snapshot"]
    if params["release_file"]:
        result.update(held_seconds=stats["held_seconds"], released=stats["released"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
