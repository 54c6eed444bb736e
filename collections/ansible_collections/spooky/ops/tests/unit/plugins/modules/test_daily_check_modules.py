# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument handling, faults as data and idempotence of the daily check's modules; the lab tests run them for real."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.spooky.ops.plugins.modules import alerts_info, daily_report, endpoint_check, metric_thresholds


def run(capsys, module, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


QEK = dict(name="QEK", query="euystacio_qek", direction="below", warning=0.88, critical=0.85)


def test_metric_thresholds_reports_an_unreachable_prometheus_as_data(capsys):
    code, result = run(capsys, metric_thresholds, url="http://127.0.0.1:%d" % closed_port(), checks=[QEK], timeout=2)
    assert code == 0 and result["prometheus_available"] is False and "unreachable" in result["error"]
    assert result["results"] == [] and not result["changed"]


@pytest.mark.parametrize("check,message", [
    (dict(QEK, warning=0.8), "must not be below critical"),
    (dict(QEK, direction="down"), "direction must be one of"),
    (dict(QEK, **{"for": "soon"}), "invalid duration"),
    (dict(QEK, query=""), "query is required"),
])
def test_metric_thresholds_rejects_a_bad_check_before_any_query(capsys, check, message):
    code, result = run(capsys, metric_thresholds, url="http://127.0.0.1:%d" % closed_port(), checks=[check])
    assert code == 1 and message in result["msg"] and "nothing was queried" in result["msg"]
    assert "prometheus_available" not in result


def test_alerts_info_reports_unreadable_sources(capsys):
    code, result = run(capsys, alerts_info, url="http://127.0.0.1:%d" % closed_port(),
                       alertmanager_url="http://127.0.0.1:%d" % closed_port(), timeout=2)
    assert code == 0 and result["alerts"] == []
    assert [(s["name"], s["available"]) for s in result["sources"]] == [("prometheus", False), ("alertmanager", False)]


def test_endpoint_check_down_is_critical_data_and_bad_input_is_rejected(capsys):
    url = "http://127.0.0.1:%d/health" % closed_port()
    code, result = run(capsys, endpoint_check, url=url, timeout=2)
    assert code == 0 and result["status"] == "critical" and result["http_message"].startswith("unreachable")
    code, result = run(capsys, endpoint_check, endpoints=[{"url": url, "host": "east"}, {"url": url, "latency_warning_ms": 10}], timeout=2)
    assert code == 0 and [r.get("host") for r in result["results"]] == ["east", None]
    code, result = run(capsys, endpoint_check, endpoints=[{"url": "ftp://x"}])
    assert code == 1 and "endpoints[0]: url must start with http" in result["msg"]
    code, result = run(capsys, endpoint_check, url=url, latency_warning_ms=500, latency_critical_ms=100)
    assert code == 1 and "must not be above latency_critical_ms" in result["msg"]


def test_daily_report_writes_three_files_once(capsys, tmp_path):
    summary = {"status": "ok", "severity": None, "lines": ["Daily check: OK across 1 clusters (1 ok)", "  east       ok"],
               "clusters": {"east": {"status": "ok", "severity": None, "findings": [], "notes": ["backup freshness skipped"]}},
               "severity_table": []}
    target = str(tmp_path / "out")
    code, result = run(capsys, daily_report, summary=summary, path=target, generated_at="2026-01-01T00:00:00Z")
    assert code == 0 and result["changed"] and sorted(result["written"]) == ["html", "json", "markdown"]
    assert sorted(os.listdir(target)) == ["daily_check.html", "daily_check.json", "daily_check.md"]
    assert json.load(open(os.path.join(target, "daily_check.json")))["generated_at"] == "2026-01-01T00:00:00Z"
    code, result = run(capsys, daily_report, summary=summary, path=target, generated_at="2026-01-01T00:00:00Z")
    assert code == 0 and not result["changed"] and result["written"] == []
    code, result = run(capsys, daily_report, summary={"status": "ok"}, path=target)
    assert code == 1 and "pass the output of spooky.ops.daily_summary" in result["msg"]
