# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy client: pick a backend, evaluate one input or many, get Decisions of one shape.

Backends:

* ``embedded`` (the default): Rego evaluated in-process with regopy (rego-cpp, PyPI), no server needed.
* ``rest``: an OPA server's REST data API.

``opa-golib-python-bindings`` (OPA's own Go engine) was considered as a third backend and left out: every
release on PyPI requires Python >= 3.14 (this project runs 3.11 and 3.12), it is an alpha from a single author,
and it could not be installed, let alone pass the tests both backends pass. Use ``rest`` when OPA-exact
results are needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.spooky.ops.plugins.module_utils.policy.embedded import EmbeddedBackend
from ansible_collections.spooky.ops.plugins.module_utils.policy.rest import RestBackend
from ansible_collections.spooky.ops.plugins.module_utils.policy.result import PolicyError, PolicyNotFound

BACKENDS = ("embedded", "rest")


def make_backend(backend="embedded", policy_dir=None, modules=None, data=None, url=None, bearer_token=None,
                 validate_certs=True, ca_path=None, timeout=10.0, headers=None):
    """An EmbeddedBackend (policy_dir and/or modules [(name, source)], data) or a RestBackend (url...)."""
    if backend == "embedded":
        if policy_dir is None and not modules:
            raise PolicyNotFound("the embedded backend needs policies: a policy directory or Rego source")
        if policy_dir is not None:
            engine = EmbeddedBackend.from_directory(policy_dir, data=data)
            for name, source in modules or []:
                engine.add_module(name, source)
            return engine
        return EmbeddedBackend(modules, data=data)
    if backend == "rest":
        return RestBackend(url, bearer_token=bearer_token, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                           headers=headers)
    raise PolicyError("unknown policy backend %r: one of %s" % (backend, ", ".join(BACKENDS)))


def policy_common_argument_spec():
    """The options every policy module shares (documented in the spooky.ops.opa doc fragment)."""
    return dict(
        backend=dict(type="str", default="embedded", choices=list(BACKENDS)),
        policy_dir=dict(type="path"),
        policy=dict(type="str"),
        data=dict(type="dict"),
        url=dict(type="str", fallback=(env_fallback, ["SPOOKY_OPA_URL"])),
        bearer_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SPOOKY_OPA_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=10.0),
        headers=dict(type="dict", default={}),
    )


def policy_backend(module):
    """The backend a module's parameters describe; fails the module (before anything is evaluated) on bad options."""
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be greater than 0, got %s" % params["timeout"])
    if params["backend"] == "rest":
        if not params["url"]:
            module.fail_json(msg="backend rest needs url (the OPA server, for example http://127.0.0.1:8181)")
        if params["policy_dir"] or params["policy"] or params["data"]:
            module.fail_json(msg="policy_dir, policy and data are for the embedded backend: an OPA server has its own policies")
    elif not params["policy_dir"] and not params["policy"]:
        module.fail_json(msg="backend embedded needs policy_dir or policy (Rego source)")
    modules = [("policy.rego", params["policy"])] if params["policy"] else None
    return make_backend(params["backend"], policy_dir=params["policy_dir"], modules=modules, data=params["data"], url=params["url"],
                        bearer_token=params["bearer_token"], validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                        timeout=params["timeout"], headers=params["headers"])
