# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""spooky.ops.postgres_table_stats: input checks and an unreachable server as a clear failure (real stats run in the lab tests)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import postgres_table_stats

pytest.importorskip("psycopg2")


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            postgres_table_stats.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_named(capsys):
    code, result = run(capsys, db="orca", login_host="127.0.0.1", login_port=closed_port(), login_password="pw", connect_timeout=2)
    assert code == 1 and "cannot connect" in result["msg"] and "orca" in result["msg"] and "pw" not in result["msg"]


@pytest.mark.parametrize("args,message", [
    (dict(release_file="/tmp/x"), "missing parameter(s) required by 'release_file'"),
    (dict(hold_timeout=-1), "hold_timeout"),
])
def test_bad_input(capsys, args, message):
    code, result = run(capsys, db="orca", login_port=closed_port(), **args)
    assert code == 1 and message in result["msg"]
