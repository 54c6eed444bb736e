# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.backup_retention against an in-process S3 (moto): check mode, pruning, idempotency, faults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import backup_retention

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

BASE = dict(bucket="spooky-backups", prefix="lab", source="redis", region="us-east-1", access_key="test", secret_key="test-secret",
            now="2026-03-01T12:00:00Z")


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            backup_retention.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def put_set(client, set_id, complete=True, verified=False):
    prefix = "lab/redis/%s/" % set_id
    client.put_object(Bucket="spooky-backups", Key=prefix + "dump.rdb.enc", Body=b"x")
    if complete:
        client.put_object(Bucket="spooky-backups", Key=prefix + "manifest.json", Body=b"{}")
    if verified:
        client.put_object(Bucket="spooky-backups", Key=prefix + "verified.json", Body=b"{}")


def listed(client):
    return sorted({k["Key"].split("/")[2] for k in client.list_objects_v2(Bucket="spooky-backups", Prefix="lab/redis/").get("Contents", [])})


def test_check_mode_then_prune_then_nothing(capsys, store):
    days = ["202602%02dT020000Z" % d for d in range(1, 29)]
    for index, set_id in enumerate(days):
        put_set(store, set_id, verified=index == 0)
    code, check = run(capsys, policy={"daily": 3}, _ansible_check_mode=True, **BASE)
    assert code == 0 and check["changed"] and listed(store) == days
    code, first = run(capsys, policy={"daily": 3}, **BASE)
    assert code == 0 and first["changed"] and first["pruned"] == check["pruned"]
    assert listed(store) == [days[0]] + days[-3:]  # the only verified set, and the 3 newest days
    code, second = run(capsys, policy={"daily": 3}, **BASE)
    assert code == 0 and not second["changed"] and second["pruned"] == []


def test_nothing_goes_until_the_new_set_completes(capsys, store):
    for day in range(1, 10):
        put_set(store, "202602%02dT020000Z" % day)
    put_set(store, "20260301T115900Z", complete=False)
    code, result = run(capsys, profile="orca-postgres", after_set="20260301T115900Z", **BASE)
    assert code == 0 and not result["changed"] and "has not completed" in result["blocked"]
    assert len(listed(store)) == 10


def test_profiles_and_diff(capsys, store):
    for hour in range(0, 24):
        put_set(store, "20260301%02d0000Z" % hour)
    args = dict(BASE)
    args.update(now="2026-03-02T00:00:00Z", profile="phoenix-redis", _ansible_diff=True)
    code, result = run(capsys, **args)
    assert code == 0 and result["policy"]["hourly"] == 24 and not result["pruned"]
    assert "diff" in result


def test_unreachable_store_is_reported(capsys, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, result = run(capsys, policy={"daily": 1}, endpoint_url="http://127.0.0.1:%d" % port, **BASE)
    assert code == 1 and result["store_available"] is False and "cannot list" in result["msg"]


@pytest.mark.parametrize("extra,message", [
    (dict(policy={"daily": 0}), "must keep something"),
    (dict(policy={"daily": 1}, rpo="soon"), "invalid duration"),
    (dict(policy={"daily": 1}, after_set="tonight"), "not a UTC timestamp"),
    (dict(policy={"daily": 1}, source="Bad/Name"), "source name"),
    (dict(), "one of the following is required: policy, profile"),
])
def test_bad_input_is_rejected_before_the_store_is_touched(capsys, extra, message):
    args = dict(BASE, endpoint_url="http://127.0.0.1:1")
    args.update(extra)
    code, result = run(capsys, **args)
    assert code == 1 and message in result["msg"] and "store_available" not in result
