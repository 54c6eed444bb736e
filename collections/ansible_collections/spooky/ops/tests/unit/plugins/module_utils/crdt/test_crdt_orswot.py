# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.orswot import ORSWOT

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LAW_EXAMPLES = 1000
REPLICAS = 3

elements = st.sampled_from(["gpu", "llm", "tts", "ocr"])
replica_index = st.integers(0, REPLICAS - 1)
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), replica_index, elements),
    st.tuples(st.just("remove"), replica_index, elements),
    st.tuples(st.just("merge"), replica_index, replica_index),
), max_size=30)


def run(ops):
    """Reachable states: each replica adds only as its own actor; merges happen in any order."""
    sets = [ORSWOT() for dummy in range(REPLICAS)]
    for op in ops:
        if op[0] == "add":
            sets[op[1]].add(op[2], "r%d" % op[1])
        elif op[0] == "remove":
            sets[op[1]].remove(op[2])
        else:
            sets[op[1]] = sets[op[1]].merge(sets[op[2]])
    return sets


@settings(max_examples=LAW_EXAMPLES, **SETTINGS)
@given(operations)
def test_merge_laws(ops):
    """Commutativity, associativity and idempotence on reachable states."""
    a, b, c = run(ops)
    before = (a.encode(), b.encode(), c.encode())
    ab = a.merge(b)
    assert ab.encode() == b.merge(a).encode(), "commutativity"
    assert ab.merge(c).encode() == a.merge(b.merge(c)).encode(), "associativity"
    assert a.merge(a) == a, "idempotence"
    assert ab.merge(b) == ab and ab.merge(a) == ab, "absorption of merged inputs"
    assert (a.encode(), b.encode(), c.encode()) == before, "inputs must not be modified"


@settings(max_examples=300, **SETTINGS)
@given(operations)
def test_encode_decode_round_trip(ops):
    for state in run(ops):
        assert ORSWOT.decode(state.encode()) == state


def test_concurrent_add_wins_over_remove():
    a = ORSWOT()
    a.add("gpu", "a")
    b = a.merge(ORSWOT())
    b.remove("gpu")  # b removes what it observed
    a.add("gpu", "a")  # concurrently a re-adds with a new dot
    assert "gpu" in a.merge(b)
    assert "gpu" in b.merge(a)


def test_observed_remove_propagates_without_tombstone():
    a = ORSWOT()
    a.add("gpu", "a")
    b = ORSWOT().merge(a)
    b.remove("gpu")
    assert b.entries == {}
    assert b.clock == {"a": 1}  # the causal context remembers the removed dot
    assert "gpu" not in a.merge(b)
    assert "gpu" not in b.merge(a)


def test_remove_of_unseen_add_does_not_remove_it():
    a = ORSWOT()
    b = ORSWOT()
    a.add("gpu", "a")
    assert not b.remove("gpu")
    assert a.merge(b).value() == ["gpu"]


def test_readd_after_remove_and_value():
    s = ORSWOT()
    s.add("b", "n")
    s.add("a", "n")
    s.remove("b")
    s.add("b", "n")
    assert s.value() == ["a", "b"]
    assert len(s) == 2
    assert s.clock == {"n": 3}


def test_merge_into_reports_change():
    a = ORSWOT()
    b = ORSWOT()
    b.add("x", "b")
    assert a.merge_into(b)
    assert not a.merge_into(b)
    assert "x" in a


def test_add_validates():
    with pytest.raises(ValueError):
        ORSWOT().add("", "a")
    with pytest.raises(ValueError):
        ORSWOT().add("x", "")


@pytest.mark.parametrize("raw, fragment", [
    ('{"clock":{},"entries":{},"type":"orswot","v":1,"deferred":{}}', "unknown field(s) 'deferred'"),
    ('{"clock":{"a":0},"entries":{},"type":"orswot","v":1}', "expected an integer >= 1"),
    ('{"clock":{"a":"1"},"entries":{},"type":"orswot","v":1}', "expected an integer, got string"),
    ('{"clock":{"a":1},"entries":{"x":{"a":2}},"type":"orswot","v":1}', "not covered by the set clock"),
    ('{"clock":{"a":1},"entries":{"x":{"b":1}},"type":"orswot","v":1}', "not covered by the set clock"),
    ('{"clock":{"a":1},"entries":{"x":{}},"type":"orswot","v":1}', "element without dots"),
    ('{"clock":{"a":1},"entries":{"x":[1]},"type":"orswot","v":1}', "expected an object, got array"),
    ('{"clock":[],"entries":{},"type":"orswot","v":1}', "orswot.clock: expected an object"),
    ('{"clock":{"":1},"entries":{},"type":"orswot","v":1}', "empty actor id"),
    ('{"clock":{},"entries":{},"type":"pn-counter","v":1}', "expected type 'orswot'"),
])
def test_decode_errors(raw, fragment):
    with pytest.raises(DecodeError) as info:
        ORSWOT.decode(raw)
    assert fragment in str(info.value)
