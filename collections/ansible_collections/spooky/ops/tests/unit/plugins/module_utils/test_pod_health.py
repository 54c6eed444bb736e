# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.pod_health import pod_findings


def pod(name, ready=True, phase="Running", restarts=0, waiting=None, scheduled=True):
    container = {"name": "c", "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if waiting:
        container["state"] = {"waiting": {"reason": waiting}}
    return {"metadata": {"namespace": "demo", "name": name},
            "status": {"phase": phase, "containerStatuses": [container] if phase != "Pending" else [],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                                      {"type": "PodScheduled", "status": "True" if scheduled else "False"}]}}


def test_healthy_pods_are_not_reported():
    assert pod_findings([pod("a"), pod("b", restarts=4)]) == []


def test_crashloop_names_the_waiting_reason():
    found = pod_findings([pod("a"), pod("b", ready=False, restarts=7, waiting="CrashLoopBackOff")])
    assert found == [dict(namespace="demo", name="b", ready=False, phase="Running", restarts=7, reason="CrashLoopBackOff", since=None)]


def test_unschedulable_and_completed():
    found = pod_findings([pod("p", ready=False, phase="Pending", scheduled=False), pod("done", ready=False, phase="Succeeded")])
    assert [(f["name"], f["reason"]) for f in found] == [("p", "Unschedulable")]


def test_ready_pod_restarting_too_often():
    assert [(f["name"], f["reason"]) for f in pod_findings([pod("r", restarts=6)], restart_warning=5)] == [("r", "Restarting")]


def test_a_pod_without_a_ready_condition_is_not_ready():
    assert pod_findings([{"metadata": {"name": "x"}, "status": {"phase": "Running"}}])[0]["ready"] is False


@pytest.mark.parametrize("bad", [None, "pods", [1]])
def test_bad_input(bad):
    with pytest.raises(TypeError):
        pod_findings(bad)
