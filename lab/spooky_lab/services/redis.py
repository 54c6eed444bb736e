"""The lab's Redis: Debian's redis-server on loopback, its RDB in `<state dir>/redis/dump.rdb`.

No save points and no AOF: Redis writes its RDB only when asked (BGSAVE, what the backup playbook
does), so the lab never writes behind a drill's back; a restarted lab is seeded again. No password
(loopback only). Seeded once with the Phoenix demo keys (strings with and without TTL, hashes, a
list, a set, a sorted set and a stream in databases 0 and 1); deterministic, like the other demo data.
"""

import os
import shutil
import time
from pathlib import Path
from typing import List, Optional

from .. import processes
from ..config import LabConfig

NAME = "redis"
SEED_MARKER = "phoenix:seeded"


def base_dir(cfg: LabConfig) -> Path:
    return cfg.state_dir / "redis"


def binary() -> str:
    path = os.environ.get("SPOOKY_LAB_REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not path:
        raise RuntimeError("redis-server not found on PATH (Debian: apt-get install redis-server)")
    return path


def server_command(directory: Path, host: str, port: int, dbfilename: str = "dump.rdb", extra: Optional[List[str]] = None) -> List[str]:
    """argv of a redis-server keeping its RDB in `directory` (also used for the scratch instances of restores)."""
    return [binary(), "--bind", host, "--port", str(port), "--dir", str(directory), "--dbfilename", dbfilename,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--databases", "16",
            # its process title would overwrite the environment, where the lab marks its processes
            "--set-proc-title", "no", *(extra or [])]


def client(host: str, port: int, db: int = 0, timeout: float = 5.0):
    import redis  # the lab's venv has it; imported late so that `spooky_lab status` does not need it

    return redis.Redis(host=host, port=port, db=db, socket_timeout=timeout, socket_connect_timeout=timeout)


def wait_ready(cfg: LabConfig, name: str, host: str, port: int, timeout: float = 30.0) -> None:
    import redis

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not processes.running(cfg, name):
            raise RuntimeError(f"{name} exited during start-up; see {cfg.log_dir / (name + '.log')}")
        try:
            conn = client(host, port, timeout=2)
            if conn.ping() and not conn.info("persistence").get("loading"):
                return
        except redis.RedisError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on {host}:{port}: {last}")


def seed(host: str, port: int) -> int:
    """Write the demo keys when they are missing; returns the number of keys written."""
    conn = client(host, port)
    if conn.exists(SEED_MARKER):
        return 0
    written = 0
    pipe = conn.pipeline(transaction=True)
    for i in range(1, 301):
        pipe.hset(f"phoenix:agent:{i:04d}", mapping={"name": f"agent-{i:04d}", "score": f"{0.5 + (i % 500) / 1000:.4f}",
                                                     "role": ("planner", "executor", "critic", "auditor")[i % 4]})
        pipe.set(f"phoenix:config:{i:04d}", f"value-{i * 7919 % 10007}")
        written += 2
    for i in range(1, 101):
        pipe.set(f"phoenix:session:{i:04d}", f"token-{i * 104729 % 1000003}", ex=86400)
        written += 1
    pipe.rpush("phoenix:queue:jobs", *[f"job-{i}" for i in range(1, 51)])
    pipe.sadd("phoenix:tags", *[f"tag-{i}" for i in range(1, 21)])
    pipe.zadd("phoenix:leaderboard", {f"agent-{i:04d}": (i * 37) % 1000 for i in range(1, 101)})
    for i in range(1, 26):
        pipe.xadd("phoenix:events", {"kind": "heartbeat", "seq": str(i)}, id=f"1767225600000-{i}")
    pipe.set(SEED_MARKER, "1")
    written += 5
    pipe.execute()
    other = client(host, port, db=1)
    other.mset({f"phoenix:cache:{i:03d}": f"cached-{i}" for i in range(1, 41)})
    return written + 40


def start(cfg: LabConfig) -> List[str]:
    started = []
    if not processes.running(cfg, NAME):
        if not processes.port_free(cfg.host, cfg.redis_port):
            raise RuntimeError(f"port {cfg.redis_port} for redis is in use by another program: set SPOOKY_LAB_REDIS_PORT")
        base_dir(cfg).mkdir(parents=True, exist_ok=True)
        processes.start(cfg, NAME, server_command(base_dir(cfg), cfg.host, cfg.redis_port))
        started.append(NAME)
    wait_ready(cfg, NAME, cfg.host, cfg.redis_port)
    seed(cfg.host, cfg.redis_port)
    return started


def describe(cfg: LabConfig) -> str:
    return f"redis: {cfg.host}:{cfg.redis_port} (no password), RDB in {base_dir(cfg) / 'dump.rdb'}"
