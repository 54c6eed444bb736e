"""The lab's Alertmanager: Debian's prometheus-alertmanager on loopback, fed by the lab's Prometheus.

Prometheus sends its firing alerts here (the `alerting:` section of prometheus.write_config); the
daily check reads them back from `/api/v2/alerts`. One receiver that sends nothing: the lab pages
nobody. No clustering (no gossip port), data in `<state dir>/alertmanager/`.
"""

import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List

from .. import processes
from ..config import LabConfig

NAME = "alertmanager"
CONFIG = """\
# Written by spooky_lab.services.alertmanager at every start.
route:
  receiver: lab-null
  group_by: [alertname, cluster]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: lab-null
"""


def url(cfg: LabConfig) -> str:
    return f"http://{cfg.host}:{cfg.alertmanager_port}"


def base_dir(cfg: LabConfig) -> Path:
    return cfg.state_dir / "alertmanager"


def binary() -> str:
    path = (os.environ.get("SPOOKY_LAB_ALERTMANAGER_BIN") or shutil.which("prometheus-alertmanager")
            or shutil.which("alertmanager"))
    if not path:
        raise RuntimeError("prometheus-alertmanager not found on PATH (Debian: apt-get install prometheus-alertmanager)")
    return path


def command(cfg: LabConfig) -> List[str]:
    directory = base_dir(cfg)
    return [binary(), f"--config.file={directory / 'alertmanager.yml'}", f"--storage.path={directory / 'data'}",
            f"--web.listen-address={cfg.host}:{cfg.alertmanager_port}", "--cluster.listen-address=",
            "--log.level=warn"]


def wait_ready(cfg: LabConfig, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not processes.running(cfg, NAME):
            raise RuntimeError(f"{NAME} exited during start-up; see {cfg.log_dir / (NAME + '.log')}")
        try:
            with urllib.request.urlopen(f"{url(cfg)}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{NAME} did not answer on {url(cfg)}: {last}")


def start(cfg: LabConfig) -> List[str]:
    started = []
    if not processes.running(cfg, NAME):
        if not processes.port_free(cfg.host, cfg.alertmanager_port):
            raise RuntimeError(f"port {cfg.alertmanager_port} for Alertmanager is in use: set SPOOKY_LAB_ALERTMANAGER_PORT")
        (base_dir(cfg) / "data").mkdir(parents=True, exist_ok=True)
        (base_dir(cfg) / "alertmanager.yml").write_text(CONFIG)
        processes.start(cfg, NAME, command(cfg))
        started.append(NAME)
    wait_ready(cfg)
    return started


def describe(cfg: LabConfig) -> str:
    return f"alertmanager: {url(cfg)} (Prometheus sends its alerts there; /api/v2/alerts)"
