# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import ClockSkewError, DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import (
    HLC,
    format_stamp,
    make_stamp,
    stamp_from_obj,
    stamp_to_obj,
    wall_clock_ms,
)


class FakeClock:
    def __init__(self, now=1000):
        self.now = now

    def __call__(self):
        return self.now


def test_now_uses_physical_time_and_resets_logical():
    clock = FakeClock(1000)
    hlc = HLC("a", clock)
    assert hlc.now() == (1000, 0, "a")
    assert hlc.now() == (1000, 1, "a")
    clock.now = 1005
    assert hlc.now() == (1005, 0, "a")


def test_now_is_monotonic_when_physical_clock_goes_backwards():
    clock = FakeClock(5000)
    hlc = HLC("a", clock)
    first = hlc.now()
    clock.now = 4000
    second = hlc.now()
    third = hlc.now()
    assert first < second < third
    assert second == (5000, 1, "a")
    assert third == (5000, 2, "a")


def test_update_takes_remote_wall_when_remote_is_ahead():
    clock = FakeClock(1000)
    hlc = HLC("a", clock, max_offset_ms=500)
    hlc.now()
    assert hlc.update((1200, 7, "b")) == (1200, 8, "a")


def test_update_with_equal_walls_takes_max_logical_plus_one():
    clock = FakeClock(1000)
    hlc = HLC("a", clock)
    hlc.now()
    hlc.now()
    hlc.now()  # (1000, 2)
    assert hlc.update((1000, 1, "b")) == (1000, 3, "a")
    assert hlc.update((1000, 9, "b")) == (1000, 10, "a")


def test_update_with_old_remote_increments_local_logical():
    clock = FakeClock(1000)
    hlc = HLC("a", clock)
    hlc.now()
    assert hlc.update((10, 50, "b")) == (1000, 1, "a")


def test_update_with_physical_ahead_resets_logical():
    clock = FakeClock(1000)
    hlc = HLC("a", clock)
    hlc.now()
    clock.now = 2000
    assert hlc.update((1500, 3, "b")) == (2000, 0, "a")


def test_update_result_is_greater_than_remote_and_previous():
    clock = FakeClock(1000)
    hlc = HLC("a", clock, max_offset_ms=10000)
    previous = hlc.now()
    for remote in [(1000, 5, "z"), (3000, 0, "b"), (2999, 99, "c"), (3000, 4, "a")]:
        stamp = hlc.update(remote)
        assert stamp[:2] > remote[:2]
        assert stamp > previous
        previous = stamp


def test_guard_rejects_remote_beyond_max_offset_and_names_node_and_offset():
    clock = FakeClock(10000)
    hlc = HLC("local", clock, max_offset_ms=500)
    before = hlc.now()
    with pytest.raises(ClockSkewError) as info:
        hlc.update((10501, 0, "eu-west-2"))
    message = str(info.value)
    assert "'eu-west-2'" in message
    assert "501 ms" in message
    assert "500 ms" in message
    assert info.value.node_id == "eu-west-2"
    assert info.value.offset_ms == 501
    assert info.value.max_offset_ms == 500
    assert info.value.reason == "clock_future"
    assert hlc.last == before  # untouched


def test_guard_accepts_exactly_max_offset():
    clock = FakeClock(10000)
    hlc = HLC("local", clock, max_offset_ms=500)
    assert hlc.update((10500, 0, "b")) == (10500, 1, "local")


def test_check_remote_does_not_change_state():
    clock = FakeClock(10000)
    hlc = HLC("local", clock, max_offset_ms=100)
    assert hlc.check_remote((10050, 0, "b")) == 50
    assert hlc.last == (0, 0, "local")
    with pytest.raises(ClockSkewError):
        hlc.check_remote((10101, 0, "b"))


def test_total_order_breaks_ties_by_node_id():
    stamps = [(5, 1, "b"), (5, 1, "a"), (5, 0, "z"), (4, 9, "z"), (5, 1, "c")]
    assert sorted(stamps) == [(4, 9, "z"), (5, 0, "z"), (5, 1, "a"), (5, 1, "b"), (5, 1, "c")]


def test_resume_from_persisted_stamp():
    clock = FakeClock(100)
    hlc = HLC("a", clock, last=(5000, 3, "a"))
    assert hlc.last == (5000, 3, "a")
    assert hlc.now() == (5000, 4, "a")


def test_copy_is_independent():
    clock = FakeClock(100)
    hlc = HLC("a", clock)
    other = hlc.copy()
    hlc.now()
    assert other.last == (0, 0, "a")
    assert hlc.copy("b").last == (100, 0, "b")


def test_constructor_validation():
    with pytest.raises(ValueError):
        HLC("")
    with pytest.raises(ValueError):
        HLC("a", max_offset_ms=-1)
    with pytest.raises(ValueError):
        HLC("a", last=(-1, 0, "a"))


def test_default_physical_clock_is_wall_clock_ms():
    hlc = HLC("a")
    stamp = hlc.now()
    assert abs(stamp[0] - int(time.time() * 1000)) < 5000
    assert isinstance(wall_clock_ms(), int)


@pytest.mark.parametrize("parts", [(-1, 0, "a"), (0, -1, "a"), (True, 0, "a"), (0, 1.5, "a"), (0, 0, ""), (0, 0, 3)])
def test_make_stamp_rejects_bad_parts(parts):
    with pytest.raises(ValueError):
        make_stamp(*parts)


@pytest.mark.parametrize("obj, fragment", [
    ([1, 2], "expected [wall_ms, logical, node_id]"),
    ("1.2@a", "expected [wall_ms, logical, node_id]"),
    ([-1, 0, "a"], "wall_ms must be an integer >= 0"),
    ([1, "0", "a"], "logical must be an integer >= 0"),
    ([1, False, "a"], "logical must be an integer >= 0"),
    ([1, 0, ""], "node id must be a non-empty string"),
    ([1.0, 0, "a"], "wall_ms must be an integer >= 0"),
])
def test_stamp_from_obj_errors(obj, fragment):
    with pytest.raises(DecodeError) as info:
        stamp_from_obj(obj, "doc.clock")
    assert fragment in str(info.value)
    assert "doc.clock" in str(info.value)


def test_stamp_round_trip_and_format():
    stamp = make_stamp(12, 3, "n")
    assert stamp_from_obj(stamp_to_obj(stamp)) == stamp
    assert format_stamp(stamp) == "12.3@n"
