"""The lab's S3-compatible storage: moto in server mode on loopback, with the bucket `spooky-backups`.

moto keeps every object in memory (what `down` stops is lost) and accepts server-side encryption
headers without encrypting anything: the backups are encrypted client-side before they get here.
It takes any credentials; the lab's are the dummy ones below (also in inventories/lab).

The lab also holds the backup encryption key the playbooks use by default:
`<state dir>/backup/backup.key` (32 random bytes, base64, mode 0600), made once.
"""

import base64
import os
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List

from .. import processes
from ..config import LabConfig

NAME = "s3"
BUCKET = "spooky-backups"
REGION = "us-east-1"
ACCESS_KEY = "spooky-lab"
SECRET_KEY = "spooky-lab-secret"


def url(cfg: LabConfig) -> str:
    return f"http://{cfg.host}:{cfg.s3_port}"


def key_path(cfg: LabConfig) -> Path:
    return cfg.state_dir / "backup" / "backup.key"


def ensure_key(cfg: LabConfig) -> Path:
    path = key_path(cfg)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        tmp.chmod(0o600)
        tmp.replace(path)
    return path


# Objects stay in memory, as a lab store should: moto's default spills every object over 5 MB to a temporary file,
# which makes completing a multipart upload of a 200 MB dump cost a second of disk writes no real store has.
SERVER_ENV = {"PYTHONUNBUFFERED": "1", "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(4 << 30)}


def server_command(host: str, port: int) -> List[str]:
    return processes.python_module("moto.server", "-H", host, "-p", str(port))


def client(cfg: LabConfig):
    import boto3  # the lab's venv has it; imported late so that `spooky_lab status` does not need it

    return boto3.client("s3", endpoint_url=url(cfg), region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY)


def wait_ready(cfg: LabConfig, name: str, base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not processes.running(cfg, name):
            raise RuntimeError(f"{name} exited during start-up; see {cfg.log_dir / (name + '.log')}")
        try:
            with urllib.request.urlopen(f"{base_url}/moto-api/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer on {base_url}: {last}")


def seed(cfg: LabConfig) -> bool:
    """Create the backup bucket when it is missing; True if it was created."""
    s3 = client(cfg)
    if BUCKET in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        return False
    s3.create_bucket(Bucket=BUCKET)
    return True


def start(cfg: LabConfig) -> List[str]:
    started = []
    ensure_key(cfg)
    if not processes.running(cfg, NAME):
        if not processes.port_free(cfg.host, cfg.s3_port):
            raise RuntimeError(f"port {cfg.s3_port} for S3 (moto) is in use by another program: set SPOOKY_LAB_S3_PORT")
        processes.start(cfg, NAME, server_command(cfg.host, cfg.s3_port), env=SERVER_ENV)
        started.append(NAME)
    wait_ready(cfg, NAME, url(cfg))
    seed(cfg)
    return started


def describe(cfg: LabConfig) -> str:
    return (f"s3 (moto, in memory): {url(cfg)} bucket {BUCKET}, credentials {ACCESS_KEY}/{SECRET_KEY}; "
            f"backup key {key_path(cfg)}")

