# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the backup playbooks against bare pg_dump / pg_restore, on a PostgreSQL database of about 1 GB.

Run from the repository root:  python bench/backup_bench.py [--rows N] [--keep]

Starts a PostgreSQL instance and an S3 store (moto) of its own, on free ports in a temporary directory laid out
like a lab state directory (so inventories/lab points at them), makes the database `bench` (agents and
trust_events, about 1 GB with the default 6,000,000 events), then times, in the same run:

  * bare `pg_dump -Fc` against playbooks/backup.yml (PostgreSQL only: one stream of pg_dump, the tables' stats in its
    snapshot, encryption and multipart upload, then the manifest and retention)          goal <= 1.15x
  * bare `pg_restore` into a new database against playbooks/restore_verify.yml (the set found, its manifest checked,
    the dump streamed from the store through decryption into pg_restore into a scratch database, every table counted
    and checksummed and compared, the database dropped, the set marked verified)      goal <= 1.25x

and what explains the ratios: the same playbooks on a 1-row database (their fixed cost: Ansible start-up, a process
per module task, S3 requests), the backup stream alone without Ansible (the module_utils in this process), and the
checksum pass over the bare restore's rows (the work a verified restore adds to pg_restore, which cannot start before
the rows are committed). Prints each figure with its goal and whether it is met; it never fails on time. Everything
is removed at the end.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO / "collections"))

from spooky_lab import processes  # noqa: E402
from spooky_lab.config import LabConfig  # noqa: E402
from spooky_lab.services import postgres, s3  # noqa: E402

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto, pgstream  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.backup import s3 as store_s3  # noqa: E402

BENCH_SQL = """
CREATE TABLE agents (id integer PRIMARY KEY, name text NOT NULL, role text NOT NULL, trust_score numeric(5,4) NOT NULL,
                     created_at timestamptz NOT NULL);
INSERT INTO agents SELECT i, 'agent-' || i, (ARRAY['planner','executor','critic','auditor'])[1 + i % 4],
       round(0.5 + (i % 500) / 1000.0, 4), timestamptz '2026-01-01' + i * interval '1 second' FROM generate_series(1, 100000) i;
CREATE TABLE trust_events (id bigint NOT NULL, agent_id integer NOT NULL, kind text NOT NULL, delta numeric(6,4) NOT NULL,
                           detail jsonb NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO trust_events SELECT i, 1 + (i * 7) % 100000, (ARRAY['vouch','flag','decay','audit'])[1 + i % 4],
       round(((i % 200) - 100) / 1000.0, 4), jsonb_build_object('source', 'bench', 'seq', i, 'note', md5(i::text)),
       timestamptz '2026-01-02' + i * interval '1 second' FROM generate_series(1, {rows}) i;
ALTER TABLE trust_events ADD PRIMARY KEY (id);
ANALYZE;
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(cmd, env=None, **kwargs):
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit("%s failed (rc %d):\n%s\n%s" % (" ".join(cmd[:3]), result.returncode, result.stdout[-3000:], result.stderr[-3000:]))
    return elapsed


def verdict(ratio, goal):
    return "goal <= %.2fx: %s" % (goal, "met" if ratio <= goal else "NOT met")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000000, help="rows of trust_events (6,000,000 make about 1 GB)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (the processes are stopped)")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="spooky-backup-bench-"))
    cfg = LabConfig(state_dir=state, postgres_port=free_port(), s3_port=free_port())
    pg_bin = postgres.bin_dir()
    try:
        password = postgres.start_instance(cfg, "bench-postgres", postgres.base_dir(cfg), cfg.postgres_port)
        s3.ensure_key(cfg)
        processes.start(cfg, "bench-s3", s3.server_command(cfg.host, cfg.s3_port), env=s3.SERVER_ENV)
        s3.wait_ready(cfg, "bench-s3", s3.url(cfg))
        s3.seed(cfg)

        admin = postgres.connect(cfg.host, cfg.postgres_port, password)
        admin.autocommit = True
        admin.cursor().execute("CREATE DATABASE bench")
        admin.close()
        started = time.monotonic()
        conn = postgres.connect(cfg.host, cfg.postgres_port, password, "bench")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(BENCH_SQL.replace("{rows}", str(int(args.rows))))
            cur.execute("SELECT pg_database_size('bench')")
            size = cur.fetchone()[0]
        conn.close()
        print("database bench: %.0f MB (%d events), made in %.0fs; PostgreSQL %s, S3 moto at %s"
              % (size / 1e6, args.rows, time.monotonic() - started, pg_bin.parent.name, s3.url(cfg)))

        pg_env = dict(os.environ, PGPASSWORD=password)
        login = ["-h", cfg.host, "-p", str(cfg.postgres_port), "-U", postgres.SUPERUSER]
        work = state / "bare"
        work.mkdir()
        reports = state / "reports"
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), PYTHONPATH=str(REPO / "lab"),
                   ANSIBLE_COLLECTIONS_PATH="%s:%s" % (REPO / "collections", REPO / ".deps" / "collections"),
                   SPOOKY_LAB_DIR=str(state), SPOOKY_LAB_POSTGRES_PORT=str(cfg.postgres_port), SPOOKY_LAB_S3_PORT=str(cfg.s3_port),
                   SPOOKY_REPORTS_DIR=str(reports), ANSIBLE_NOCOLOR="1")
        def playbook(database):
            return [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(REPO / "inventories" / "lab"),
                    "-e", json.dumps({"backup_kinds": ["postgres"], "backup_postgres_databases": [database],
                                      "backup_restore_sources": ["postgres-" + database]})]

        def through(name, database):
            cmd = playbook(database)
            return timed(cmd[:1] + [str(REPO / "playbooks" / name)] + cmd[1:], env=env, cwd=str(REPO))

        bare_dump = timed([str(pg_bin / "pg_dump"), "-Fc", "-f", str(work / "bench.pgc")] + login + ["bench"], env=pg_env)
        dump_size = (work / "bench.pgc").stat().st_size
        backup = through("backup.yml", "bench")
        timed([str(pg_bin / "createdb")] + login + ["bare_restore"], env=pg_env)
        bare_restore = timed([str(pg_bin / "pg_restore")] + login + ["-d", "bare_restore", str(work / "bench.pgc")], env=pg_env)
        pg_login = pgstream.Login(cfg.host, cfg.postgres_port, postgres.SUPERUSER, password)
        started = time.monotonic()
        pgstream.table_stats(pg_login, "bare_restore")
        checksum_pass = time.monotonic() - started
        timed([str(pg_bin / "dropdb")] + login + ["bare_restore"], env=pg_env)
        verify = through("restore_verify.yml", "bench")
        result = json.loads((reports / "restore_verify.json").read_text())
        assert result["status"] == "pass", result
        # The playbooks' fixed cost (Ansible start-up and one process per task, S3 requests): the same on a 1-row database.
        conn = postgres.connect(cfg.host, cfg.postgres_port, password)
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE tiny")
        conn.close()
        conn = postgres.connect(cfg.host, cfg.postgres_port, password, "tiny")
        conn.autocommit = True
        conn.cursor().execute("CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1)")
        conn.close()
        fixed_backup = through("backup.yml", "tiny")
        fixed_verify = through("restore_verify.yml", "tiny")
        # The backup stream alone, without Ansible: pg_dump, stats in its snapshot, encryption, multipart upload.
        store = store_s3.Store(s3.BUCKET, endpoint_url=s3.url(cfg), region=s3.REGION, access_key=s3.ACCESS_KEY,
                               secret_key=s3.SECRET_KEY)
        started = time.monotonic()
        writer = crypto.EncryptingWriter(crypto.read_key_file(str(s3.key_path(cfg))),
                                         store_s3.MultipartUpload(store, "bench/stream-only.pgc.enc", sse="AES256"), "bench")
        pgstream.dump(pg_login, "bench", writer, str(pg_bin / "pg_dump"))
        writer.close()
        stream_only = time.monotonic() - started

        print("dump (custom format): %.0f MB" % (dump_size / 1e6))
        print("backup:         bare pg_dump -Fc %6.1fs   playbooks/backup.yml %6.1fs   %.2fx   %s"
              % (bare_dump, backup, backup / bare_dump, verdict(backup / bare_dump, 1.15)))
        print("restore-verify: bare pg_restore  %6.1fs   restore_verify.yml   %6.1fs   %.2fx   %s"
              % (bare_restore, verify, verify / bare_restore, verdict(verify / bare_restore, 1.25)))
        print("fixed cost (same playbooks, a 1-row database): backup %.1fs, restore-verify %.1fs; without it: backup %.2fx, "
              "restore-verify %.2fx" % (fixed_backup, fixed_verify, (backup - fixed_backup) / bare_dump, (verify - fixed_verify) / bare_restore))
        print("floors: the backup stream alone (no Ansible) %.1fs = %.2fx bare pg_dump; bare pg_restore + the checksum pass over "
              "its rows (%.1fs) = %.2fx bare pg_restore" % (stream_only, stream_only / bare_dump, checksum_pass,
                                                             (bare_restore + checksum_pass) / bare_restore))
        print("(load average now: %s)" % " ".join("%.1f" % v for v in os.getloadavg()))
    finally:
        for name in ("bench-s3", "bench-postgres"):
            processes.stop(cfg, name)
        if args.keep:
            print("kept %s" % state)
        else:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
