"""Write the lab kubeconfig: one context per emulated cluster, TLS verified against the lab CA."""

import base64
from pathlib import Path

import yaml

from .config import LabConfig


def write(cfg: LabConfig, ca_cert: Path, token: str) -> Path:
    ca_data = base64.b64encode(ca_cert.read_bytes()).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {"name": name, "cluster": {"server": f"https://{cfg.host}:{cfg.api_port(name)}", "certificate-authority-data": ca_data}}
            for name in cfg.clusters
        ],
        "users": [{"name": "lab-operator", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "lab-operator", "namespace": "default"}}
                     for name in cfg.clusters],
        "current-context": cfg.clusters[0],
    }
    path = cfg.kubeconfig
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
