"""The lab's event bus: Debian's nats-server with JetStream, on loopback, its store in `<state dir>/nats/`.

A plain process (`nats-server -js`), no authentication (loopback only). The monitoring port answers
`/healthz`, `/varz` and `/jsz`. `stop(cfg)` and `start(cfg)` are what the chaos drill uses to take the
bus away and bring it back: the JetStream store survives, so streams and their messages come back.
"""

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List

from .. import processes
from ..config import LabConfig

NAME = "nats"


def store_dir(cfg: LabConfig) -> Path:
    return cfg.state_dir / "nats"


def binary() -> str:
    path = os.environ.get("SPOOKY_LAB_NATS_SERVER_BIN") or shutil.which("nats-server")
    if not path:
        raise RuntimeError("nats-server not found on PATH (Debian: apt-get install nats-server)")
    return path


def url(cfg: LabConfig) -> str:
    return f"nats://{cfg.host}:{cfg.nats_port}"


def monitor_url(cfg: LabConfig) -> str:
    return f"http://{cfg.host}:{cfg.nats_monitor_port}"


def command(cfg: LabConfig) -> List[str]:
    return [binary(), "-js", "-a", cfg.host, "-p", str(cfg.nats_port), "-m", str(cfg.nats_monitor_port),
            "-sd", str(store_dir(cfg)), "-n", "spooky-lab"]


def healthy(cfg: LabConfig) -> bool:
    try:
        with urllib.request.urlopen(f"{monitor_url(cfg)}/healthz?js-enabled-only=true", timeout=2) as response:
            return json.loads(response.read()).get("status") == "ok"
    except (OSError, ValueError, urllib.error.URLError):
        return False


def wait_ready(cfg: LabConfig, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(cfg):
        if not processes.running(cfg, NAME):
            raise RuntimeError(f"nats exited during start-up; see {cfg.log_dir / (NAME + '.log')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nats did not answer on {monitor_url(cfg)}/healthz")
        time.sleep(0.05)


def start(cfg: LabConfig) -> List[str]:
    started = []
    if not processes.running(cfg, NAME):
        for port, var in ((cfg.nats_port, "SPOOKY_LAB_NATS_PORT"), (cfg.nats_monitor_port, "SPOOKY_LAB_NATS_MONITOR_PORT")):
            if not processes.port_free(cfg.host, port):
                raise RuntimeError(f"port {port} for nats is in use by another program: set {var}")
        store_dir(cfg).mkdir(parents=True, exist_ok=True)
        processes.start(cfg, NAME, command(cfg))
        started.append(NAME)
    wait_ready(cfg)
    return started


def stop(cfg: LabConfig) -> bool:
    """Stop the bus (chaos drills); `start(cfg)` brings it back with its store."""
    return processes.stop(cfg, NAME)


def describe(cfg: LabConfig) -> str:
    return f"nats (JetStream): {url(cfg)}, monitoring {monitor_url(cfg)}, store in {store_dir(cfg)}"
