# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health endpoints: status code and latency over HTTP(S), and the days left on the TLS certificate.

A client (it uses ansible-core's open_url and the standard ssl module). Spyoncino's startup
checklist (seed 004: curl the health endpoints, TLS certificates) and ORCA's post-deploy checklist
(seed 003: health endpoint returns 200, SSL/TLS certificates valid). Faults are data: `http_get`
and `peer_certificate` return dicts with an `error`, never raise for a server that is down.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import socket
import ssl
import threading
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import ConnectionError, Request, SSLValidationError, make_context

OK, WARNING, CRITICAL = "ok", "warning", "critical"
_CONTEXTS = {}
_CONTEXTS_LOCK = threading.Lock()


def _context(ca_path, validate_certs):
    """TLS contexts shared by the endpoints of one run: building one loads the CA bundle, which is slow."""
    key = (ca_path, bool(validate_certs))
    with _CONTEXTS_LOCK:
        if key not in _CONTEXTS:
            _CONTEXTS[key] = make_context(cafile=ca_path, validate_certs=validate_certs)
        return _CONTEXTS[key]


def http_get(url, timeout=10.0, validate_certs=True, ca_path=None, headers=None, method="GET"):
    """{status_code, latency_ms} or {error, latency_ms}; an HTTP error status is an answer, not an error."""
    started = time.monotonic()
    try:
        response = Request().open(method, url, headers=headers or {}, validate_certs=validate_certs, ca_path=ca_path,
                                  timeout=timeout, follow_redirects="safe", context=_context(ca_path, validate_certs))
        response.read()
        code = response.getcode()
    except HTTPError as exc:
        code = exc.code
    except SSLValidationError as exc:
        return dict(error="TLS verification failed: %s" % exc, latency_ms=_ms(started))
    except (URLError, ConnectionError, socket.timeout, socket.error, ssl.SSLError) as exc:
        return dict(error="unreachable: %s" % (getattr(exc, "reason", None) or exc), latency_ms=_ms(started))
    return dict(status_code=code, latency_ms=_ms(started))


def _ms(started):
    return round((time.monotonic() - started) * 1000.0, 1)


def _parse_der(der):
    """(not_after, subject, issuer) of a DER certificate, with cryptography (an ansible-core requirement)."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel

    cert = x509.load_der_x509_certificate(der)
    not_after = getattr(cert, "not_valid_after_utc", None)
    if not_after is None:
        not_after = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return not_after, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()


def peer_certificate(url, timeout=10.0, now=None):
    """The certificate an https URL presents (read without verifying it, so an expired one is still seen).

    Returns {not_after, days_left, subject, issuer} or {error}.
    """
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (socket.timeout, socket.error, ssl.SSLError, OSError) as exc:
        return dict(error="TLS handshake with %s:%s failed: %s" % (host, port, exc))
    if not der:
        return dict(error="%s:%s presented no certificate" % (host, port))
    try:
        not_after, subject, issuer = _parse_der(der)
    except Exception as exc:  # pylint: disable=broad-except
        return dict(error="the certificate of %s:%s could not be read: %s" % (host, port, exc))
    now = datetime.datetime.now(datetime.timezone.utc) if now is None else now
    days_left = (not_after - now).total_seconds() / 86400.0
    return dict(not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), days_left=round(days_left, 2), subject=subject, issuer=issuer)


def grade_http(answer, expected_status=(200,), latency_warning_ms=None, latency_critical_ms=None):
    """(status, message) of an http_get answer."""
    if answer.get("error"):
        return CRITICAL, answer["error"]
    code, latency = answer["status_code"], answer["latency_ms"]
    if code not in expected_status:
        return CRITICAL, "HTTP %s, expected %s (%.0f ms)" % (code, "/".join(str(c) for c in expected_status), latency)
    if latency_critical_ms is not None and latency > latency_critical_ms:
        return CRITICAL, "HTTP %s in %.0f ms (critical > %g ms)" % (code, latency, latency_critical_ms)
    if latency_warning_ms is not None and latency > latency_warning_ms:
        return WARNING, "HTTP %s in %.0f ms (warning > %g ms)" % (code, latency, latency_warning_ms)
    return OK, "HTTP %s in %.0f ms" % (code, latency)


def grade_certificate(cert, warning_days=30, critical_days=7):
    """(status, severity, message) of a peer_certificate answer.

    Expired: critical, P1 (clients fail now). Fewer than `critical_days` left: warning, P2 (rotate today;
    it still works, so it is no page). Fewer than `warning_days`: warning, P3 (plan the rotation).
    """
    if cert.get("error"):
        return CRITICAL, "P1", cert["error"]
    days = cert["days_left"]
    where = "certificate %s (issuer %s) " % (cert.get("subject"), cert.get("issuer"))
    if days < 0:
        return CRITICAL, "P1", where + "expired %.1f days ago (%s)" % (-days, cert["not_after"])
    if days < critical_days:
        return WARNING, "P2", where + "expires in %.1f days (%s; critical < %g days)" % (days, cert["not_after"], critical_days)
    if days < warning_days:
        return WARNING, "P3", where + "expires in %.1f days (%s; warning < %g days)" % (days, cert["not_after"], warning_days)
    return OK, None, where + "valid for %.0f more days (until %s)" % (days, cert["not_after"])
