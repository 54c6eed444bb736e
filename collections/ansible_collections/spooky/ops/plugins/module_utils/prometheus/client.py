# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client for the Prometheus HTTP API (v1): instant and range queries, alerts.

It uses ansible-core's open_url for TLS verification (on by default), CA bundles, basic and bearer
authentication and timeouts, so the modules need no extra Python package on the managed node.
Faults are exceptions of two kinds the modules report differently: PrometheusUnavailable (the
server cannot be reached or is not ready: a fact about the environment) and PrometheusQueryError
(the server rejected the query: a mistake in the input).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import socket
import threading

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import ConnectionError, Request, SSLValidationError, make_context, open_url


class PrometheusError(Exception):
    """Base class of the client's errors."""


class PrometheusUnavailable(PrometheusError):
    """The server could not be reached, timed out, or answered that it is not ready."""


class PrometheusQueryError(PrometheusError):
    """The server answered, and rejected the request (bad PromQL, bad parameters)."""


class PrometheusClient(object):
    def __init__(self, url, bearer_token=None, username=None, password=None, validate_certs=True, ca_path=None,
                 timeout=10.0, headers=None):
        if not url or not url.startswith(("http://", "https://")):
            raise PrometheusQueryError("url must start with http:// or https://, got %r" % (url,))
        self.url = url.rstrip("/")
        self.bearer_token = bearer_token
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._context = None
        self._lock = threading.Lock()

    def _ssl_context(self):
        """One TLS context per client: building one loads the CA bundle, which costs more than a query."""
        with self._lock:
            if self._context is None:
                self._context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            return self._context

    # --- transport ---------------------------------------------------------------------------

    def _request(self, path, params=None, method="GET"):
        url = self.url + path
        data = None
        headers = dict(self.headers)
        if self.bearer_token:
            headers["Authorization"] = "Bearer %s" % self.bearer_token
        if params and method == "GET":
            url += "?" + urlencode(params)
        elif params:
            data = urlencode(params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = Request().open(method, url, data=data, headers=headers, validate_certs=self.validate_certs,
                                      ca_path=self.ca_path, timeout=self.timeout, url_username=self.username,
                                      url_password=self.password, force_basic_auth=bool(self.username),
                                      context=self._ssl_context())
            body = response.read()
        except HTTPError as exc:
            body = exc.read() if hasattr(exc, "read") else b""
            message = _error_message(body) or str(exc)
            if exc.code in (400, 422):
                raise PrometheusQueryError("Prometheus rejected the request to %s: %s" % (path, message))
            if exc.code in (401, 403):
                raise PrometheusUnavailable("Prometheus at %s refused our credentials (HTTP %d): %s" % (self.url, exc.code, message))
            raise PrometheusUnavailable("Prometheus at %s answered HTTP %d: %s" % (self.url, exc.code, message))
        except SSLValidationError as exc:
            raise PrometheusUnavailable("TLS verification of %s failed: %s" % (self.url, exc))
        except (URLError, ConnectionError, socket.timeout, socket.error) as exc:
            raise PrometheusUnavailable("Prometheus at %s is unreachable: %s" % (self.url, getattr(exc, "reason", exc)))
        try:
            document = json.loads(body)
        except ValueError:
            raise PrometheusUnavailable("Prometheus at %s answered something that is not JSON" % self.url)
        if document.get("status") != "success":
            raise PrometheusQueryError("Prometheus error on %s: %s" % (path, document.get("error", document)))
        return document.get("data"), document.get("warnings") or []

    # --- API ---------------------------------------------------------------------------------

    def instant(self, query, time=None):
        params = {"query": query}
        if time is not None:
            params["time"] = time
        return self._request("/api/v1/query", params, method="POST")

    def range(self, query, start, end, step):
        params = {"query": query, "start": start, "end": end, "step": step}
        return self._request("/api/v1/query_range", params, method="POST")

    def alerts(self):
        data, _warnings = self._request("/api/v1/alerts")
        return (data or {}).get("alerts", [])

    def ready(self):
        """True when the server answers its readiness endpoint."""
        try:
            open_url(self.url + "/-/ready", validate_certs=self.validate_certs, ca_path=self.ca_path, timeout=self.timeout,
                     headers=self.headers)
        except (HTTPError, URLError, ConnectionError, SSLValidationError, socket.timeout, socket.error):
            return False
        return True


def _error_message(body):
    try:
        document = json.loads(body)
    except (ValueError, TypeError):
        return None
    if isinstance(document, dict):
        return "%s: %s" % (document.get("errorType", "error"), document.get("error", ""))
    return None


def to_float(text):
    """Prometheus sends sample values as strings, including "NaN", "+Inf" and "-Inf"."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def vector_samples(data):
    """[(labels, value)] from an instant query result of any type; NaN stays NaN for the caller to judge."""
    if not data:
        return []
    result_type, result = data.get("resultType"), data.get("result")
    if result_type == "scalar":
        return [({}, to_float(result[1]))]
    if result_type == "vector":
        return [(item.get("metric", {}), to_float(item["value"][1])) for item in result]
    if result_type == "matrix":
        return [(item.get("metric", {}), to_float(item["values"][-1][1])) for item in result if item.get("values")]
    return []


def matrix_samples(data):
    """[(labels, [values...])] from a range query result."""
    if not data or data.get("resultType") != "matrix":
        return []
    return [(item.get("metric", {}), [to_float(v) for _ts, v in item.get("values", [])]) for item in data["result"]]


def finite(value):
    return value is not None and not (math.isnan(value) or math.isinf(value))
