# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter import crdt as crdt_filters
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Replica


def test_filters_merge_digest_and_diff():
    east = Replica("east")
    east.set("router_weights", "a", 1)
    west = Replica("west")
    west.set("promotions", "svc", "v2")
    merged = crdt_filters.crdt_merge([east.to_obj(), west.encode().decode()])
    assert merged["node"] == "east"
    assert crdt_filters.crdt_digest(merged) == east.merge(west).root_digest()
    diff = crdt_filters.crdt_diff(east.to_obj(), merged)
    assert diff["maps"] == {"promotions": ["svc"]} and not diff["spend"]
    bad = east.to_obj()
    bad["digest"]["root"] = "0" * 32
    with pytest.raises(AnsibleFilterError, match="digest_mismatch"):
        crdt_filters.crdt_digest(bad)
