# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private key in a Kubernetes Secret, through an API client of kubernetes.core (``K8SClient``).

The Secret (type Opaque) holds the PEM under one data key and says which public key it is in an annotation.
Nothing read from the Secret ever goes into a message: API errors are reported by status and reason only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import json

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError
except ImportError:  # the module checks for the kubernetes library before it gets here
    class DynamicApiError(Exception):
        pass

    class NotFoundError(DynamicApiError):
        pass

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError

KEY_ID_ANNOTATION = "signing.spooky.ops/key-id"
MANAGED_BY = {"app.kubernetes.io/managed-by": "spooky.ops"}


def _where(spec):
    return "Secret %s/%s" % (spec["namespace"], spec["name"])


def _api_error(spec, exc, doing):
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or exc.__class__.__name__
    message = ""
    try:  # a Status object carries a message that never contains the Secret's data
        message = json.loads(getattr(exc, "body", None) or "{}").get("message") or ""
    except (ValueError, TypeError, AttributeError):
        pass
    return SigningError("%s: could not %s: %s %s%s" % (_where(spec), doing, status or "", reason, (": " + message) if message else ""))


def _resource(client):
    return client.resource("Secret", "v1")


def read_private_key(client, spec):
    """The PEM bytes in the Secret (``spec``: name, namespace, key), or None when the Secret or the data key is missing."""
    try:
        obj = client.get(_resource(client), name=spec["name"], namespace=spec["namespace"]).to_dict()
    except NotFoundError:
        return None
    except DynamicApiError as exc:
        raise _api_error(spec, exc, "read it")
    data = (obj.get("data") or {}).get(spec["key"])
    if data is None:
        return None
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError, TypeError):
        raise SigningError("%s: data key %s is not base64" % (_where(spec), spec["key"]))


def write_private_key(client, spec, pem, key_id):
    """Create the Secret, or replace its data key. Other data keys are kept."""
    resource = _resource(client)
    encoded = base64.b64encode(pem).decode("ascii")
    metadata = dict(name=spec["name"], namespace=spec["namespace"], labels=dict(MANAGED_BY),
                    annotations={KEY_ID_ANNOTATION: key_id})
    try:
        existing = client.get(resource, name=spec["name"], namespace=spec["namespace"]).to_dict()
    except NotFoundError:
        existing = None
    except DynamicApiError as exc:
        raise _api_error(spec, exc, "read it")
    try:
        if existing is None:
            client.create(resource, dict(apiVersion="v1", kind="Secret", type="Opaque", metadata=metadata, data={spec["key"]: encoded}),
                          namespace=spec["namespace"])
        else:
            patch = dict(metadata=dict(annotations={KEY_ID_ANNOTATION: key_id},
                                       resourceVersion=existing["metadata"].get("resourceVersion")),
                         data={spec["key"]: encoded})
            client.patch(resource, patch, name=spec["name"], namespace=spec["namespace"],
                         content_type="application/merge-patch+json")
    except DynamicApiError as exc:
        raise _api_error(spec, exc, "write it")
