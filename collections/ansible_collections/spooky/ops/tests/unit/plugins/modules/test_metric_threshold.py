# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's argument handling and fault reporting; real queries are tested against the lab's Prometheus."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import metric_threshold


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            metric_threshold.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BASE = dict(name="HighErrorRate", query="up", direction="above")


def test_unreachable_prometheus_is_reported_not_a_crash(capsys):
    code, result = run(capsys, url="http://127.0.0.1:%d" % closed_port(), warning=0.01, critical=0.05, timeout=2, **BASE)
    assert code == 0
    assert result["prometheus_available"] is False and result["status"] == "unknown"
    assert "unreachable" in result["error"] and not result["changed"]


@pytest.mark.parametrize("extra,message", [
    (dict(warning=0.1, critical=0.05), "must not be above critical"),
    (dict(critical=0.05, **{"for": "five minutes"}), "invalid duration"),
    (dict(critical=0.05, timeout=0), "timeout must be greater than 0"),
    (dict(), "one of the following is required: warning, critical"),
])
def test_bad_input_is_rejected_before_any_query(capsys, extra, message):
    # The URL points nowhere: a rejection must come before any attempt to connect.
    code, result = run(capsys, url="http://127.0.0.1:%d" % closed_port(), **dict(BASE, **extra))
    assert code == 1 and result["failed"]
    assert message in result["msg"]
    assert "prometheus_available" not in result


def test_token_is_not_logged():
    spec = metric_threshold.prometheus_common_argument_spec()
    assert spec["bearer_token"]["no_log"] and spec["password"]["no_log"]
    assert spec["validate_certs"]["default"] is True
