"""Bring the whole lab up and down: clusters, kubeconfig, demo workload, Prometheus and the demo app."""

import time
from typing import Dict

from . import clusters, kubeconfig, processes, workload
from .config import LabConfig


def up(cfg: LabConfig) -> str:
    began = time.monotonic()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    started = clusters.start_all(cfg)
    path = kubeconfig.write(cfg, cfg.state_dir / "pki" / "ca.crt", clusters.token(cfg))
    created = workload.seed(str(path), cfg.clusters)
    lines = [
        f"spooky lab up in {time.monotonic() - began:.1f}s (state in {cfg.state_dir})",
        f"  clusters: {', '.join(f'{c} https://{cfg.host}:{cfg.api_port(c)}' for c in cfg.clusters)}"
        + (f" (started {', '.join(started)})" if started else " (already running)"),
        f"  kubeconfig: {path} (contexts {', '.join(cfg.clusters)}); demo objects created: {created}",
    ]
    return "\n".join(lines)


def down(cfg: LabConfig) -> str:
    stopped = clusters.stop_all(cfg)
    for name in processes.known(cfg):
        if processes.stop(cfg, name):
            stopped.append(name)
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
    raise RuntimeError("the demo app is not part of the lab yet")
