"""Start, stop and steer the emulated clusters (one process each) through their control ports."""

import json
import secrets
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List

from . import processes, tls
from .config import LabConfig


def process_name(cluster: str) -> str:
    return f"cluster-{cluster}"


def token(cfg: LabConfig) -> str:
    path = cfg.state_dir / "token"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def start_all(cfg: LabConfig) -> List[str]:
    """Start every cluster that is not running; returns the names started."""
    pki = cfg.state_dir / "pki"
    tls.ensure_ca(pki)
    cert, key = pki / "kube-apiserver.crt", pki / "kube-apiserver.key"
    if not cert.exists():
        cert, key = tls.issue(pki, "kube-apiserver")
    token(cfg)
    started = []
    for cluster in cfg.clusters:
        if processes.running(cfg, process_name(cluster)):
            continue
        for port in (cfg.api_port(cluster), cfg.control_port(cluster)):
            if not processes.port_free(cfg.host, port):
                raise RuntimeError(f"port {port} for {cluster} is in use by another program: "
                                   f"set SPOOKY_LAB_API_BASE_PORT / SPOOKY_LAB_CONTROL_BASE_PORT to move the lab")
        processes.start(cfg, process_name(cluster), processes.python_module(
            "spooky_lab.kube.server", "--name", cluster, "--host", cfg.host,
            "--port", str(cfg.api_port(cluster)), "--control-port", str(cfg.control_port(cluster)),
            "--cert", str(cert), "--key", str(key), "--token-file", str(cfg.state_dir / "token")))
        started.append(cluster)
    for cluster in cfg.clusters:
        wait_ready(cfg, cluster)
    return started


def ssl_context(cfg: LabConfig) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cfg.state_dir / "pki" / "ca.crt"))


def wait_ready(cfg: LabConfig, cluster: str, timeout: float = 20.0) -> None:
    url = f"https://{cfg.host}:{cfg.api_port(cluster)}/readyz"
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if not processes.running(cfg, process_name(cluster)):
            log = cfg.log_dir / f"{process_name(cluster)}.log"
            raise RuntimeError(f"{cluster} exited during start-up; see {log}")
        try:
            with urllib.request.urlopen(url, context=ssl_context(cfg), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"{cluster} did not become ready on {url}: {last_error}")


def control(cfg: LabConfig, cluster: str, action: str, body: Dict = None) -> Dict:
    """Call one cluster's control port: state, unreachable, reachable, save, load, wipe."""
    if cluster not in cfg.clusters:
        raise ValueError(f"unknown cluster {cluster!r}: the lab has {', '.join(cfg.clusters)}")
    url = f"http://{cfg.host}:{cfg.control_port(cluster)}/{action}"
    data = json.dumps(body or {}).encode() if action != "state" else None
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{cluster} {action}: {exc.read().decode(errors='replace')}") from exc


def save(cfg: LabConfig, cluster: str, path: Path) -> Dict:
    return control(cfg, cluster, "save", {"path": str(Path(path).resolve())})


def load(cfg: LabConfig, cluster: str, path: Path) -> Dict:
    return control(cfg, cluster, "load", {"path": str(Path(path).resolve())})


def stop_all(cfg: LabConfig) -> List[str]:
    return [cluster for cluster in cfg.clusters if processes.stop(cfg, process_name(cluster))]
