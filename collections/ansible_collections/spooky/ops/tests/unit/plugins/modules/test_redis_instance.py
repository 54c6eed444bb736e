# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.redis_instance: a scratch redis-server on an RDB, started, found again, stopped; a bad RDB is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.module_utils.backup import rediscli
from ansible_collections.spooky.ops.plugins.modules import redis_instance

needs_redis = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            redis_instance.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@needs_redis
def test_start_on_an_rdb_find_it_again_and_stop(capsys, tmp_path):
    code, first = run(capsys, dir=str(tmp_path / "a"))
    try:
        assert code == 0 and first["changed"] and first["keyspace"] == {}
        rediscli.command("127.0.0.1", first["port"], "SET", "k", "v")
        rediscli.command("127.0.0.1", first["port"], "SAVE")
        code, again = run(capsys, dir=str(tmp_path / "a"))
        assert code == 0 and not again["changed"] and again["port"] == first["port"] and again["keyspace"] == {"db0": 1}
    finally:
        code, stopped = run(capsys, dir=str(tmp_path / "a"), state="stopped")
    assert code == 0 and stopped["changed"]
    code, loaded = run(capsys, dir=str(tmp_path / "b"), rdb=str(tmp_path / "a" / "dump.rdb"))
    try:
        assert code == 0 and loaded["keyspace"] == {"db0": 1} and loaded["port"] != 0
    finally:
        run(capsys, dir=str(tmp_path / "b"), state="stopped")
    code, nothing = run(capsys, dir=str(tmp_path / "b"), state="stopped")
    assert code == 0 and not nothing["changed"]


@needs_redis
def test_a_corrupt_rdb_is_refused_with_the_servers_words(capsys, tmp_path):
    bad = tmp_path / "bad.rdb"
    bad.write_bytes(b"REDIS0010" + b"\xfe\x00garbage" * 10)
    code, result = run(capsys, dir=str(tmp_path / "c"), rdb=str(bad), timeout=20)
    assert code == 1 and "redis-server" in result["msg"]


@pytest.mark.parametrize("args,message", [(dict(port=70000), "port must be"), (dict(timeout=0), "timeout must be positive")])
def test_bad_input(capsys, tmp_path, args, message):
    code, result = run(capsys, dir=str(tmp_path), **args)
    assert code == 1 and message in result["msg"]
