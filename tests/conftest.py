"""Fixtures for the tests that run against the lab.

The `lab` fixture starts a whole lab of its own, in a temporary directory and on free ports, so a
developer's lab on the default ports is never touched; it stops it at the end and checks that no
lab process is left behind.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))

from spooky_lab import config as lab_config  # noqa: E402
from spooky_lab import isolated  # noqa: E402
from spooky_lab import lab as lab_control  # noqa: E402
from spooky_lab import processes  # noqa: E402

def lab_state_dir():
    """A state directory for a test lab, outside pytest's basetemp: pytest resets its root to mode 0700 whenever a
    session starts, which would cut the lab's PostgreSQL (running as the postgres user) off from its data directory
    whenever a second pytest session starts on the same machine. The caller removes it."""
    return Path(tempfile.mkdtemp(prefix="spooky-lab-test-"))


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory):
    """Environment variables that point the lab CLI, the inventory and the playbooks at the test lab."""
    state = lab_state_dir()
    env = isolated.environment(state)
    env["SPOOKY_REPORTS_DIR"] = str(tmp_path_factory.mktemp("reports"))
    yield env
    shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def environ(values):
    """os.environ with `values` set inside the block, as it was after it (the lab CLI and its children read it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def stop_lab(cfg) -> list:
    """Stop a test lab; returns the names of its processes still running after it (the caller fails on any)."""
    lab_control.down(cfg)
    return ([name for name in processes.known(cfg) if processes.running(cfg, name)]
            + [f"{name} (pid {pid}, untracked)" for pid, name in processes.strays(cfg)])


@pytest.fixture(scope="session")
def lab(lab_env):
    with environ(lab_env):
        cfg = lab_config.load()
        try:
            lab_control.up(cfg)
            yield cfg
        finally:
            left = stop_lab(cfg)
        assert not left, f"lab processes left behind: {left}"


def ansible_env(lab_env) -> dict:
    env = dict(os.environ, **lab_env)
    env.update({
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'collections'}:{REPO / '.deps' / 'collections'}",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PYTHONPATH": str(REPO / "lab"),
    })
    return env


@pytest.fixture
def run_playbook(lab, lab_env):
    """Run a playbook of the repository against the test lab; returns the CompletedProcess (output in .stdout)."""
    def run(playbook: str, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / playbook), "-i", str(REPO / "inventories" / "lab"), *args]
        if check:
            cmd.append("--check")
        return subprocess.run(cmd, env=ansible_env(lab_env), cwd=REPO, capture_output=True, text=True, timeout=600)
    return run


def descendants(pid):
    """Every process under `pid` (Ansible runs modules in sessions of their own: killing the group is not enough)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid):
    for child in [pid] + descendants(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_when(proc, caught, timeout=240.0):
    """Poll `caught()` while `proc` runs and kill its whole tree the moment it is true; True if it was caught in time.
    The process is dead and reaped afterwards either way."""
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if caught():
                kill_tree(proc.pid)  # ansible-playbook, the module and what it runs
                return True
            time.sleep(0.02)
        return False
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
        proc.wait()
