"""Alerting as code: the collection's Prometheus rules pass `promtool check` and their unit tests, and the
Grafana dashboards are valid JSON whose panels query metrics the rules and the daily check's catalogue know."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[1] / "collections/ansible_collections/spooky/ops"
RULES = sorted((COLLECTION / "files/prometheus/rules").glob("*.yml"))
RULE_TESTS = sorted((COLLECTION / "files/prometheus/tests").glob("*.yml"))
DASHBOARDS = sorted((COLLECTION / "files/grafana/dashboards").glob("*.json"))
CATALOGUE = yaml.safe_load((COLLECTION / "roles/daily_check/defaults/main/catalogue.yml").read_text())["daily_check_metric_catalogue"]
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus)")


def _rules():
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


def _known_metrics():
    known = set(CATALOGUE)
    known.update(rule["record"] for rule in _rules() if "record" in rule)
    return known


def test_the_seeds_alerts_are_all_there():
    alerts = {rule["alert"]: rule for rule in _rules() if "alert" in rule}
    assert {"HighErrorRate", "CriticalLatency", "SpookyAccuracyLow", "SpookyDailyCostHigh", "SpookyAbsorptionTrialSuccessLow",
            "SpookyCRDTDivergence", "QEKBelowMinimum", "HVARExceededMaximum", "OrcaHighErrorRate", "OrcaTrustScoreCritical",
            "OrcaSyncLagHigh", "OrcaDriftRateElevated", "SpyoncinoQueueSaturated"} <= set(alerts)
    assert alerts["HighErrorRate"]["expr"] == "job:error_rate:5m > 0.05" and alerts["HighErrorRate"]["for"] == "5m"
    assert alerts["CriticalLatency"]["expr"] == "job:request_duration_seconds:p95 > 2"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert rule["labels"]["priority"] in ("P0", "P1", "P2", "P3"), name
        assert rule["annotations"]["summary"], name


@needs_promtool
def test_promtool_check_rules():
    result = subprocess.run([PROMTOOL, "check", "rules", *map(str, RULES)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(path):
    result = subprocess.run([PROMTOOL, "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


_SERIES = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure_and_metrics(path):
    board = json.loads(path.read_text())
    assert board["uid"].startswith("spooky-ops-") and board["title"] and isinstance(board["schemaVersion"], int)
    assert {v["name"] for v in board["templating"]["list"]} >= {"datasource", "cluster"}
    assert board["panels"]
    known = _known_metrics()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["title"] and panel["type"] in ("timeseries", "stat", "gauge", "table")
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = _SERIES.findall(target["expr"])
            assert names, (panel["title"], target["expr"])
            unknown = set(names) - known
            assert not unknown, f"{path.name} panel {panel['title']!r} queries unknown metrics {unknown}"
            assert '$cluster' in target["expr"]


def test_the_five_dashboards_of_seed_000():
    assert {json.loads(p.read_text())["title"] for p in DASHBOARDS} == {"Overview", "Quality", "Spend", "Latency", "Absorption"}
