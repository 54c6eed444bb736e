# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client for the Alertmanager API v2: the alerts it holds. Same transport and faults as client.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import ConnectionError, Request, SSLValidationError, make_context

from ansible_collections.spooky.ops.plugins.module_utils.prometheus.client import PrometheusQueryError, PrometheusUnavailable


class AlertmanagerClient(object):
    def __init__(self, url, bearer_token=None, username=None, password=None, validate_certs=True, ca_path=None,
                 timeout=10.0, headers=None):
        if not url or not url.startswith(("http://", "https://")):
            raise PrometheusQueryError("alertmanager url must start with http:// or https://, got %r" % (url,))
        self.url = url.rstrip("/")
        self.bearer_token = bearer_token
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.headers = dict(headers or {})

    def alerts(self, active=True, silenced=False, inhibited=False):
        params = urlencode({"active": str(active).lower(), "silenced": str(silenced).lower(), "inhibited": str(inhibited).lower()})
        headers = dict(self.headers)
        if self.bearer_token:
            headers["Authorization"] = "Bearer %s" % self.bearer_token
        try:
            response = Request().open("GET", self.url + "/api/v2/alerts?" + params, headers=headers, validate_certs=self.validate_certs,
                                      ca_path=self.ca_path, timeout=self.timeout, url_username=self.username,
                                      url_password=self.password, force_basic_auth=bool(self.username),
                                      context=make_context(cafile=self.ca_path, validate_certs=self.validate_certs))
            body = response.read()
        except HTTPError as exc:
            raise PrometheusUnavailable("Alertmanager at %s answered HTTP %d" % (self.url, exc.code))
        except SSLValidationError as exc:
            raise PrometheusUnavailable("TLS verification of %s failed: %s" % (self.url, exc))
        except (URLError, ConnectionError, socket.timeout, socket.error) as exc:
            raise PrometheusUnavailable("Alertmanager at %s is unreachable: %s" % (self.url, getattr(exc, "reason", exc)))
        try:
            document = json.loads(body)
        except ValueError:
            raise PrometheusUnavailable("Alertmanager at %s answered something that is not JSON" % self.url)
        if not isinstance(document, list):
            raise PrometheusUnavailable("Alertmanager at %s did not answer a list of alerts" % self.url)
        return document
