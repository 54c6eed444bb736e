# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the bus modules (see the spooky.ops.nats doc fragment)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def nats_argument_spec():
    return dict(
        servers=dict(type="list", elements="str", required=True),
        timeout=dict(type="float", default=5.0),
        user=dict(type="str"),
        password=dict(type="str", no_log=True),
        token=dict(type="str", no_log=True),
    )


def check_nats_params(params):
    """A message for bad connection options, or None."""
    for server in params["servers"]:
        if not server or "://" not in server or server.split("://", 1)[0] not in ("nats", "tls", "ws", "wss"):
            return "servers must be URLs like nats://host:4222, got %r" % (server,)
    if not params["servers"]:
        return "servers must name at least one server"
    if params["timeout"] <= 0:
        return "timeout must be positive, got %s" % params["timeout"]
    if bool(params.get("user")) != bool(params.get("password")):
        return "user and password go together"
    return None


def auth(params):
    return dict(user=params.get("user"), password=params.get("password"), token=params.get("token"))
