# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.spooky.ops.plugins.module_utils.crdt.errors import DecodeError
from ansible_collections.spooky.ops.plugins.module_utils.crdt.pncounter import PNCounter

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LAW_EXAMPLES = 1000

totals = st.dictionaries(st.sampled_from(["n1", "n2", "n3", "n4"]), st.integers(1, 10 ** 12), max_size=4)
counters = st.builds(PNCounter, totals, totals)


@settings(max_examples=LAW_EXAMPLES, **SETTINGS)
@given(counters, counters, counters)
def test_merge_laws(a, b, c):
    """Commutativity, associativity and idempotence on the same generated triple."""
    before = (a.encode(), b.encode(), c.encode())
    ab = a.merge(b)
    assert ab.encode() == b.merge(a).encode(), "commutativity"
    assert ab.merge(c).encode() == a.merge(b.merge(c)).encode(), "associativity"
    assert a.merge(a) == a, "idempotence"
    assert ab.merge(b) == ab and ab.merge(a) == ab, "absorption of merged inputs"
    assert (a.encode(), b.encode(), c.encode()) == before, "inputs must not be modified"
    for node in set(a.p) | set(b.p):
        assert ab.p[node] == max(a.p.get(node, 0), b.p.get(node, 0))


@settings(max_examples=200, **SETTINGS)
@given(counters)
def test_encode_decode_round_trip(a):
    assert PNCounter.decode(a.encode()) == a


def test_increments_decrements_and_merge_value():
    a = PNCounter()
    b = PNCounter()
    a.increment("a", 500)
    a.decrement("a", 200)
    b.increment("b", 1000)
    b.increment("b", 1)
    assert a.value() == 300
    assert a.node_value("a") == 300
    merged = a.merge(b)
    assert merged.value() == 1301
    assert merged.merge(a).value() == 1301  # re-delivery does not double count
    assert merged.merge_into(b) is False
    a.increment("a", 5)
    assert merged.merge_into(a) is True
    assert merged.value() == 1306


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "3"])
def test_amount_validation(amount):
    with pytest.raises(ValueError):
        PNCounter().increment("a", amount)
    with pytest.raises(ValueError):
        PNCounter().decrement("a", amount)


def test_node_validation():
    with pytest.raises(ValueError):
        PNCounter().increment("", 1)


@pytest.mark.parametrize("raw, fragment", [
    ('{"n":{},"p":{"a":-1},"type":"pn-counter","v":1}', "expected an integer >= 1, got -1"),
    ('{"n":{},"p":{"a":1.5},"type":"pn-counter","v":1}', "expected an integer, got number"),
    ('{"n":{"":1},"p":{},"type":"pn-counter","v":1}', "empty node id"),
    ('{"n":{},"p":{},"type":"pn-counter","v":1,"x":0}', "unknown field(s) 'x'"),
    ('{"p":{},"type":"pn-counter","v":1}', "missing field(s) 'n'"),
    ('{"n":[],"p":{},"type":"pn-counter","v":1}', "pn-counter.n: expected an object"),
])
def test_decode_errors(raw, fragment):
    with pytest.raises(DecodeError) as info:
        PNCounter.decode(raw)
    assert fragment in str(info.value)
