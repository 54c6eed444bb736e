"""The lab's PostgreSQL: Debian's server binaries, one cluster in `<state dir>/postgres`, loopback only.

The server refuses to run as root, so when the lab runs as root the cluster belongs to the `postgres`
system user (SPOOKY_LAB_POSTGRES_USER moves it) and the directories on the way to it get the search
bit (`o+x`, never read) so that user can reach it. Clients use TCP on 127.0.0.1 with the superuser
`postgres` and the password in `<state dir>/postgres/password` (0600); the socket stays in
`<state dir>/postgres/run`. The cluster is tuned for a lab (fsync off): fast, not durable.

Seeded once with the demo database `orca` (tables agents, trust_events, policies), deterministic
rows so that every lab holds the same data. The helpers are reused by bench/backup_bench.py, which
starts an instance of its own with `start_instance`.
"""

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import List, Optional

from .. import processes
from ..config import LabConfig

NAME = "postgres"
SUPERUSER = "postgres"
DEMO_DB = "orca"
LAB_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "128MB",
    "max_connections": "40",
    "log_min_messages": "warning",
}


def base_dir(cfg: LabConfig) -> Path:
    return cfg.state_dir / "postgres"


def password(cfg: LabConfig) -> str:
    return (base_dir(cfg) / "password").read_text().strip()


def bin_dir() -> Path:
    """Debian's versioned server binaries (the newest installed), or SPOOKY_LAB_POSTGRES_BIN_DIR."""
    explicit = os.environ.get("SPOOKY_LAB_POSTGRES_BIN_DIR")
    if explicit:
        return Path(explicit)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries not found (Debian: apt-get install postgresql; or set SPOOKY_LAB_POSTGRES_BIN_DIR)")


def run_as() -> Optional[str]:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("SPOOKY_LAB_POSTGRES_USER", "postgres")


def _owner(user: Optional[str]):
    if user is None:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _grant_traverse(path: Path, user: Optional[str]) -> None:
    """Let `user` reach `path`: add the search bit to every ancestor it could not pass (no read bit)."""
    if user is None:
        return
    uid, gid = _owner(user)
    for parent in reversed(path.resolve().parents):
        st = parent.stat()
        if st.st_uid == uid and st.st_mode & 0o100:
            continue
        if st.st_gid == gid and st.st_mode & 0o010:
            continue
        if not st.st_mode & 0o001:
            os.chmod(parent, (st.st_mode & 0o7777) | 0o001)


def _chown_tree(path: Path, user: Optional[str]) -> None:
    if user is None:
        return
    uid, gid = _owner(user)
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)


def _as_user(user: Optional[str]) -> dict:
    """subprocess arguments that run a child as `user` with that user's groups (not root's)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": os.getgrouplist(user, entry.pw_gid)}


def _as_user_argv(user: Optional[str]) -> List[str]:
    """A prefix that runs a long-lived process as `user` with its groups (setpriv execs: the pid stays the server's)."""
    if user is None:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise RuntimeError("setpriv (util-linux) is needed to run PostgreSQL as a non-root user")
    return [setpriv, f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]


def init_cluster(directory: Path, superuser_password: str, user: Optional[str]) -> Path:
    """initdb into `directory`/data (once) as `user`; returns the data directory.

    `directory` stays ours (mode 0711); `data` and `run` inside it belong to `user`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o711)
    data, run = directory / "data", directory / "run"
    if (data / "PG_VERSION").exists():
        return data
    _grant_traverse(directory, user)
    for sub in (data, run):
        sub.mkdir(exist_ok=True)
        os.chmod(sub, 0o700)
        _chown_tree(sub, user)
    pwfile = run / ".pwfile"
    pwfile.write_text(superuser_password + "\n")
    pwfile.chmod(0o600)
    _chown_tree(pwfile, user)
    try:
        result = subprocess.run(
            [str(bin_dir() / "initdb"), "-D", str(data), "-U", SUPERUSER, "--pwfile", str(pwfile), "--auth-local=peer",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
            capture_output=True, text=True, cwd=str(run), timeout=180, **_as_user(user))
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        for leftover in list(data.iterdir()):  # initdb wants an empty directory next time
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink()
        raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    return data


def server_command(directory: Path, host: str, port: int, settings: Optional[dict] = None) -> List[str]:
    argv = [str(bin_dir() / "postgres"), "-D", str(directory / "data"), "-c", f"listen_addresses={host}", "-c", f"port={port}",
            "-c", f"unix_socket_directories={directory / 'run'}"]
    for key, value in dict(LAB_SETTINGS, **(settings or {})).items():
        argv += ["-c", f"{key}={value}"]
    return argv


def connect(host: str, port: int, superuser_password: str, dbname: str = "postgres", connect_timeout: int = 5):
    import psycopg2  # the lab's venv has it; imported late so that `spooky_lab status` does not need it

    return psycopg2.connect(host=host, port=port, user=SUPERUSER, password=superuser_password, dbname=dbname,
                            connect_timeout=connect_timeout)


def wait_ready(cfg: LabConfig, name: str, host: str, port: int, superuser_password: str, timeout: float = 60.0) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not processes.running(cfg, name):
            raise RuntimeError(f"{name} exited during start-up; see {cfg.log_dir / (name + '.log')}")
        try:
            connect(host, port, superuser_password, connect_timeout=2).close()
            return
        except psycopg2.OperationalError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not accept connections on {host}:{port}: {last}")


def start_instance(cfg: LabConfig, name: str, directory: Path, port: int, settings: Optional[dict] = None) -> str:
    """initdb (once) and start a server in `directory` on `port`; returns the superuser password."""
    directory = Path(directory)
    pw_path = directory / "password"
    if not pw_path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        pw_path.write_text(secrets.token_urlsafe(24))
        pw_path.chmod(0o600)
    superuser_password = pw_path.read_text().strip()
    user = run_as()
    if not processes.running(cfg, name):
        if not processes.port_free(cfg.host, port):
            raise RuntimeError(f"port {port} for {name} is in use by another program: set SPOOKY_LAB_POSTGRES_PORT")
        init_cluster(directory, superuser_password, user)
        _grant_traverse(cfg.state_dir, user)  # the process starts in the state directory
        processes.start(cfg, name, _as_user_argv(user) + server_command(directory, cfg.host, port, settings))
    wait_ready(cfg, name, cfg.host, port, superuser_password)
    return superuser_password


# --------------------------------------------------------------------------- demo data
SEED_SQL = """
CREATE TABLE agents (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    role text NOT NULL,
    trust_score numeric(5,4) NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO agents
SELECT i, 'agent-' || lpad(i::text, 4, '0'), (ARRAY['planner', 'executor', 'critic', 'auditor'])[1 + i % 4],
       round(0.5 + (i % 500) / 1000.0, 4), timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 400) AS i;

CREATE TABLE trust_events (
    id bigint PRIMARY KEY,
    agent_id integer NOT NULL REFERENCES agents (id),
    kind text NOT NULL,
    delta numeric(6,4) NOT NULL,
    detail jsonb NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO trust_events
SELECT i, 1 + (i * 7) % 400, (ARRAY['vouch', 'flag', 'decay', 'audit'])[1 + i % 4], round(((i % 200) - 100) / 1000.0, 4),
       jsonb_build_object('source', 'lab-seed', 'sequence', i, 'note', md5(i::text)),
       timestamptz '2026-01-02 00:00:00+00' + i * interval '17 seconds'
FROM generate_series(1, 4000) AS i;
CREATE INDEX trust_events_agent_created ON trust_events (agent_id, created_at);

CREATE TABLE policies (
    name text PRIMARY KEY,
    threshold numeric(5,4) NOT NULL,
    enabled boolean NOT NULL
);
INSERT INTO policies VALUES ('quarantine', 0.2000, true), ('promote', 0.9000, true), ('review', 0.5000, false);
"""


def seed(host: str, port: int, superuser_password: str) -> int:
    """Create the demo database `orca` when it is missing; returns the number of rows created."""
    admin = connect(host, port, superuser_password)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DEMO_DB,))
            if cur.fetchone():
                return 0
            cur.execute(f'CREATE DATABASE "{DEMO_DB}"')
    finally:
        admin.close()
    conn = connect(host, port, superuser_password, DEMO_DB)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(SEED_SQL)
            cur.execute("SELECT (SELECT count(*) FROM agents) + (SELECT count(*) FROM trust_events) + (SELECT count(*) FROM policies)")
            return cur.fetchone()[0]
    finally:
        conn.close()


# ------------------------------------------------------------------- the service API
def start(cfg: LabConfig) -> List[str]:
    was_running = processes.running(cfg, NAME)
    superuser_password = start_instance(cfg, NAME, base_dir(cfg), cfg.postgres_port)
    seed(cfg.host, cfg.postgres_port, superuser_password)
    return [] if was_running else [NAME]


def describe(cfg: LabConfig) -> str:
    return (f"postgres: {cfg.host}:{cfg.postgres_port} user {SUPERUSER}, password in {base_dir(cfg) / 'password'}; "
            f"demo database {DEMO_DB}")
