# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.durations import format_duration, parse_duration


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("5m", 300), ("1h30m", 5400), ("7d", 604800), ("250ms", 0.25), (42, 42), ("15", 15)])
def test_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "m5", "5m3", "-5m", True, -1])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("seconds,text", [(0, "0s"), (59, "59s"), (300, "5m"), (5400, "1h30m"), (90061, "1d1h1m1s")])
def test_format_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
