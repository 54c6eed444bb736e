# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every Prometheus module shares (documented in the spooky.ops.prometheus doc fragment)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusClient


def prometheus_common_argument_spec():
    return dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["SPOOKY_PROMETHEUS_URL"])),
        bearer_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SPOOKY_PROMETHEUS_TOKEN"])),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=10.0),
        headers=dict(type="dict", default={}),
    )


def prometheus_client(module):
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be greater than 0, got %s" % params["timeout"])
    return PrometheusClient(
        url=params["url"], bearer_token=params["bearer_token"], username=params["username"], password=params["password"],
        validate_certs=params["validate_certs"], ca_path=params["ca_path"], timeout=params["timeout"], headers=params["headers"],
    )
