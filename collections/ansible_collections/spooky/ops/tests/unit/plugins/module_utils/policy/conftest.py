# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the policy tests: the collection's policies directory and small policy directories."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

POLICIES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "policies"))


@pytest.fixture
def policies_dir():
    return POLICIES


@pytest.fixture
def write_policies(tmp_path):
    """Write {relative path: text} under a fresh directory and return its path."""
    def write(files, name="bundle"):
        root = tmp_path / name
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return str(root)
    return write
