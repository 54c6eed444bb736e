# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument handling, check mode and fault reporting of bus_publish and bus_stream_info (real publishing: tests/lab)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import bus_publish, bus_stream_info


def run(module, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_publish_check_mode_sends_nothing(capsys):
    code, result = run(bus_publish, capsys, servers=["nats://127.0.0.1:%d" % closed_port()], subject="config.update",
                       payload={"a": 1}, _ansible_check_mode=True)
    assert code == 0 and result["changed"] is True and result["published"] is False
    assert result["msg_id"].startswith("sha256-")


def test_publish_derived_id_is_stable():
    data = bus_publish.encode_payload({"b": 1, "a": 2})
    assert data == b'{"a":2,"b":1}'
    assert bus_publish.derived_msg_id("s", data) == bus_publish.derived_msg_id("s", bus_publish.encode_payload({"a": 2, "b": 1}))


@pytest.mark.parametrize("args,needle", [
    (dict(subject="a.*"), "subject"),
    (dict(subject="a b"), "subject"),
    (dict(servers=["127.0.0.1:4222"]), "servers"),
    (dict(timeout=0), "timeout"),
    (dict(msg_id=" "), "msg_id"),
    (dict(user="u"), "user and password"),
])
def test_publish_rejects_bad_input(capsys, args, needle):
    params = dict(servers=["nats://127.0.0.1:4222"], subject="config.update", payload="x")
    params.update(args)
    code, result = run(bus_publish, capsys, **params)
    assert code == 1 and needle in result["msg"]


def test_publish_unreachable(capsys):
    base = dict(servers=["nats://127.0.0.1:%d" % closed_port()], subject="config.update", payload="x", timeout=1)
    code, result = run(bus_publish, capsys, fail_on_unavailable=False, **base)
    assert code == 0 and result["bus_available"] is False and not result["changed"]
    code, result = run(bus_publish, capsys, **base)
    assert code == 1 and "unreachable" in result["msg"]


def test_stream_info_unreachable_is_data(capsys):
    code, result = run(bus_stream_info, capsys, servers=["nats://127.0.0.1:%d" % closed_port()], stream="NOTIFY", timeout=1)
    assert code == 0 and result["bus_available"] is False and "unreachable" in result["error"]


def test_stream_info_rejects_bad_names(capsys):
    code, result = run(bus_stream_info, capsys, servers=["nats://127.0.0.1:4222"], stream="a.b")
    assert code == 1 and "stream" in result["msg"]


def test_password_is_not_logged():
    from ansible_collections.spooky.ops.plugins.module_utils.bus.common import nats_argument_spec
    spec = nats_argument_spec()
    assert spec["password"]["no_log"] and spec["token"]["no_log"]
