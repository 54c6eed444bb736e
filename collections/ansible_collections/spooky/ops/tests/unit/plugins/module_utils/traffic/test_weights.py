# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.traffic.weights import TrafficError, read_weight, with_weight


def ingress(annotations):
    return {"metadata": {"name": "demo-canary", "annotations": annotations}}


def route(*refs):
    return {"metadata": {"name": "demo"}, "spec": {"rules": [{"backendRefs": [dict(r) for r in refs]}]}}


def test_nginx_reads_and_sets_the_canary_annotations():
    obj = ingress({"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "0"})
    assert read_weight("nginx", obj) == 0
    assert with_weight("nginx", obj, 20) == {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": "20"}}}
    assert with_weight("nginx", ingress({"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "20"}), 20) is None
    assert read_weight("nginx", ingress({})) is None  # not a canary Ingress yet
    patch = with_weight("nginx", ingress({}), 5)["metadata"]["annotations"]
    assert patch == {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "5"}


def test_nginx_weight_total_is_normalised_to_percent():
    obj = ingress({"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "50",
                   "nginx.ingress.kubernetes.io/canary-weight-total": "1000"})
    assert read_weight("nginx", obj) == 5
    assert with_weight("nginx", obj, 5)["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight-total"] == "100"


def test_gateway_weights_and_missing_canary_backend():
    obj = route({"name": "demo-stable", "port": 80})
    assert read_weight("gateway", obj, "demo-stable", "demo-canary") == 0
    patch = with_weight("gateway", obj, 20, "demo-stable", "demo-canary")
    assert patch == {"spec": {"rules": [{"backendRefs": [{"name": "demo-stable", "port": 80, "weight": 80},
                                                         {"name": "demo-canary", "port": 80, "weight": 20}]}]}}
    done = {"metadata": obj["metadata"], "spec": patch["spec"]}
    assert read_weight("gateway", done, "demo-stable", "demo-canary") == 20
    assert with_weight("gateway", done, 20, "demo-stable", "demo-canary") is None
    assert obj["spec"]["rules"][0]["backendRefs"] == [{"name": "demo-stable", "port": 80}]  # input untouched


def test_gateway_rules_that_disagree_have_no_single_weight():
    obj = {"metadata": {"name": "r"}, "spec": {"rules": [
        {"backendRefs": [{"name": "s", "weight": 90}, {"name": "c", "weight": 10}]},
        {"backendRefs": [{"name": "s", "weight": 50}, {"name": "c", "weight": 50}]}]}}
    assert read_weight("gateway", obj, "s", "c") is None
    assert len(with_weight("gateway", obj, 10, "s", "c")["spec"]["rules"]) == 2


def test_openshift_route():
    obj = {"metadata": {"name": "demo"}, "spec": {"to": {"kind": "Service", "name": "demo-stable", "weight": 100}}}
    assert read_weight("openshift", obj, "demo-stable", "demo-canary") == 0
    patch = with_weight("openshift", obj, 40, "demo-stable", "demo-canary")
    assert patch == {"spec": {"to": {"kind": "Service", "name": "demo-stable", "weight": 60},
                              "alternateBackends": [{"kind": "Service", "name": "demo-canary", "weight": 40}]}}


@pytest.mark.parametrize("call", [
    lambda: with_weight("nginx", ingress({}), 101),
    lambda: with_weight("nginx", ingress({}), -1),
    lambda: with_weight("nginx", ingress({}), True),
    lambda: with_weight("nginx", ingress({}), "50"),
    lambda: with_weight("istio", ingress({}), 5),
    lambda: with_weight("gateway", route({"name": "x"}), 5),
    lambda: with_weight("gateway", route({"name": "other"}), 5, "demo-stable", "demo-canary"),
    lambda: with_weight("openshift", {"spec": {"to": {"name": "other"}}}, 5, "demo-stable", "demo-canary"),
])
def test_bad_input_is_rejected(call):
    with pytest.raises(TrafficError):
        call()
