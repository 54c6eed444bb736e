# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.thresholds import Threshold, ThresholdError, worst


@pytest.mark.parametrize("value,expected", [(0.0, "ok"), (0.01, "ok"), (0.011, "warning"), (0.05, "warning"), (0.051, "critical")])
def test_above(value, expected):
    assert Threshold("above", warning=0.01, critical=0.05).evaluate(value) == expected


@pytest.mark.parametrize("value,expected", [(0.938, "ok"), (0.88, "ok"), (0.87, "warning"), (0.85, "warning"), (0.82, "critical")])
def test_below_qek(value, expected):
    # Euystacio: QEK critical below 0.85, warning below 0.88 (seed 001).
    assert Threshold("below", warning=0.88, critical=0.85).evaluate(value) == expected


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), float("-inf"), "n/a", True])
def test_missing_or_non_finite_data_is_unknown_never_ok(value):
    assert Threshold("above", critical=1).evaluate(value) == "unknown"


def test_one_level_is_enough():
    assert Threshold("above", critical=2).evaluate(3) == "critical"
    assert Threshold("above", warning=2).evaluate(3) == "warning"


@pytest.mark.parametrize("kwargs,message", [
    (dict(direction="above", warning=0.1, critical=0.05), "must not be above critical"),
    (dict(direction="below", warning=0.8, critical=0.85), "must not be below critical"),
    (dict(direction="sideways", critical=1), "direction must be one of"),
    (dict(direction="above"), "set a warning or a critical level"),
    (dict(direction="above", critical="lots"), "must be a number"),
    (dict(direction="above", critical=float("nan")), "finite"),
])
def test_bad_definitions_are_rejected(kwargs, message):
    with pytest.raises(ThresholdError, match=message):
        Threshold(name="t", **kwargs)


def test_window_needs_every_sample_to_breach():
    t = Threshold("above", warning=1, critical=2)
    assert t.evaluate_window([3, 3, 3]) == "critical"
    assert t.evaluate_window([3, 1.5, 3]) == "warning"
    assert t.evaluate_window([3, 0, 3]) == "ok"
    assert t.evaluate_window([3, float("nan"), 3]) == "unknown"
    assert t.evaluate_window([]) == "unknown"


def test_worst_orders_statuses():
    assert worst([]) == "ok"
    assert worst(["ok", "unknown"]) == "unknown"
    assert worst(["unknown", "warning", "ok"]) == "warning"
    assert worst(["warning", "critical"]) == "critical"
