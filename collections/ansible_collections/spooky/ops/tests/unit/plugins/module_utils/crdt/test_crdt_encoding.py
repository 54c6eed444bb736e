# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.encoding import (
    canonical_bytes,
    canonical_dumps,
    check_header,
    check_json_value,
    check_object,
    strict_loads,
    value_fingerprint,
)
from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError, InvalidJSONError

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=8,
)


def test_canonical_dumps_sorts_keys_without_whitespace():
    assert canonical_dumps({"b": 1, "a": [1, {"d": None, "c": "é"}]}) == '{"a":[1,{"c":"é","d":null}],"b":1}'
    assert canonical_bytes({"k": "é"}) == b'{"k":"\xc3\xa9"}'


def test_canonical_dumps_is_independent_of_insertion_order():
    first = {"x": 1, "y": {"p": 1, "q": 2}}
    second = {"y": {"q": 2, "p": 1}, "x": 1}
    assert canonical_bytes(first) == canonical_bytes(second)


def test_canonical_dumps_rejects_nan():
    with pytest.raises(ValueError):
        canonical_dumps({"x": float("nan")})


@settings(max_examples=300, **SETTINGS)
@given(json_values)
def test_value_fingerprint_equals_canonical_json(value):
    assert value_fingerprint(value) == canonical_dumps(value)
    check_json_value(value)
    assert strict_loads(canonical_bytes(value)) == value


def test_value_fingerprint_distinguishes_python_equal_values():
    assert len(set(value_fingerprint(value) for value in (1, 1.0, True))) == 3


@pytest.mark.parametrize("raw, fragment", [
    (b'{"a":1,"a":2}', "duplicate object key"),
    (b'{"a":NaN}', "non-finite"),
    (b'{"a":Infinity}', "non-finite"),
    (b'{"a":1e400}', "overflows to a non-finite float"),
    (b'{"a":1} x', "not valid JSON"),
    (b'\xff\xfe', "not valid UTF-8"),
    (b'{"a":"\\ud800"}', "lone UTF-16 surrogate"),
    (b'', "not valid JSON"),
])
def test_strict_loads_rejects(raw, fragment):
    with pytest.raises(InvalidJSONError) as info:
        strict_loads(raw)
    assert fragment in str(info.value)
    assert info.value.reason == "invalid_json"


def test_strict_loads_accepts_surrogate_pair_and_nested_duplicates_are_checked():
    assert strict_loads(b'{"a":"\\ud834\\udd1e"}') == {"a": u"\U0001d11e"}
    with pytest.raises(InvalidJSONError):
        strict_loads('{"a":{"b":1,"b":1}}')
    with pytest.raises(InvalidJSONError):
        strict_loads(12)


@pytest.mark.parametrize("value", [(1, 2), {1, 2}, {1: "a"}, b"x", float("nan"), float("inf"), [object()], u"\ud800"])
def test_check_json_value_rejects(value):
    with pytest.raises(ValueError):
        check_json_value(value)


def test_check_object_reports_unknown_and_missing_fields():
    with pytest.raises(DecodeError) as info:
        check_object({"a": 1, "zz": 2}, "doc", ("a",))
    assert "unknown field(s) 'zz'" in str(info.value)
    with pytest.raises(DecodeError) as info:
        check_object({}, "doc", ("a",))
    assert "missing field(s) 'a'" in str(info.value)
    with pytest.raises(DecodeError) as info:
        check_object([], "doc", ("a",))
    assert "expected an object, got array" in str(info.value)


def test_check_header_type_and_version():
    check_header({"type": "t", "v": 1}, "doc", "t")
    with pytest.raises(DecodeError) as info:
        check_header({"type": "t", "v": 2}, "doc", "t")
    assert "unsupported format version 2" in str(info.value)
    with pytest.raises(DecodeError) as info:
        check_header({"type": "u", "v": 1}, "doc", "t")
    assert "expected type 't'" in str(info.value)
    with pytest.raises(DecodeError):
        check_header({"type": "t", "v": True}, "doc", "t")


def test_json_module_round_trip_of_canonical_output():
    doc = {"z": [1, 2.5, None, True], "a": {"é": "ü"}}
    assert json.loads(canonical_dumps(doc)) == doc
