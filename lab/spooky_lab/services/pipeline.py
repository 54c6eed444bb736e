"""The lab's notification pipeline (`spooky_lab.pipeline_app`): a notifier and an S3 uploader, each with a queue on the bus.

It listens on a loopback port chosen at start (`<state dir>/pipeline/port`) and registers itself with
the lab's Prometheus through file discovery (`<state dir>/prometheus/targets/pipeline.json`, job
`lab-services`). Control commands go over NATS (see the app's docstring); POST /flood fills the queue.
"""

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List

from .. import processes, prometheus
from ..config import LabConfig
from . import nats

NAME = "pipeline"


def base_dir(cfg: LabConfig) -> Path:
    return cfg.state_dir / "pipeline"


def port_file(cfg: LabConfig) -> Path:
    return base_dir(cfg) / "port"


def url(cfg: LabConfig) -> str:
    return f"http://{cfg.host}:{int(port_file(cfg).read_text().strip())}"


def command(cfg: LabConfig) -> List[str]:
    return processes.python_module("spooky_lab.pipeline_app", "--nats-url", nats.url(cfg), "--host", cfg.host,
                                   "--port-file", str(port_file(cfg)),
                                   "--targets-file", str(prometheus.targets_dir(cfg.state_dir) / "pipeline.json"))


def request(cfg: LabConfig, path: str, body=None, timeout: float = 5.0) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url(cfg) + path, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return json.loads(response.read())


def flood(cfg: LabConfig, count: int, **rates) -> dict:
    return request(cfg, "/flood", dict(count=count, **rates))


def state(cfg: LabConfig) -> dict:
    return request(cfg, "/state")


def start(cfg: LabConfig) -> List[str]:
    started = []
    base_dir(cfg).mkdir(parents=True, exist_ok=True)
    prometheus.targets_dir(cfg.state_dir).mkdir(parents=True, exist_ok=True)
    if not processes.running(cfg, NAME):
        port_file(cfg).unlink(missing_ok=True)
        processes.start(cfg, NAME, command(cfg), env={"PYTHONUNBUFFERED": "1"})
        started.append(NAME)
    deadline = time.monotonic() + 30
    while True:
        try:
            if state(cfg).get("bus_up"):
                return started
        except (OSError, ValueError, urllib.error.URLError):
            pass
        if not processes.running(cfg, NAME) or time.monotonic() > deadline:
            raise RuntimeError(f"the pipeline app did not start; {cfg.log_dir / (NAME + '.log')} ends with:\n"
                               + processes.log_tail(cfg, NAME))
        time.sleep(0.1)


def describe(cfg: LabConfig) -> str:
    try:
        where = f"{url(cfg)}/metrics (POST /flood)"
    except (OSError, ValueError):
        where = "not running"
    return f"pipeline (notifier and uploader queues on NATS, commands on dashboard.control.command / config.update): {where}"
