"""The molecule scenarios (molecule/<family>/) against the test lab: converge, idempotence and verify of each
playbook family, so that `make test` covers them. Each scenario's molecule.yml says what it converges and why."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ansible_env

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))


def test_every_family_has_a_scenario():
    assert SCENARIOS == ["backup", "canary", "daily_check", "federation", "policy"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(lab, lab_env, scenario, tmp_path):
    env = ansible_env(lab_env)
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "NO_COLOR": "1",
        # molecule's ephemeral state of its own for this test run (never a developer's)
        "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "molecule"),
    })
    result = subprocess.run([str(Path(sys.executable).parent / "molecule"), "test", "--scenario-name", scenario],
                            env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    for step in ("converge", "idempotence", "verify"):
        assert f"{scenario} > {step}: Executed: Successful" in output, output[-3000:]
