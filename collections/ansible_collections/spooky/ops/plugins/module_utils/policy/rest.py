# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rest backend: decisions from an OPA server through its REST data API.

``POST /v1/data/<path>`` with ``{"input": ...}``; the answer is ``{"result": <decision>}``, or ``{}`` when the
decision is undefined (a deny here). OPA answers 400 (``{"code": "invalid_parameter", "message": ...}``) for a
request it cannot read and 500 for an evaluation error (a conflict); both name the problem and so do we.

When the answer is undefined, ``GET /v1/policies`` tells whether any loaded package holds the path: if none
does, the path is reported missing (PolicyNotFound), as the embedded backend does. A server that refuses the
policies API (authorization) leaves it an ordinary undefined decision.

Transport is ansible-core's open_url: TLS verification on by default, a CA bundle, a bearer token, timeouts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import ConnectionError, SSLValidationError, open_url

from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (
    PolicyEvalError,
    PolicyInputError,
    PolicyNotFound,
    PolicyUnavailable,
    dotted,
    interpret,
    split_path,
    to_json_value,
)

NAME = "rest"


class RestBackend(object):
    name = NAME

    def __init__(self, url, bearer_token=None, validate_certs=True, ca_path=None, timeout=10.0, headers=None):
        if not url or not url.startswith(("http://", "https://")):
            raise PolicyUnavailable("the OPA url must start with http:// or https://, got %r" % (url,))
        self.url = url.rstrip("/")
        self.bearer_token = bearer_token
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._packages = None

    def _request(self, api_path, body=None, method="GET"):
        """(status, document) of one request; PolicyUnavailable when there is no usable answer."""
        headers = dict(self.headers)
        headers["Accept"] = "application/json"
        if self.bearer_token:
            headers["Authorization"] = "Bearer %s" % self.bearer_token
        data = None
        if body is not None:
            data = json.dumps(body, allow_nan=False)
            headers["Content-Type"] = "application/json"
        try:
            response = open_url(self.url + api_path, data=data, method=method, headers=headers, validate_certs=self.validate_certs,
                                ca_path=self.ca_path, timeout=self.timeout)
            status, raw = response.getcode(), response.read()
        except HTTPError as exc:
            status, raw = exc.code, (exc.read() if hasattr(exc, "read") else b"")
        except SSLValidationError as exc:
            raise PolicyUnavailable("TLS verification of %s failed: %s" % (self.url, exc))
        except (URLError, ConnectionError, socket.timeout, socket.error) as exc:
            raise PolicyUnavailable("OPA at %s is unreachable: %s" % (self.url, getattr(exc, "reason", exc)))
        try:
            document = json.loads(raw) if raw else {}
        except ValueError:
            document = None
        return status, document

    @staticmethod
    def _message(document):
        if isinstance(document, dict):
            message = "%s: %s" % (document.get("code", "error"), document.get("message", ""))
            errors = document.get("errors") or []
            details = ["%s%s" % (e.get("message", ""),
                                 " (%s:%s)" % (e["location"].get("file", ""), e["location"].get("row", "")) if e.get("location") else "")
                       for e in errors if isinstance(e, dict)]
            if details:
                message += " [" + "; ".join(details) + "]"
            return message
        return "no JSON error document"

    def evaluate(self, path, value):
        return self.evaluate_many(path, [value])[0]

    def evaluate_many(self, path, values):
        segments = split_path(path)
        api_path = "/v1/data/" + "/".join(segments)
        decisions = []
        for index, value in enumerate(values):
            what = "input %d" % index if len(values) > 1 else "input"
            document = to_json_value(value, what)
            status, answer = self._request(api_path, {"input": document}, method="POST")
            if status == 200 and isinstance(answer, dict):
                if "result" in answer:
                    decisions.append(interpret(answer["result"], True, segments, NAME))
                else:
                    self._check_path(segments)
                    decisions.append(interpret(None, False, segments, NAME))
                continue
            where = "%s (%s)" % (dotted(segments), what)
            if status == 400:
                raise PolicyInputError("OPA at %s rejected the request for %s: %s" % (self.url, where, self._message(answer)), path=dotted(segments))
            if status in (401, 403):
                raise PolicyUnavailable("OPA at %s refused our credentials (HTTP %d): %s" % (self.url, status, self._message(answer)))
            if status == 500 and isinstance(answer, dict):
                raise PolicyEvalError("OPA at %s failed to evaluate %s: %s" % (self.url, where, self._message(answer)), path=dotted(segments))
            raise PolicyUnavailable("OPA at %s answered HTTP %d for %s: %s" % (self.url, status, api_path, self._message(answer)))
        return decisions

    def packages(self):
        """Dotted names of the packages loaded in the server, or None when the policies API is not available."""
        if self._packages is None:
            status, answer = self._request("/v1/policies")
            if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("result"), list):
                return None
            packages = set()
            for policy in answer["result"]:
                terms = (((policy or {}).get("ast") or {}).get("package") or {}).get("path") or []
                names = [str(t.get("value")) for t in terms[1:] if isinstance(t, dict)]
                if names:
                    packages.add(".".join(names))
            self._packages = packages
        return self._packages

    def _check_path(self, segments):
        packages = self.packages()
        if packages is None:
            return
        path = ".".join(segments)
        for package in packages:
            if not path or package == path or package.startswith(path + ".") or path.startswith(package + "."):
                return
        raise PolicyNotFound("no policy on the OPA server at %s defines %s (packages loaded: %s)"
                             % (self.url, dotted(segments), ", ".join(sorted(packages)) or "none"), path=dotted(segments))

    def health(self):
        """True when the server answers GET /health."""
        try:
            status, _answer = self._request("/health")
        except PolicyUnavailable:
            return False
        return status == 200
