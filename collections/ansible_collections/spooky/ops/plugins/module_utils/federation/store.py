# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One cluster's federation replica, stored in ConfigMaps.

Layout in namespace ``spooky-federation`` (created if missing)::

    spooky-federation-shard-0 .. -<n-1>   data: {"shard": <text>}
    spooky-federation                     data: {"manifest": <shard manifest JSON>}

Every write is conditional (it carries the ``resourceVersion`` read): shards
are written first, the manifest last, so a reader never sees a manifest that
points at missing shards.  A concurrent writer makes one of the writes fail
with 409: :meth:`ReplicaStore.update` then re-reads, re-applies its change to
what it read and tries again -- never an overwrite.  Shards beyond the new
count are deleted after the manifest moved.

The store talks to a small object API (:class:`ConfigMapAPI`) so the logic can
be tested with a fake; :class:`KubernetesConfigMaps` adapts kubernetes.core's
client to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.spooky.ops.plugins.module_utils.crdt.hlc import DEFAULT_MAX_OFFSET_MS
from ansible_collections.spooky.ops.plugins.module_utils.crdt.replica import Admission, QuarantineRecord, Replica, admit_shards
from ansible_collections.spooky.ops.plugins.module_utils.crdt.shards import DEFAULT_SHARD_BYTES

DEFAULT_NAMESPACE = "spooky-federation"
DEFAULT_NAME = "spooky-federation"
MANIFEST_KEY = "manifest"
SHARD_KEY = "shard"
LABELS = {"app.kubernetes.io/managed-by": "spooky.ops", "spooky.ops/federation": "replica"}
ATTEMPTS = 5
READ_RETRIES = 3


class Conflict(Exception):
    """A conditional write lost against a concurrent writer (HTTP 409)."""


class StoreError(Exception):
    """The store cannot do what was asked (quarantined replica, writer that keeps losing...)."""


class ConfigMapAPI:
    """What the store needs from a cluster (override every method)."""

    def get(self, namespace, name):
        """The ConfigMap as a dict, or None if it does not exist."""
        raise NotImplementedError

    def create(self, namespace, body):
        """Create; raise :class:`Conflict` if it already exists. Returns the stored object."""
        raise NotImplementedError

    def replace(self, namespace, body):
        """Replace, conditional on ``body.metadata.resourceVersion``; :class:`Conflict` when stale."""
        raise NotImplementedError

    def delete(self, namespace, name):
        """Delete if present."""
        raise NotImplementedError

    def ensure_namespace(self, namespace):
        """Create the namespace if missing; True if created."""
        raise NotImplementedError


def shard_name(name, index):
    """ConfigMap name of shard ``index``."""
    return "%s-shard-%d" % (name, index)


class StoredReplica:
    """What :meth:`ReplicaStore.read` found.

    ``exists`` is False when no manifest is stored (an empty replica is
    returned); ``admission`` holds the replica or the quarantine record;
    ``versions`` maps ConfigMap name -> resourceVersion seen (the write tokens).
    """

    __slots__ = ("exists", "admission", "versions", "shard_count")

    def __init__(self, exists, admission, versions, shard_count):
        self.exists = exists
        self.admission = admission
        self.versions = versions
        self.shard_count = shard_count

    @property
    def replica(self):
        return self.admission.replica

    @property
    def quarantine(self):
        return self.admission.quarantine


class ReplicaStore:
    """The replica of one cluster (node ``node_id``) in ConfigMaps reached through ``api``.

    :param physical_clock: injectable millisecond clock (tests).
    :param max_offset_ms: tolerated clock skew (documents further ahead are quarantined).
    """

    def __init__(self, api, node_id, namespace=DEFAULT_NAMESPACE, name=DEFAULT_NAME, shard_bytes=DEFAULT_SHARD_BYTES,
                 physical_clock=None, max_offset_ms=DEFAULT_MAX_OFFSET_MS, sleep=time.sleep):
        self.api = api
        self.node_id = node_id
        self.namespace = namespace
        self.name = name
        self.shard_bytes = shard_bytes
        self.physical_clock = physical_clock
        self.max_offset_ms = max_offset_ms
        self.sleep = sleep

    def _clock_args(self):
        return {"physical_clock": self.physical_clock, "max_offset_ms": self.max_offset_ms}

    def empty(self):
        """A fresh replica for this node."""
        return Replica(self.node_id, **self._clock_args())

    # -- reading ------------------------------------------------------------
    def _read_once(self):
        manifest_cm = self.api.get(self.namespace, self.name)
        if manifest_cm is None:
            return StoredReplica(False, Admission(replica=self.empty()), {}, 0), True
        versions = {self.name: manifest_cm["metadata"]["resourceVersion"]}
        raw_manifest = (manifest_cm.get("data") or {}).get(MANIFEST_KEY)
        try:
            count = json.loads(raw_manifest or "")["count"]
        except ValueError as exc:
            record = QuarantineRecord("invalid_json", "manifest ConfigMap %s/%s is not JSON: %s" % (self.namespace, self.name, exc))
            return StoredReplica(True, Admission(quarantine=record), versions, 0), True
        except (TypeError, KeyError):
            count = None
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 10000:
            record = QuarantineRecord("shard_invalid", "manifest ConfigMap %s/%s has no valid shard count" % (self.namespace, self.name))
            return StoredReplica(True, Admission(quarantine=record), versions, 0), True
        shards = {}
        for index in range(count):
            cm = self.api.get(self.namespace, shard_name(self.name, index))
            if cm is None:
                continue
            versions[shard_name(self.name, index)] = cm["metadata"]["resourceVersion"]
            text = (cm.get("data") or {}).get(SHARD_KEY)
            if text is not None:
                shards[index] = text
        admission = admit_shards(raw_manifest, shards, expected_node_id=self.node_id, **self._clock_args())
        settled = admission.ok or admission.quarantine.reason != "shard_invalid"
        return StoredReplica(True, admission, versions, count), settled

    def read(self):
        """Read and validate the stored replica (:class:`StoredReplica`).

        Shards that do not match the manifest may be a writer caught between its
        shard writes and its manifest write: the read is retried a few times
        while the manifest moves before the replica is called corrupt.
        """
        stored, settled = self._read_once()
        for attempt in range(READ_RETRIES):
            if settled:
                break
            self.sleep(0.05 * (attempt + 1))
            stored, settled = self._read_once()
        return stored

    # -- writing ------------------------------------------------------------
    def _body(self, name, key, text, version):
        metadata = {"name": name, "namespace": self.namespace, "labels": dict(LABELS)}
        if version is not None:
            metadata["resourceVersion"] = version
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {key: text}}

    def _put(self, name, key, text, versions):
        version = versions.get(name)
        body = self._body(name, key, text, version)
        if version is None:
            return self.api.create(self.namespace, body)
        return self.api.replace(self.namespace, body)

    def write(self, replica, stored):
        """Write ``replica`` over what ``stored`` read; :class:`Conflict` if anything moved since.

        Returns the number of ConfigMaps written or deleted.
        """
        if stored.quarantine is not None:
            raise StoreError("replica of %s is quarantined (%s): it is never overwritten by a merge" % (self.node_id, stored.quarantine.reason))
        manifest, shards = replica.encode_shards(self.shard_bytes)
        if not stored.exists:
            self.api.ensure_namespace(self.namespace)
        writes = 0
        for index, text in enumerate(shards):
            self._put(shard_name(self.name, index), SHARD_KEY, text, stored.versions)
            writes += 1
        manifest_text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
        self._put(self.name, MANIFEST_KEY, manifest_text, stored.versions)
        writes += 1
        for index in range(len(shards), stored.shard_count):
            self.api.delete(self.namespace, shard_name(self.name, index))
            writes += 1
        return writes

    def replace_quarantined(self, replica, stored):
        """Write over a quarantined replica (explicit rehydration only); same conditional writes."""
        if stored.quarantine is None:
            return self.write(replica, stored)
        clean = StoredReplica(stored.exists, Admission(replica=replica), stored.versions, stored.shard_count)
        return self.write(replica, clean)

    def update(self, mutate, check_mode=False, overwrite_quarantined=False, attempts=ATTEMPTS):
        """Read, apply ``mutate(replica) -> changed (truthy)`` and write back conditionally.

        On a conflicting concurrent write the replica is re-read and ``mutate``
        re-applied to the fresh state, so both writes survive.  Returns
        ``(stored_before, replica_after, changed, result_of_mutate, conflicts)``.

        :raises StoreError: quarantined replica (unless ``overwrite_quarantined``,
            then ``mutate`` receives an empty replica), or too many conflicts.
        """
        conflicts = 0
        for _attempt in range(attempts):
            stored = self.read()
            if stored.quarantine is not None and not overwrite_quarantined:
                raise StoreError("replica of %s is quarantined (%s): %s" % (self.node_id, stored.quarantine.reason, stored.quarantine.message))
            replica = stored.replica.copy() if stored.quarantine is None else self.empty()
            before = stored.replica.root_digest() if stored.quarantine is None else None
            outcome = mutate(replica)
            changed = bool(outcome) and replica.root_digest() != before
            if not changed or check_mode:
                return stored, replica, changed, outcome, conflicts
            try:
                if stored.quarantine is not None:
                    self.replace_quarantined(replica, stored)
                else:
                    self.write(replica, stored)
                return stored, replica, True, outcome, conflicts
            except Conflict:
                conflicts += 1
                continue
        raise StoreError("replica of %s kept changing under us: gave up after %d conflicting writes" % (self.node_id, attempts))


class KubernetesConfigMaps(ConfigMapAPI):
    """:class:`ConfigMapAPI` over kubernetes.core's ``K8SClient`` (``get_api_client``)."""

    def __init__(self, client):
        from kubernetes.dynamic.exceptions import ConflictError, NotFoundError  # pylint: disable=import-outside-toplevel
        self._conflict = ConflictError
        self._not_found = NotFoundError
        self.client = client
        self.configmaps = client.resource("ConfigMap", "v1")
        self.namespaces = client.resource("Namespace", "v1")

    def get(self, namespace, name):
        try:
            return self.client.get(self.configmaps, name=name, namespace=namespace).to_dict()
        except self._not_found:
            return None

    def create(self, namespace, body):
        try:
            return self.client.create(self.configmaps, body, namespace=namespace).to_dict()
        except self._conflict:
            raise Conflict("%s/%s was created concurrently" % (namespace, body["metadata"]["name"]))

    def replace(self, namespace, body):
        try:
            return self.client.replace(self.configmaps, body, name=body["metadata"]["name"], namespace=namespace).to_dict()
        except self._conflict:
            raise Conflict("%s/%s changed concurrently" % (namespace, body["metadata"]["name"]))
        except self._not_found:
            raise Conflict("%s/%s was deleted concurrently" % (namespace, body["metadata"]["name"]))

    def delete(self, namespace, name):
        try:
            self.client.delete(self.configmaps, name=name, namespace=namespace)
        except self._not_found:
            pass

    def ensure_namespace(self, namespace):
        try:
            self.client.get(self.namespaces, name=namespace)
            return False
        except self._not_found:
            pass
        try:
            self.client.create(self.namespaces, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        except self._conflict:
            return False
        return True
