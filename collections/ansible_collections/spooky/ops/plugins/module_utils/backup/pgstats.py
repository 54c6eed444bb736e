# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Row counts and checksums of PostgreSQL tables: what a restore is compared against.

The checksum of a table is the sum of a 64-bit hash of every row, so it does not depend on row order or
on the physical layout (a restored table has the same checksum as its source). On PostgreSQL 14 and later
the row hash is ``hash_record_extended`` (the types' own hash functions, no text conversion: about three
times faster); a table with a column type that has no hash function, or an older server, uses
``hashtextextended(row::text)``. Both depend on the server's major version: compare like with like.

Stats can be taken in a snapshot exported for pg_dump (``pg_dump --snapshot``): the counts then describe
exactly the rows in the dump even while the database is being written. The exporting transaction must stay
open until pg_dump has imported the snapshot, so ``collect`` can hold it until a release file appears.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

try:
    import psycopg2
    from psycopg2 import sql
    HAS_PSYCOPG2 = True
    PSYCOPG2_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules with missing_required_lib
    HAS_PSYCOPG2 = False
    PSYCOPG2_IMPORT_ERROR = exc

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
METHOD_RECORD = "hash_record_extended"
METHOD_TEXT = "hashtextextended"

LIST_TABLES = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
ORDER BY 1, 2
"""


def _table_query(schema, table, relkind, method, checksum):
    target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    only = sql.SQL("ONLY ") if relkind == "r" else sql.SQL("")
    if not checksum:
        return sql.SQL("SELECT count(*), NULL FROM {only}{target} AS t").format(only=only, target=target)
    row_hash = sql.SQL("hash_record_extended(t.*, 0)") if method == METHOD_RECORD else sql.SQL("hashtextextended(t::text, 0)")
    return sql.SQL("SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM {only}{target} AS t").format(
        row_hash=row_hash, only=only, target=target)


def table_stats(cursor, schemas=None, checksum=True, parallel=True):
    """{"schema.table": {"rows", "checksum", "method"}} for every user table (or those of `schemas`).

    `parallel` False keeps the scans in this one backend (no parallel workers): beside a running pg_dump they
    would take the CPU the dump needs, and one backend finishes well before the dump does.
    """
    if not parallel:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    cursor.execute("SHOW server_version_num")
    version = int(cursor.fetchone()[0])
    cursor.execute(LIST_TABLES)
    tables = [row for row in cursor.fetchall() if not schemas or row[0] in schemas]
    result = {}
    for schema, table, relkind in tables:
        name = "%s.%s" % (schema, table)
        method = METHOD_RECORD if version >= 140000 else METHOD_TEXT
        if checksum and method == METHOD_RECORD:
            cursor.execute("SAVEPOINT spooky_stats")
            try:
                cursor.execute(_table_query(schema, table, relkind, method, checksum))
                rows, total = cursor.fetchone()
                cursor.execute("RELEASE SAVEPOINT spooky_stats")
            except psycopg2.Error:
                # a column type without a hash function (json, point, ...): hash the text form instead
                cursor.execute("ROLLBACK TO SAVEPOINT spooky_stats")
                method = METHOD_TEXT
                cursor.execute(_table_query(schema, table, relkind, method, checksum))
                rows, total = cursor.fetchone()
        else:
            cursor.execute(_table_query(schema, table, relkind, method, checksum))
            rows, total = cursor.fetchone()
        result[name] = dict(rows=int(rows), checksum=total if checksum else None, method=method if checksum else None)
    return result


def _write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def collect(connect, schemas=None, checksum=True, snapshot_file=None, release_file=None, hold_timeout=3600.0, poll=0.2,
            on_snapshot=None, release=None, parallel=True):
    """Stats of every table in one REPEATABLE READ, read-only transaction.

    With `snapshot_file` or `on_snapshot` (a callable), the transaction's snapshot is exported first and its id
    written there or passed to it (for ``pg_dump --snapshot``); with `release_file` (or `release`, a
    threading.Event) the transaction then stays open until that file exists (the event is set), or
    `hold_timeout` seconds passed. Returns dict(tables, snapshot, held_seconds, released).
    """
    if not HAS_PSYCOPG2:
        raise BackupError("the Python package psycopg2 is required: %s" % PSYCOPG2_IMPORT_ERROR)
    try:
        conn = connect()
    except psycopg2.Error as exc:
        raise BackupError("cannot connect to PostgreSQL: %s" % str(exc).strip())
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cursor = conn.cursor()
        snapshot = None
        if snapshot_file or on_snapshot:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            if snapshot_file:
                _write_atomic(snapshot_file, snapshot + "\n")
            if on_snapshot:
                on_snapshot(snapshot)
        stats = table_stats(cursor, schemas, checksum, parallel)
        held, released = 0.0, None
        if release_file or release is not None:
            started = time.time()
            if release is not None:
                released = release.wait(hold_timeout)
            else:
                while not os.path.exists(release_file) and time.time() - started < hold_timeout:
                    time.sleep(poll)
                released = os.path.exists(release_file)
            held = round(time.time() - started, 3)
        conn.rollback()
        return dict(tables=stats, snapshot=snapshot, held_seconds=held, released=released)
    except psycopg2.Error as exc:
        raise BackupError("PostgreSQL refused the stats queries: %s" % str(exc).strip())
    finally:
        conn.close()
