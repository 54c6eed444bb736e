# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.times import format_time, parse_time


@pytest.mark.parametrize("text", ["2026-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.999Z",
                                  "2026-01-01T01:00:00+01:00", "2025-12-31T19:00:00-0500", "2026-01-01T00:00Z"])
def test_rfc3339_forms(text):
    assert parse_time(text) == 1767225600


def test_round_trip_and_numbers():
    assert format_time(1767225600) == "2026-01-01T00:00:00Z"
    assert parse_time(format_time(1767225601)) == 1767225601
    assert parse_time(1767225600.7) == 1767225600
    assert parse_time(None) is None and format_time(None) is None


@pytest.mark.parametrize("text,message", [
    ("2026-01-01T00:00:00", "with a zone"),
    ("yesterday", "with a zone"),
    ("2026-02-30T00:00:00Z", "not a valid date"),
    (True, "expected an RFC 3339 time"),
])
def test_refused(text, message):
    with pytest.raises(SigningError, match=message):
        parse_time(text, "compromised_at")
