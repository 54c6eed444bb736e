# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract tests of the rest backend against a stand-in for OPA's REST data API.

No OPA binary can be installed here, so FakeOPA answers as OPA's v1 API is documented to
(https://www.openpolicyagent.org/docs/rest-api): POST /v1/data/<path> with {"input": ...} answers
200 {"result": <document>} when the document is defined and 200 {} when it is undefined (a missing package
too); a body that is not JSON is 400 {"code": "invalid_parameter", "message": ...}; an evaluation error (a
conflict) is 500 {"code": "internal_error", "message": ..., "errors": [{"code", "message", "location"}]}; a
server with token authentication answers 401 {"code": "unauthorized", ...} without the bearer token;
GET /v1/policies lists the modules with their AST's package path; GET /health answers 200 {}.
The decisions themselves come from the embedded engine over the shipped policies, so the same inputs can be
compared across both backends.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import socket
import ssl
import threading

import pytest

pytest.importorskip("regopy")

from ansible.module_utils.six.moves.BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer  # noqa: E402

from ansible_collections.spooky.ops.plugins.module_utils.policy.client import make_backend  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.policy.embedded import EmbeddedBackend  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.policy import rest as rest_module  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.policy.rest import RestBackend  # noqa: E402
from ansible_collections.spooky.ops.plugins.module_utils.policy.result import (  # noqa: E402
    PolicyEvalError,
    PolicyInputError,
    PolicyNotFound,
    PolicyUnavailable,
)


class FakeOPA(object):
    def __init__(self, policies, token=None, policies_api=True):
        self.engine = EmbeddedBackend.from_directory(policies)
        self.token = token
        self.policies_api = policies_api
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, document):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def authorized(self):
                if fake.token and self.headers.get("Authorization") != "Bearer %s" % fake.token:
                    self.answer(401, {"code": "unauthorized", "message": "missing or invalid bearer token"})
                    return False
                return True

            def do_GET(self):
                fake.requests.append(("GET", self.path, None))
                if not self.authorized():
                    return
                if self.path == "/health":
                    return self.answer(200, {})
                if self.path == "/v1/policies" and fake.policies_api:
                    result = []
                    for name in sorted(fake.engine.packages):
                        terms = [{"type": "var", "value": "data"}] + [{"type": "string", "value": s} for s in name.split(".")]
                        result.append({"id": fake.engine.packages[name], "raw": "...", "ast": {"package": {"path": terms}}})
                    return self.answer(200, {"result": result})
                if self.path == "/v1/policies":
                    return self.answer(403, {"code": "unauthorized", "message": "request rejected by administrative policy"})
                self.answer(404, {"code": "resource_not_found", "message": "not found"})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(("POST", self.path, raw))
                if not self.authorized():
                    return
                if not self.path.startswith("/v1/data"):
                    return self.answer(404, {"code": "resource_not_found", "message": "not found"})
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError as exc:
                    return self.answer(400, {"code": "invalid_parameter", "message": "body contains malformed input document: %s" % exc})
                path = self.path[len("/v1/data"):].strip("/").split("?")[0]
                if path == "broken/conflict":
                    return self.answer(500, {"code": "internal_error", "message": "1 error occurred: broken.rego:5: eval_conflict_error: "
                                             "complete rules must not produce multiple outputs",
                                             "errors": [{"code": "eval_conflict_error", "message": "complete rules must not produce multiple outputs",
                                                         "location": {"file": "broken.rego", "row": 5, "col": 1}}]})
                answer = {}
                if "input" not in body:
                    answer["warning"] = {"code": "api_usage_warning", "message": "'input' key missing from the request"}
                try:
                    defined, value = fake.engine.query_value(path.replace("/", ".") or "data", body.get("input"))
                except PolicyNotFound:
                    defined, value = False, None
                if defined:
                    answer["result"] = value
                self.answer(200, answer)

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.daemon = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def opa(policies_dir):
    with FakeOPA(policies_dir) as server:
        yield server


PROVIDER_OK = {"provider": {"name": "calm-bank", "risk_score": 0.2}}
PROVIDER_RISKY = {"provider": {"name": "acme-pay", "risk_score": 0.85}}


def test_defined_decisions(opa):
    rest = RestBackend(opa.url)
    allowed, denied = rest.evaluate_many("spooky/peace_bonds", [PROVIDER_OK, PROVIDER_RISKY])
    assert allowed.allow and allowed.backend == "rest"
    assert not denied.allow
    assert denied.reasons == ["High risk provider detected: risk_score=0.85 provider=acme-pay (denied at >= 0.85)"]
    method, path, body = opa.requests[-1]
    assert (method, path) == ("POST", "/v1/data/spooky/peace_bonds") and json.loads(body) == {"input": PROVIDER_RISKY}


def test_same_decisions_as_the_embedded_backend(opa, policies_dir):
    inputs = [PROVIDER_OK, PROVIDER_RISKY, {"providers": [{"name": "x"}]}, {}]
    rest = [d.to_dict() for d in RestBackend(opa.url).evaluate_many("spooky/peace_bonds", inputs)]
    embedded = [d.to_dict() for d in EmbeddedBackend.from_directory(policies_dir).evaluate_many("spooky/peace_bonds", inputs)]
    for r, e in zip(rest, embedded):
        assert (r["allow"], r["reasons"], r["decision"]) == (e["allow"], e["reasons"], e["decision"])


def test_undefined_result_is_a_deny(opa):
    # {} from OPA: the rule exists (its package does) but has no value for this input.
    decision = RestBackend(opa.url).evaluate("spooky/tenant_autonomy/own", {"tenant": "a", "target": {"tenant": "b"}})
    assert not decision.allow and not decision.defined and "is undefined" in decision.reasons[0]


def test_missing_package_names_the_path(opa):
    with pytest.raises(PolicyNotFound) as exc:
        RestBackend(opa.url).evaluate("spooky/nope", {})
    assert exc.value.path == "data.spooky.nope"
    assert "no policy on the OPA server at %s defines data.spooky.nope" % opa.url in str(exc.value)


def test_without_the_policies_api_a_missing_package_is_an_undefined_deny(policies_dir):
    with FakeOPA(policies_dir, policies_api=False) as server:
        decision = RestBackend(server.url).evaluate("spooky/nope", {})
    assert not decision.allow and not decision.defined


def test_400_names_the_problem(opa, monkeypatch):
    class BrokenJson(object):  # what a broken client would send
        loads = staticmethod(json.loads)

        @staticmethod
        def dumps(*args, **kwargs):
            return "{not json"

    monkeypatch.setattr(rest_module, "json", BrokenJson)
    rest = RestBackend(opa.url)
    with pytest.raises(PolicyInputError) as exc:
        rest.evaluate("spooky/peace_bonds", PROVIDER_OK)
    assert "rejected the request for data.spooky.peace_bonds (input): invalid_parameter: body contains malformed input document" in str(exc.value)


def test_input_that_is_not_json_is_refused_before_sending(opa):
    with pytest.raises(PolicyInputError, match="input is not a JSON document"):
        RestBackend(opa.url).evaluate("spooky/peace_bonds", {"provider": float("inf")})
    assert opa.requests == []


def test_500_evaluation_error_names_file_and_row(opa):
    with pytest.raises(PolicyEvalError) as exc:
        RestBackend(opa.url).evaluate("broken/conflict", {})
    assert "eval_conflict_error" in str(exc.value) and "(broken.rego:5)" in str(exc.value)


def test_bearer_token(policies_dir):
    with FakeOPA(policies_dir, token="s3cret") as server:
        with pytest.raises(PolicyUnavailable, match="refused our credentials \\(HTTP 401\\)"):
            RestBackend(server.url).evaluate("spooky/peace_bonds", PROVIDER_OK)
        assert RestBackend(server.url, bearer_token="s3cret").evaluate("spooky/peace_bonds", PROVIDER_OK).allow


def test_unreachable_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PolicyUnavailable, match="is unreachable"):
        RestBackend("http://127.0.0.1:%d" % port, timeout=2).evaluate("spooky/peace_bonds", PROVIDER_OK)
    assert not RestBackend("http://127.0.0.1:%d" % port, timeout=2).health()


def test_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        with pytest.raises(PolicyUnavailable, match="unreachable"):
            RestBackend("http://127.0.0.1:%d" % listener.getsockname()[1], timeout=0.5).evaluate("spooky/peace_bonds", {})
    finally:
        listener.close()


def test_health(opa):
    assert RestBackend(opa.url).health()


def test_bad_url():
    with pytest.raises(PolicyUnavailable, match="must start with http"):
        make_backend("rest", url="opa.example.com:8181")


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"fake-opa")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u"127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(str(tmp_path), "cert.pem"), os.path.join(str(tmp_path), "key.pem")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_is_verified_by_default(tmp_path, policies_dir):
    pytest.importorskip("cryptography")
    cert_path, key_path = _self_signed(tmp_path)
    with FakeOPA(policies_dir) as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
        url = server.url.replace("http://", "https://")
        with pytest.raises(PolicyUnavailable):
            RestBackend(url, timeout=5).evaluate("spooky/peace_bonds", PROVIDER_OK)
        assert RestBackend(url, ca_path=cert_path, timeout=5).evaluate("spooky/peace_bonds", PROVIDER_OK).allow
        assert RestBackend(url, validate_certs=False, timeout=5).evaluate("spooky/peace_bonds", PROVIDER_OK).allow
