"""Bring the whole lab up and down: clusters, kubeconfig, demo workload, Prometheus and the demo app."""

import json
import time
import urllib.error
import urllib.request
from typing import Dict, List

from . import clusters, kubeconfig, processes, prometheus, services, workload
from .config import LabConfig


def _start_monitoring(cfg: LabConfig, kubeconfig_path) -> list:
    """Prometheus (with 30 minutes of backfilled history) and the demo app it scrapes."""
    started = []
    sd = cfg.state_dir
    if not processes.running(cfg, "prometheus"):
        prometheus.write_config(cfg, sd)
        prometheus.backfill(cfg, sd, kubeconfig=str(kubeconfig_path), contexts=cfg.clusters)
        processes.start(cfg, "prometheus", prometheus.prometheus_command(cfg, sd))
        started.append("prometheus")
    if not processes.running(cfg, "demo-app"):
        if not processes.port_free(cfg.host, cfg.demo_app_port):
            raise RuntimeError(f"port {cfg.demo_app_port} for the demo app is in use: set SPOOKY_LAB_DEMO_APP_PORT")
        processes.start(cfg, "demo-app", prometheus.demo_app_command(cfg, sd, str(kubeconfig_path), cfg.clusters))
        started.append("demo-app")
    for name, url, path in (("prometheus", prometheus.url(cfg), "/-/ready"), ("demo-app", prometheus.demo_app_url(cfg), "/healthz")):
        try:
            prometheus.wait_ready(url, timeout=30, path=path)
        except (TimeoutError, RuntimeError) as exc:
            raise RuntimeError(f"{name} did not start: {exc}; {cfg.log_dir / (name + '.log')} ends with:\n"
                               + processes.log_tail(cfg, name)) from exc
    return started


def _start_service(cfg: LabConfig, service) -> List[str]:
    """Start one service. A start-up that fails once - seen on a machine loaded by parallel test workers, a process
    gone before it answered - is retried once after stopping what it left; a second failure is reported."""
    before = {name for name in processes.known(cfg) if processes.running(cfg, name)}
    try:
        return service.start(cfg)
    except RuntimeError as first:
        for name in processes.known(cfg):
            if name not in before:
                processes.stop(cfg, name)
        processes.stop_strays(cfg)  # a first start taken for failed may still be running, untracked, on the port
        try:
            return service.start(cfg)
        except RuntimeError as second:
            raise RuntimeError(f"{second} (a first attempt failed too: {first})") from second


def up(cfg: LabConfig) -> str:
    began = time.monotonic()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    started = clusters.start_all(cfg)
    path = kubeconfig.write(cfg, cfg.state_dir / "pki" / "ca.crt", clusters.token(cfg))
    created = workload.seed(str(path), cfg.clusters)
    started += _start_monitoring(cfg, path)
    for service in services.ALL:
        started += _start_service(cfg, service)
    lines = [
        f"spooky lab up in {time.monotonic() - began:.1f}s (state in {cfg.state_dir})",
        f"  started: {', '.join(started) if started else 'nothing, all was running'}",
        f"  clusters: {', '.join(f'{c} https://{cfg.host}:{cfg.api_port(c)}' for c in cfg.clusters)}",
        f"  kubeconfig: {path} (contexts {', '.join(cfg.clusters)}); demo objects created: {created}",
        f"  prometheus: {prometheus.url(cfg)}   demo app: {prometheus.demo_app_url(cfg)}/metrics",
    ] + [f"  {service.describe(cfg)}" for service in services.ALL]
    return "\n".join(lines)


def down(cfg: LabConfig) -> str:
    stopped = clusters.stop_all(cfg)
    for name in processes.known(cfg):
        if processes.stop(cfg, name):
            stopped.append(name)
    stopped += [f"stray {what}" for what in processes.stop_strays(cfg)]
    return f"spooky lab down: stopped {', '.join(stopped) if stopped else 'nothing (not running)'}"


def status(cfg: LabConfig) -> Dict:
    result = {"state_dir": str(cfg.state_dir), "kubeconfig": str(cfg.kubeconfig), "clusters": {}, "processes": {}}
    for cluster in cfg.clusters:
        if processes.running(cfg, clusters.process_name(cluster)):
            try:
                result["clusters"][cluster] = clusters.control(cfg, cluster, "state")
            except (RuntimeError, OSError) as exc:
                result["clusters"][cluster] = {"error": str(exc)}
        else:
            result["clusters"][cluster] = {"running": False}
    for name in processes.known(cfg):
        result["processes"][name] = processes.running(cfg, name)
    result["up"] = all(v.get("reachable") is not None for v in result["clusters"].values())
    return result


def steer(cfg: LabConfig, action: str, cluster: str, path: str = None) -> Dict:
    if action == "partition":
        return clusters.control(cfg, cluster, "unreachable")
    if action == "heal":
        return clusters.control(cfg, cluster, "reachable")
    if action == "wipe":
        return clusters.control(cfg, cluster, "wipe")
    if action == "save":
        return clusters.save(cfg, cluster, path)
    if action == "load":
        return clusters.load(cfg, cluster, path)
    raise ValueError(f"unknown action {action!r}")


def set_scenario(cfg: LabConfig, cluster: str, scenario: str) -> Dict:
    """Choose the demo app's canary behaviour for one cluster: healthy, failing, slow or no-traffic."""
    if cluster not in cfg.clusters:
        raise ValueError(f"unknown cluster {cluster!r}: the lab has {', '.join(cfg.clusters)}")
    request = urllib.request.Request(f"{prometheus.demo_app_url(cfg)}/scenario/{cluster}", method="PUT",
                                     data=json.dumps({"canary": scenario}).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"demo app refused scenario {scenario!r}: {exc.read().decode(errors='replace')}") from exc
    except urllib.error.URLError as exc:
        raise RuntimeError(f"the demo app is not running ({exc.reason}): start the lab with `python -m spooky_lab up`") from exc
