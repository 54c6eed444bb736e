# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import Keyring
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey

T0 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400


@pytest.fixture
def key():
    return SigningKey.generate()


@pytest.fixture
def ring(key):
    ring = Keyring()
    ring.add(key.key_id, key.public_b64, T0)
    return ring


@pytest.fixture
def tree(tmp_path):
    """A small manifests directory."""
    root = tmp_path / "manifests"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "deployment.yaml").write_text("kind: Deployment\n")
    (root / "demo" / "service.yaml").write_text("kind: Service\n")
    (root / "namespace.yaml").write_text("kind: Namespace\n")
    return root
