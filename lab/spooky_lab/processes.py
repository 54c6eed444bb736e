"""Start and stop lab processes: each in its own session, tracked by a pid file, never left behind."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .config import LabConfig

MARKER = "SPOOKY_LAB_PROCESS"
STATE_MARKER = "SPOOKY_LAB_STATE"  # the state directory of the lab a process belongs to: how strays are found


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
    full_env[STATE_MARKER] = str(cfg.state_dir)
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


def strays(cfg: LabConfig) -> List[Tuple[int, str]]:
    """(pid, name) of this lab's processes that no pid file tracks any more, by the markers in their environment:
    what a start-up retried after a false failure can leave behind. Only session leaders (a lab process's children,
    which inherit the markers, go with their leader's process group)."""
    state = f"{STATE_MARKER}={cfg.state_dir}".encode()
    tracked = {running(cfg, name) for name in known(cfg)}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            leader = os.getsid(pid) == pid
        except OSError:  # gone, or another user's
            continue
        if state not in environ or not leader or pid in tracked:
            continue
        name = next((item.split(b"=", 1)[1].decode(errors="replace") for item in environ if item.startswith(MARKER.encode() + b"=")), "?")
        found.append((pid, name))
    return found


def stop_strays(cfg: LabConfig, timeout: float = 10.0) -> List[str]:
    """Stop every stray of this lab (see strays); returns them as "name (pid N)"."""
    stopped = []
    for pid, name in strays(cfg):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if not _alive(pid):
                break
        stopped.append(f"{name} (pid {pid})")
    return stopped


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
