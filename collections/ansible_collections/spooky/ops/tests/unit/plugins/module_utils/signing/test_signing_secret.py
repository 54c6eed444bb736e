# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private key in a Kubernetes Secret, against a fake kubernetes.core client (the real API is in tests/lab)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from kubernetes.dynamic.exceptions import ForbiddenError, NotFoundError

from ansible_collections.spooky.ops.plugins.module_utils.signing import secret
from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError

SPEC = dict(name="spooky-signing-key", namespace="spooky-system", key="ed25519.pem")


class ApiError(object):
    def __init__(self, status, reason, message):
        self.status, self.reason, self.body, self.headers = status, reason, json.dumps({"message": message}), {}


class Obj(object):
    def __init__(self, data):
        self.data = data

    def to_dict(self):
        return json.loads(json.dumps(self.data))


class FakeClient(object):
    def __init__(self, forbidden=False):
        self.objects, self.calls, self.forbidden = {}, [], forbidden

    def resource(self, kind, api_version):
        return (kind, api_version)

    def get(self, resource, name, namespace):
        if self.forbidden:
            raise ForbiddenError(ApiError(403, "Forbidden", "secrets is forbidden: User cannot get resource"))
        if (namespace, name) not in self.objects:
            raise NotFoundError(ApiError(404, "Not Found", "not found"))
        return Obj(self.objects[(namespace, name)])

    def create(self, resource, definition, namespace):
        self.calls.append("create")
        definition = dict(definition, metadata=dict(definition["metadata"], resourceVersion="1"))
        self.objects[(namespace, definition["metadata"]["name"])] = definition
        return Obj(definition)

    def patch(self, resource, patch, name, namespace, content_type):
        self.calls.append(("patch", content_type, patch["metadata"]["resourceVersion"]))
        obj = self.objects[(namespace, name)]
        obj["data"].update(patch["data"])
        obj["metadata"]["annotations"].update(patch["metadata"]["annotations"])
        return Obj(obj)


def test_write_then_read_then_replace():
    client = FakeClient()
    assert secret.read_private_key(client, SPEC) is None
    secret.write_private_key(client, SPEC, b"PEM-1", "ed25519:1")
    stored = client.objects[("spooky-system", "spooky-signing-key")]
    assert stored["type"] == "Opaque" and base64.b64decode(stored["data"]["ed25519.pem"]) == b"PEM-1"
    assert stored["metadata"]["annotations"][secret.KEY_ID_ANNOTATION] == "ed25519:1"
    assert secret.read_private_key(client, SPEC) == b"PEM-1"
    stored["data"]["other"] = "a2VlcA=="
    secret.write_private_key(client, SPEC, b"PEM-2", "ed25519:2")
    assert client.calls == ["create", ("patch", "application/merge-patch+json", "1")]
    assert secret.read_private_key(client, SPEC) == b"PEM-2" and stored["data"]["other"] == "a2VlcA=="
    assert secret.read_private_key(client, dict(SPEC, key="missing")) is None


def test_api_errors_are_reported_by_status_only():
    with pytest.raises(SigningError) as exc:
        secret.read_private_key(FakeClient(forbidden=True), SPEC)
    assert str(exc.value) == ("Secret spooky-system/spooky-signing-key: could not read it: 403 Forbidden: "
                              "secrets is forbidden: User cannot get resource")
