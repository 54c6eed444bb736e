# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pg_dump and pg_restore as streams: a dump flows into a writer as it is made, a restore reads from an iterable.

``dump`` exports a snapshot in a REPEATABLE READ transaction, runs ``pg_dump -Fc --snapshot`` on it and, while
the dump streams into the writer (the encryption, then the store), counts and checksums every table in that
same snapshot on another connection: the manifest's figures describe exactly the rows in the dump, and cost
no extra pass over the data on the critical path. ``restore`` feeds ``pg_restore`` on its standard input.
No plaintext dump ever touches the local disk.

This is what community.postgresql's postgresql_db (state dump/restore) cannot do: it writes the dump to a
file and restores from one, and its dump cannot join the snapshot the table stats are taken in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import glob
import os
import subprocess
import threading
import time

from ansible_collections.spooky.ops.plugins.module_utils.backup import pgstats
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

READ_SIZE = 1024 * 1024
F_SETPIPE_SZ = 1031  # Linux: a 1 MiB pipe lets pg_dump run ahead while a block is being encrypted
MAINTENANCE_DB = "postgres"


class Login(object):
    """How to reach the server: the libpq parameters shared by psycopg2 and the client programs."""

    def __init__(self, host="localhost", port=5432, user="postgres", password=None, ssl_mode="prefer", ca_cert=None,
                 connect_timeout=10, application="spooky.ops"):
        self.host, self.port, self.user, self.password = host, int(port), user, password
        self.ssl_mode, self.ca_cert, self.connect_timeout, self.application = ssl_mode, ca_cert, int(connect_timeout), application

    def where(self, database=None):
        return "%s%s:%s" % ((database + " on ") if database else "", self.host, self.port)

    def connect(self, database):
        if not pgstats.HAS_PSYCOPG2:
            raise BackupError("the Python package psycopg2 is required: %s" % pgstats.PSYCOPG2_IMPORT_ERROR)
        kwargs = dict(host=self.host, port=self.port, user=self.user, dbname=database, sslmode=self.ssl_mode,
                      connect_timeout=self.connect_timeout, application_name=self.application)
        if self.password:
            kwargs["password"] = self.password
        if self.ca_cert:
            kwargs["sslrootcert"] = self.ca_cert
        return pgstats.psycopg2.connect(**kwargs)

    def environ(self):
        """The environment for pg_dump/pg_restore: the password never appears on a command line."""
        env = dict(os.environ, PGHOST=self.host, PGPORT=str(self.port), PGUSER=self.user, PGSSLMODE=self.ssl_mode,
                   PGCONNECT_TIMEOUT=str(self.connect_timeout), PGAPPNAME=self.application)
        env.pop("PGPASSWORD", None)
        if self.password:
            env["PGPASSWORD"] = self.password
        if self.ca_cert:
            env["PGSSLROOTCERT"] = self.ca_cert
        return env


def find_program(name, bin_dir=None):
    """`name` in `bin_dir`, else on PATH, else in the newest /usr/lib/postgresql/<version>/bin."""
    candidates = [os.path.join(bin_dir, name)] if bin_dir else []
    if not bin_dir:
        candidates += [os.path.join(d, name) for d in os.environ.get("PATH", "").split(os.pathsep) if d]
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name),
                          key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split("/")[4].split(".")], reverse=True)
        candidates += versions
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise BackupError("%s not found%s: install the PostgreSQL client programs or set the directory they are in"
                      % (name, " in %s" % bin_dir if bin_dir else " on PATH"))


# What the stream sets itself: pg_dump's format, output, database, connection, snapshot and parallel jobs.
_OWN_LONG = ("format", "file", "snapshot", "dbname", "host", "port", "username", "password", "jobs")
_OWN_SHORT = "FfdhpUWj"
# pg_dump's short options that take a value: the rest of their group, or else the next argument
_SHORT_WITH_VALUE = "FfjZnNtTeEShdpU"


def refused_dump_arg(args):
    """The first of `args` pg_dump could read as one of the options the stream sets, else None.

    pg_dump (getopt_long) takes any unambiguous prefix of a long option (--form=plain) and grouped short options
    (-vFp), and reads a bare word as the database: so every prefix and every letter of a group is checked, and an
    option's value must be in the same element (--exclude-table=audit, -Z9), never the next one.
    """
    for arg in args:
        if not arg.startswith("-") or arg in ("-", "--"):
            return arg
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0]
            if any(own.startswith(name) for own in _OWN_LONG):
                return arg
            continue
        group = arg[1:]
        for index, letter in enumerate(group):
            if letter in _OWN_SHORT:
                return arg
            if letter in _SHORT_WITH_VALUE:
                if index == len(group) - 1:  # its value would be the next argument
                    return arg
                break
    return None


class _Drain(threading.Thread):
    """Reads a process's stderr to the end, keeping the tail for the error message."""

    def __init__(self, stream, limit=8192):
        super(_Drain, self).__init__(daemon=True)
        self.stream, self.limit, self.text = stream, limit, b""

    def run(self):
        for line in iter(self.stream.readline, b""):
            self.text = (self.text + line)[-self.limit:]

    def tail(self):
        self.join(5)
        return self.text.decode("utf-8", "replace").strip()


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def dump(login, database, writer, pg_dump, extra_args=(), checksum=True, schemas=None, hold_timeout=7200.0):
    """Stream ``pg_dump -Fc`` of `database` into `writer` (write(bytes)); returns dict(tables, snapshot, seconds).

    The caller commits or aborts the writer: on any fault this raises BackupError and the writer has received
    an incomplete dump.
    """
    exported = threading.Event()
    release = threading.Event()
    box = {}

    def stats():
        try:
            box["stats"] = pgstats.collect(lambda: login.connect(database), schemas=schemas, checksum=checksum,
                                           on_snapshot=lambda sid: (box.__setitem__("snapshot", sid), exported.set()),
                                           release=release, hold_timeout=hold_timeout, parallel=False)
        except BaseException as exc:  # reported by the caller's thread
            box["error"] = exc
        finally:
            exported.set()

    started = time.time()
    worker = threading.Thread(target=stats, name="spooky-table-stats", daemon=True)
    worker.start()
    exported.wait()
    if "snapshot" not in box:
        worker.join()
        raise BackupError("no snapshot of %s could be exported: %s" % (login.where(database), box.get("error", "unknown error")))
    cmd = [pg_dump, "--format=custom", "--snapshot=" + box["snapshot"], "--no-password"] + list(extra_args) + ["--dbname=" + database]
    try:
        # run_command would hold the whole dump in memory: the stream needs the pipe itself
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=login.environ(),  # pylint: disable=ansible-bad-function
                                bufsize=0)
    except OSError as exc:
        release.set()
        worker.join()
        raise BackupError("cannot run %s: %s" % (pg_dump, exc))
    try:
        try:
            fcntl.fcntl(proc.stdout.fileno(), F_SETPIPE_SZ, READ_SIZE)
        except (OSError, IOError):
            pass  # not Linux, or a lower pipe-max-size: only slower
        drain = _Drain(proc.stderr)
        drain.start()
        read = proc.stdout.read
        while True:
            block = read(READ_SIZE)
            if not block:
                break
            writer.write(block)
        code = proc.wait()
    except BaseException:
        _stop(proc)
        release.set()
        worker.join()
        raise
    release.set()
    worker.join()
    if code != 0:
        raise BackupError("pg_dump of %s failed (exit %d): %s" % (login.where(database), code, drain.tail() or "no message"))
    if "error" in box:
        error = box["error"]
        raise error if isinstance(error, BackupError) else BackupError("table stats of %s failed: %s" % (database, error))
    return dict(tables=box["stats"]["tables"], snapshot=box["snapshot"], seconds=round(time.time() - started, 3))


def restore(login, database, blocks, pg_restore, extra_args=()):
    """Feed ``pg_restore`` the archive arriving as `blocks` (an iterable of byte strings) into `database`.

    A fault in `blocks` (a failed authentication, a broken download) stops pg_restore and is re-raised; a
    failure of pg_restore raises BackupError with its message.
    """
    cmd = [pg_restore, "--no-password", "--exit-on-error"] + list(extra_args) + ["--dbname=" + database]
    try:
        # run_command takes its input whole: the restore feeds pg_restore as the store delivers
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                                env=login.environ(), bufsize=0)
    except OSError as exc:
        raise BackupError("cannot run %s: %s" % (pg_restore, exc))
    drain = _Drain(proc.stderr)
    drain.start()
    try:
        fcntl.fcntl(proc.stdin.fileno(), F_SETPIPE_SZ, READ_SIZE)
    except (OSError, IOError):
        pass
    try:
        for block in blocks:
            proc.stdin.write(block)
        proc.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # pg_restore stopped reading: its exit status and message say why
    except BaseException:
        _stop(proc)
        raise
    code = proc.wait()
    if code != 0:
        raise BackupError("pg_restore into %s failed (exit %d): %s" % (login.where(database), code, drain.tail() or "no message"))


def database_exists(login, database):
    conn = _maintenance(login)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (database,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def recreate_database(login, database, drop_only=False):
    """Drop `database` (disconnecting its sessions) and, unless `drop_only`, create it empty."""
    sql = pgstats.sql
    conn = _maintenance(login)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            force = sql.SQL(" WITH (FORCE)") if int(cur.fetchone()[0]) >= 130000 else sql.SQL("")
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(database), force))
            if not drop_only:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    except pgstats.psycopg2.Error as exc:
        raise BackupError("cannot %s database %s: %s" % ("drop" if drop_only else "recreate", login.where(database), str(exc).strip()))
    finally:
        conn.close()


def _maintenance(login):
    try:
        conn = login.connect(MAINTENANCE_DB)
    except pgstats.psycopg2.Error as exc:
        raise BackupError("cannot connect to PostgreSQL at %s: %s" % (login.where(), str(exc).strip()))
    conn.autocommit = True
    return conn


def table_stats(login, database, checksum=True, schemas=None):
    """Row counts and checksums of every table of `database` (see pgstats.table_stats)."""
    return pgstats.collect(lambda: login.connect(database), schemas=schemas, checksum=checksum)["tables"]
