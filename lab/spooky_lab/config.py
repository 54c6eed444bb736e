"""Where the lab lives: state directory, ports and cluster names.

Every number here can be overridden from the environment so that two labs (or a test
and a developer's lab) can run side by side on one machine.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CLUSTERS = ("lab-east", "lab-west", "lab-edge")
PRIMARY_CLUSTER = "lab-east"


# Every port variable the lab reads (filled by load()): name -> how many consecutive ports it takes.
PORT_VARIABLES: dict = {}


def _port(name: str, default: int) -> int:
    variable = f"SPOOKY_LAB_{name}_PORT"
    PORT_VARIABLES[variable] = len(CLUSTERS) if name.endswith("_BASE") else 1
    return int(os.environ.get(variable, default))


@dataclass(frozen=True)
class LabConfig:
    state_dir: Path
    host: str = "127.0.0.1"
    clusters: tuple = CLUSTERS
    # Kubernetes API (HTTPS) of cluster i is api_port_base + i, its control port control_port_base + i.
    api_port_base: int = 16441
    control_port_base: int = 17441
    prometheus_port: int = 19090
    demo_app_port: int = 19101
    # Reserved for the services later issues add to the lab.
    postgres_port: int = 15432
    redis_port: int = 16379
    s3_port: int = 15000
    nats_port: int = 14222
    nats_monitor_port: int = 18222
    alertmanager_port: int = 19093
    # The lab's HTTPS health endpoint of cluster i listens on health_port_base + i.
    health_port_base: int = 19443
    # How the demo workload splits traffic: "gateway" (HTTPRoute demo) or "nginx" (Ingress demo-canary).
    # The demo app reads the canary weight from that object only.
    traffic_provider: str = "gateway"
    extra: dict = field(default_factory=dict)

    def api_port(self, cluster: str) -> int:
        return self.api_port_base + self.clusters.index(cluster)

    def control_port(self, cluster: str) -> int:
        return self.control_port_base + self.clusters.index(cluster)

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def pid_dir(self) -> Path:
        return self.state_dir / "pids"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


def load() -> LabConfig:
    state_dir = Path(os.environ.get("SPOOKY_LAB_DIR", REPO_ROOT / ".lab")).resolve()
    return LabConfig(
        state_dir=state_dir,
        api_port_base=_port("API_BASE", 16441),
        control_port_base=_port("CONTROL_BASE", 17441),
        prometheus_port=_port("PROMETHEUS", 19090),
        demo_app_port=_port("DEMO_APP", 19101),
        postgres_port=_port("POSTGRES", 15432),
        redis_port=_port("REDIS", 16379),
        s3_port=_port("S3", 15000),
        nats_port=_port("NATS", 14222),
        nats_monitor_port=_port("NATS_MONITOR", 18222),
        alertmanager_port=_port("ALERTMANAGER", 19093),
        health_port_base=_port("HEALTH_BASE", 19443),
        traffic_provider=_traffic_provider(),
    )


def _traffic_provider() -> str:
    provider = os.environ.get("SPOOKY_LAB_TRAFFIC", "gateway")
    if provider not in ("gateway", "nginx"):
        raise ValueError(f"SPOOKY_LAB_TRAFFIC must be gateway or nginx, got {provider!r}")
    return provider
