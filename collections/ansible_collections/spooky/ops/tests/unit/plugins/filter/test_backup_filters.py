# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup filters: thin shells over module_utils.backup, with errors as AnsibleFilterError."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.spooky.ops.plugins.filter.backup import FilterModule

FILTERS = FilterModule().filters()
KEYS = ["lab/postgres-orca/20260124T020000Z/orca.pgc.enc", "lab/postgres-orca/20260124T020000Z/manifest.json",
        "lab/postgres-orca/20260125T020000Z/orca.pgc.enc"]


def test_sets_and_retention_plan():
    sets = FILTERS["backup_sets"](KEYS, "lab", "postgres-orca")
    assert [(s["set_id"], s["complete"]) for s in sets] == [("20260125T020000Z", False), ("20260124T020000Z", True)]
    plan = FILTERS["backup_retention"](sets, "orca-postgres", now="2026-01-25T03:00:00Z", rpo="24h")
    assert [k["set_id"] for k in plan["keep"]] == ["20260125T020000Z", "20260124T020000Z"] and plan["prune"] == []


def test_compare_and_kubernetes_helpers():
    assert FILTERS["backup_compare"]({"db0": 1}, {"db0": 1}, "keyspace")["ok"]
    objects = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "demo", "uid": "x"}, "data": {"a": "b"}}]
    cleaned = FILTERS["k8s_backup_clean"](objects)
    assert "uid" not in cleaned[0]["metadata"]
    assert list(FILTERS["k8s_backup_inventory"](cleaned)) == ["ConfigMap"]
    assert FILTERS["k8s_restore_objects"](cleaned, "scratch")[0]["metadata"]["namespace"] == "scratch"
    assert FILTERS["redis_keyspace"]({"db0": {"keys": 3, "expires": 0}, "role": "master"}) == {"db0": 3}


@pytest.mark.parametrize("name,args", [
    ("backup_retention", ([], {"daily": -1})),
    ("backup_sets", (KEYS, "lab", "Bad Source")),
    ("backup_compare", ({}, {}, "rows")),
    ("k8s_backup_clean", ([{"metadata": {}}],)),
])
def test_errors_are_filter_errors(name, args):
    with pytest.raises(AnsibleFilterError, match="spooky.ops.%s" % name):
        FILTERS[name](*args)
