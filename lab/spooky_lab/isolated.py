"""An environment for a lab of its own: a state directory and free ports for every lab service.

Tests and benchmarks use it so that they never touch a developer's lab on the default ports.
"""

import os
import random
import socket
from typing import Dict, Tuple

from . import config

# Ports for labs of their own come from below Linux's ephemeral range (32768-60999 by default), where outgoing
# connections never take them between our check and the service's bind, and above the default lab's ports (< 20000).
PORT_RANGE = (20000, 32700)
# Every port handed out in this process: a test session may start two labs (the session's and a module's own).
_TAKEN: set = set()


def port_range() -> Tuple[int, int]:
    """This process's share of PORT_RANGE: a pytest-xdist worker (PYTEST_XDIST_WORKER=gwN) gets slice N of as many
    as there are workers, so that labs started at the same moment by parallel workers never pick the same ports."""
    low, high = PORT_RANGE
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit() and int(count) > 1):
        return low, high
    size = (high - low) // int(count)
    index = int(worker[2:]) % int(count)
    return low + index * size, low + (index + 1) * size


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int, taken: set) -> int:
    low, high = port_range()
    for _ in range(500):
        base = random.randint(low, high - count)
        ports = range(base, base + count)
        if not taken.intersection(ports) and all(_free(p) for p in ports):
            taken.update(ports)
            return base
    raise RuntimeError("no free block of loopback ports found")


def environment(state_dir: str) -> Dict[str, str]:
    """SPOOKY_LAB_* variables for a lab in `state_dir` on free ports (every port variable config.load reads)."""
    config.load()  # registers the port variables
    env = {name: str(free_port_block(count, _TAKEN)) for name, count in sorted(config.PORT_VARIABLES.items())}
    env["SPOOKY_LAB_DIR"] = str(state_dir)
    return env
