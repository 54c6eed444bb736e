# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.federation_state and crdt_reconcile without a cluster: bad arguments are refused before anything is
read or written. The cluster side is tested against the lab: tests/lab/test_federation.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import crdt_reconcile, federation_state


def run(module, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no client may be created for bad arguments")
    monkeypatch.setattr(federation_state, "get_api_client", refuse)
    monkeypatch.setattr(crdt_reconcile, "get_api_client", refuse)


@pytest.mark.parametrize("args, message", [
    ({"operation": "set", "map": "router_weights", "key": "a"}, "value is required"),
    ({"operation": "set", "map": "Router-Weights", "key": "a", "value": 1}, "not a valid map name"),
    ({"operation": "delete", "map": "router_weights"}, "key is required"),
    ({"operation": "quarantine"}, "capability is required"),
    ({"operation": "add_spend", "amount": 0}, "amount must be a positive integer"),
    ({"operation": "read", "shard_bytes": 2}, "shard_bytes"),
    ({"operation": "frobnicate"}, "operation"),
])
def test_federation_state_refuses_bad_arguments(capsys, args, message):
    args.setdefault("context", "lab-east")
    code, result = run(federation_state, capsys, **args)
    assert code == 1 and result["failed"] and message in result["msg"]


def test_federation_state_needs_a_node_id(capsys):
    code, result = run(federation_state, capsys, operation="read")
    assert code == 1 and "node_id is required" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"clusters": []}, "at least one"),
    ({"clusters": ["a", "a"]}, "more than once"),
    ({"clusters": ["a", "b"], "primary": "c"}, "not one of clusters"),
    ({"clusters": ["a"], "budget": -1}, "budget"),
    ({"clusters": ["a"], "mode": "snapshot"}, "snapshot_path is required"),
    ({"clusters": ["a"], "mode": "merge"}, "mode"),
])
def test_crdt_reconcile_refuses_bad_arguments(capsys, args, message):
    code, result = run(crdt_reconcile, capsys, **args)
    assert code == 1 and result["failed"] and message in result["msg"]
