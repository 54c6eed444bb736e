"""An environment for a lab of its own: a state directory and free ports for every lab service.

Tests and benchmarks use it so that they never touch a developer's lab on the default ports.
"""

import random
import socket
from typing import Dict

from . import config


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int, taken: set) -> int:
    for _ in range(500):
        base = random.randint(30000, 60000)
        ports = range(base, base + count)
        if not taken.intersection(ports) and all(_free(p) for p in ports):
            taken.update(ports)
            return base
    raise RuntimeError("no free block of loopback ports found")


def environment(state_dir: str) -> Dict[str, str]:
    """SPOOKY_LAB_* variables for a lab in `state_dir` on free ports (every port variable config.load reads)."""
    config.load()  # registers the port variables
    taken: set = set()
    env = {name: str(free_port_block(count, taken)) for name, count in sorted(config.PORT_VARIABLES.items())}
    env["SPOOKY_LAB_DIR"] = str(state_dir)
    return env
