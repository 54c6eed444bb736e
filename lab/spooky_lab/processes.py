"""Start and stop lab processes: each in its own session, tracked by a pid file, never left behind."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from .config import LabConfig

MARKER = "SPOOKY_LAB_PROCESS"


def _pid_file(cfg: LabConfig, name: str) -> Path:
    return cfg.pid_dir / f"{name}.pid"


def _is_ours(pid: int, name: str) -> bool:
    """A pid file can outlive its process (a reboot); only signal a process that carries our marker."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"{MARKER}={name}".encode() in environ


def running(cfg: LabConfig, name: str) -> Optional[int]:
    try:
        pid = int(_pid_file(cfg, name).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_ours(pid, name) else None


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start(cfg: LabConfig, name: str, argv: List[str], env: Optional[Dict[str, str]] = None, user: Optional[str] = None) -> int:
    """Start `argv` detached from our session, with its output in logs/<name>.log; returns its pid."""
    pid = running(cfg, name)
    if pid:
        return pid
    cfg.pid_dir.mkdir(parents=True, exist_ok=True)
    cfg.log_dir.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ, **(env or {}))
    full_env[MARKER] = name
    lab_dir = str(Path(__file__).resolve().parent.parent)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (lab_dir, full_env.get("PYTHONPATH", "")) if p)
    log = open(cfg.log_dir / f"{name}.log", "ab")
    try:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env,
                                start_new_session=True, cwd=str(cfg.state_dir), user=user)
    finally:
        log.close()
    _pid_file(cfg, name).write_text(str(proc.pid))
    return proc.pid


def log_tail(cfg: LabConfig, name: str, lines: int = 15) -> str:
    """The last lines of a lab process's log, for error messages (the state directory may be gone when they are read)."""
    try:
        text = (cfg.log_dir / f"{name}.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def python_module(module: str, *args: str) -> List[str]:
    return [sys.executable, "-m", module, *args]


def stop(cfg: LabConfig, name: str, timeout: float = 10.0) -> bool:
    """SIGTERM the process group, SIGKILL after `timeout`; True if something was running."""
    pid = running(cfg, name)
    if pid is None:
        _pid_file(cfg, name).unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while _alive(pid):
            time.sleep(0.05)
    _pid_file(cfg, name).unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def known(cfg: LabConfig) -> List[str]:
    if not cfg.pid_dir.exists():
        return []
    return sorted(p.stem for p in cfg.pid_dir.glob("*.pid"))
