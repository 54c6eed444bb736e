"""One emulated Kubernetes API server: kmock's handler with a real object store behind it.

kmock parses each request into a Kubernetes-aware `Request` (resource, namespace, name,
subresource, action) and renders errors as `Status` documents; this subclass adds what
kubernetes.core and the kubernetes client need and kmock lacks: PUT, label and field selectors,
`kind`/`apiVersion` on lists, uid/creationTimestamp/generation, a resourceVersion that changes only
when the object changes (409 on a stale one), 201 on create, strategic/JSON/merge patches,
server-side apply, dry runs, the scale and status subresources, watches, complete discovery, bearer
token authentication and a Deployment controller.
"""

import asyncio
import copy
import json
from typing import Any, Callable, List, Optional

import aiohttp.web
import attrs
import kmock
import yaml

from . import patching
from .catalogue import Catalogue, Kind
from .controller import Controller
from .errors import BadRequest, Conflict, Invalid, MethodNotAllowed, NotFound, Unauthorized, UnsupportedMediaType
from .selectors import field_selector, label_selector
from .store import Store, WatchEvent

SERVER_VERSION = {
    "major": "1", "minor": "30", "gitVersion": "v1.30.0-spooky-lab", "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22.0", "compiler": "gc",
    "platform": "linux/amd64",
}
SCALABLE = ("deployments", "replicasets", "statefulsets")
CONTROLLED = ("deployments", "replicasets", "pods", "horizontalpodautoscalers")
KEEP_REQUESTS = 200  # kmock keeps every request for assertions; a long-running lab keeps only the latest


@attrs.define(kw_only=True)
class LabKubernetes(kmock.KubernetesEmulator):
    cluster_name: str = "lab"
    token: Optional[str] = None
    catalogue: Catalogue = attrs.field(factory=Catalogue)
    store: Store = attrs.field(default=None)
    controller: Controller = attrs.field(default=None)
    _watchers: List[asyncio.Queue] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.store is None:
            self.store = Store(self.catalogue)
        self.store.bootstrap(self.cluster_name)
        self.controller = Controller(self.store)
        self.store.listeners.append(self._fan_out)

    # --- entry point -----------------------------------------------------------------------------

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """kmock's entry point, with two changes for a long-running server.

        kmock's own path parser takes `/api/v1/namespaces/<name>` for a namespace prefix, so
        Namespace objects could not be served; and it keeps every error for test assertions,
        which a lab that runs for days must not. Both are done here instead.
        """
        await raw_request.read()
        try:
            request = await parse_request(raw_request, id=len(self._requests))
            self._requests.append(request)
            return await self._handle(request)
        except Exception as exc:  # every failure becomes a Status answer, never a dropped connection
            return await self._render_error(exc)

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        del self._requests[:-KEEP_REQUESTS]
        path = request.url.path.rstrip("/") or "/"
        if path in ("/healthz", "/readyz", "/livez"):
            return aiohttp.web.Response(text="ok")
        self._authenticate(request)
        if request.resource is None or not request.resource.plural:
            return self._json(self._discovery(path))
        kind = self._kind(request)
        if request.method == "GET" and request.params.get("watch") in ("true", "1", "True"):
            return await self._watch(request, kind)
        status, body = self._dispatch(request, kind)
        return self._json(body, status)

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        """A Status document as a real apiserver sends it (kmock adds a traceback; only unexpected errors keep one)."""
        if not isinstance(exc, kmock.KubernetesError):
            return await super()._render_error(exc)
        body = {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": exc.status,
                "reason": exc.reason, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return aiohttp.web.json_response(body, status=exc.status)

    def _authenticate(self, request: kmock.Request) -> None:
        if self.token and request.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise Unauthorized("Unauthorized")

    @staticmethod
    def _json(body: Any, status: int = 200) -> aiohttp.web.Response:
        return aiohttp.web.json_response(body, status=status)

    def _discovery(self, path: str) -> dict:
        if path == "/":
            return {"paths": self.catalogue.paths()}
        if path == "/version":
            return SERVER_VERSION
        if path == "/api":
            return self.catalogue.api_versions()
        if path == "/apis":
            return self.catalogue.api_group_list()
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            doc = self.catalogue.resource_list("", parts[1])
        elif parts[0] == "apis" and len(parts) == 2 and parts[1] in self.catalogue.groups():
            doc = self.catalogue.api_group(parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            doc = self.catalogue.resource_list(parts[1], parts[2])
        else:
            doc = None
        if doc is None:
            raise NotFound(f"the server could not find the requested resource ({path})")
        return doc

    def _kind(self, request: kmock.Request) -> Kind:
        res = request.resource
        kind = self.catalogue.find(res.group or "", res.version or "", res.plural or "")
        if kind is None:
            raise NotFound(f"the server could not find the requested resource ({request.url.path})")
        if request.namespace is not None and not kind.namespaced:
            raise NotFound(f"{kind.kind} is not namespaced ({request.url.path})")
        if request.subresource and request.subresource not in kind.subresources:
            raise NotFound(f"{kind.group_resource} has no subresource {request.subresource!r}")
        return kind

    # --- verbs -----------------------------------------------------------------------------------

    def _dispatch(self, request: kmock.Request, kind: Kind):
        method, name, ns = request.method, request.name, request.namespace or ""
        version = request.resource.version
        dry_run = request.params.get("dryRun") == "All"
        if name is None:
            if method == "GET":
                return 200, self._list(request, kind, ns, version)
            if method == "POST":
                body = self._body(request)
                obj = self.store.prepare_new(kind, ns, body) if dry_run else self._after_write(kind, self.store.create(kind, ns, body))
                return 201, self._view(kind, obj, version)
            if method == "DELETE":
                return 200, self._delete_collection(request, kind, ns, version, dry_run)
            raise MethodNotAllowed(f"{method} is not supported on a collection")
        if method == "GET":
            obj = self.store.get(kind, ns, name)
            return 200, self._scale_of(obj) if request.subresource == "scale" else self._view(kind, obj, version)
        if method == "PUT":
            return self._replace(request, kind, ns, name, version, dry_run)
        if method == "PATCH":
            return self._patch(request, kind, ns, name, version, dry_run)
        if method == "DELETE":
            return 200, self._delete(request, kind, ns, name, version, dry_run)
        raise MethodNotAllowed(f"{method} is not supported on an object")

    def _list(self, request: kmock.Request, kind: Kind, ns: str, version: str) -> dict:
        labels = label_selector(request.params.get("labelSelector", ""))
        fields = field_selector(request.params.get("fieldSelector", ""))
        items = [self._view(kind, obj, version) for obj in self.store.list(kind, ns)
                 if labels(obj["metadata"].get("labels") or {}) and fields(obj)]
        return {"apiVersion": kind.api_version(version), "kind": kind.list_kind,
                "metadata": {"resourceVersion": str(self.store.revision)}, "items": items}

    def _replace(self, request, kind, ns, name, version, dry_run):
        body = self._body(request)
        current = self.store.get(kind, ns, name)
        expected = (body.get("metadata") or {}).get("resourceVersion")
        new = self._merge_subresource(request, kind, current, body)
        return self._write(kind, current, new, expected, version, dry_run, request.subresource)

    def _patch(self, request, kind, ns, name, version, dry_run):
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type == "application/apply-patch+yaml":
            return self._apply(request, kind, ns, name, version, dry_run)
        patch = self._body(request)
        current = self.store.get(kind, ns, name)
        base = self._scale_of(current) if request.subresource == "scale" else current
        try:
            if content_type == "application/merge-patch+json":
                patched = patching.merge_patch(base, patch)
            elif content_type == "application/strategic-merge-patch+json":
                patched = patching.strategic_merge(base, patch)
            elif content_type == "application/json-patch+json":
                patched = patching.json_patch(base, patch)
            else:
                raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types include: "
                                           f"application/json-patch+json, application/merge-patch+json, "
                                           f"application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type!r})")
        except patching.PatchError as exc:
            raise Invalid(str(exc)) from exc
        expected = (patched.get("metadata") or {}).get("resourceVersion")
        new = self._merge_subresource(request, kind, current, patched)
        return self._write(kind, current, new, expected, version, dry_run, request.subresource)

    def _apply(self, request, kind, ns, name, version, dry_run):
        manager = request.params.get("fieldManager")
        if not manager:
            raise BadRequest("PATCH, application/apply-patch+yaml requires a fieldManager")
        try:
            applied = yaml.safe_load(request.text or "{}")
        except yaml.YAMLError as exc:
            raise BadRequest(f"error decoding YAML: {exc}") from exc
        if not isinstance(applied, dict):
            raise BadRequest("the applied configuration must be an object")
        meta = applied.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise BadRequest("metadata.name: the name of the object does not match the name on the URL")
        meta["name"] = name
        current = self.store.find(kind, ns, name)
        fields = patching.field_set(applied)
        entry = {"manager": manager, "operation": "Apply", "apiVersion": kind.api_version(version),
                 "time": None, "fieldsType": "FieldsV1", "fieldsV1": fields}
        if current is None:
            applied["metadata"]["managedFields"] = [entry]
            if dry_run:
                return 201, self._view(kind, self.store.prepare_new(kind, ns, applied), version)
            obj = self.store.create(kind, ns, applied)
            self._stamp_managed(kind, obj, entry)
            return 201, self._view(kind, self._after_write(kind, self.store.get(kind, ns, name)), version)
        managed = [m for m in current["metadata"].get("managedFields") or [] if m.get("manager") == manager and m.get("operation") == "Apply"]
        previous = managed[0]["fieldsV1"] if managed else {}
        new = patching.server_side_apply(current, applied, previous)
        new["metadata"]["managedFields"] = current["metadata"].get("managedFields") or []
        expected = meta.get("resourceVersion")
        status, obj = self._write(kind, current, new, expected, version, dry_run, None)
        if not dry_run and previous != fields:
            self._stamp_managed(kind, self.store.get(kind, ns, name), entry)
            obj = self._view(kind, self.store.get(kind, ns, name), version)
        return status, obj

    def _stamp_managed(self, kind: Kind, obj: dict, entry: dict) -> None:
        """Record the field manager's set directly: bookkeeping that is not itself a change of the object."""
        from .store import now_rfc3339
        entry = dict(entry, time=now_rfc3339())
        others = [m for m in obj["metadata"].get("managedFields") or [] if m.get("manager") != entry["manager"]]
        obj["metadata"]["managedFields"] = others + [entry]

    def _write(self, kind, current, new, expected, version, dry_run, subresource):
        obj, changed = self.store.prepare_update(kind, current, new, expected)
        if changed and not dry_run:
            obj = self._after_write(kind, self.store.put(kind, obj))
        elif not changed:
            obj = current
        return 200, self._scale_of(obj) if subresource == "scale" else self._view(kind, obj, version)

    def _merge_subresource(self, request, kind: Kind, current: dict, body: dict) -> dict:
        """What a write to the object, its status, or its scale may change."""
        if request.subresource == "status":
            new = copy.deepcopy(current)
            new["status"] = body.get("status", {})
            new["metadata"]["resourceVersion"] = (body.get("metadata") or {}).get("resourceVersion") or current["metadata"]["resourceVersion"]
            return new
        if request.subresource == "scale":
            replicas = (body.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise Invalid(f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0")
            new = copy.deepcopy(current)
            new["spec"]["replicas"] = replicas
            return new
        new = copy.deepcopy(body)
        if "status" in kind.subresources:
            # The main resource cannot change the status, as on a real apiserver.
            if "status" in current:
                new["status"] = copy.deepcopy(current["status"])
            else:
                new.pop("status", None)
        return new

    def _delete(self, request, kind, ns, name, version, dry_run):
        current = self.store.get(kind, ns, name)
        options = request.data if isinstance(request.data, dict) else {}
        pre = options.get("preconditions") or {}
        if pre.get("resourceVersion") and pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise Conflict(f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                           f"ResourceVersion in object meta: {current['metadata']['resourceVersion']}")
        if pre.get("uid") and pre["uid"] != current["metadata"]["uid"]:
            raise Conflict(f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {current['metadata']['uid']}")
        if dry_run:
            return self._view(kind, current, version)
        obj = self.store.delete(kind, ns, name)
        self._after_write(kind, obj)
        return self._view(kind, obj, version)

    def _delete_collection(self, request, kind, ns, version, dry_run):
        listed = self._list(request, kind, ns, version)
        if not dry_run:
            for item in listed["items"]:
                meta = item["metadata"]
                if self.store.find(kind, meta.get("namespace", ""), meta["name"]) is not None:
                    self._after_write(kind, self.store.delete(kind, meta.get("namespace", ""), meta["name"]))
        return listed

    def _after_write(self, kind: Kind, obj: dict) -> dict:
        ns = obj["metadata"].get("namespace")
        if ns and kind.plural in CONTROLLED:
            self.controller.reconcile_namespace(ns)
            return self.store.find(kind, ns, obj["metadata"]["name"]) or obj
        return obj

    # --- shapes ----------------------------------------------------------------------------------

    @staticmethod
    def _body(request: kmock.Request) -> dict:
        if request.data is None and request.text:
            try:
                return json.loads(request.text)
            except ValueError as exc:
                raise BadRequest(f"the request body is not valid JSON: {exc}") from exc
        if not isinstance(request.data, (dict, list)):
            raise BadRequest("the request body must be a JSON object")
        return request.data

    @staticmethod
    def _view(kind: Kind, obj: dict, version: str) -> dict:
        if obj.get("apiVersion") == kind.api_version(version):
            return obj
        view = dict(obj)
        view["apiVersion"] = kind.api_version(version)
        return view

    def _scale_of(self, obj: dict) -> dict:
        meta = obj["metadata"]
        if obj["kind"] not in ("Deployment", "ReplicaSet", "StatefulSet"):
            raise NotFound(f"{obj['kind']} has no scale subresource")
        labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))},
        }

    # --- watch -----------------------------------------------------------------------------------

    def _fan_out(self, event: WatchEvent) -> None:
        for queue in self._watchers:
            queue.put_nowait(event)

    async def _watch(self, request: kmock.Request, kind: Kind) -> aiohttp.web.StreamResponse:
        ns = request.namespace or ""
        labels = label_selector(request.params.get("labelSelector", ""))
        fields = field_selector(request.params.get("fieldSelector", ""))
        if request.name:
            fields = _and(fields, lambda obj: obj["metadata"]["name"] == request.name)
        version = request.resource.version
        timeout = min(int(request.params.get("timeoutSeconds", "300") or 300), 1800)
        since = request.params.get("resourceVersion", "")

        def matches(group_plural_ns, obj) -> bool:
            group, plural, obj_ns = group_plural_ns
            return (group, plural) == (kind.group, kind.plural) and (not ns or obj_ns == ns) \
                and labels(obj["metadata"].get("labels") or {}) and fields(obj)

        queue: asyncio.Queue = asyncio.Queue()
        self._watchers.append(queue)
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request._raw_request)
        try:
            sent_up_to = self.store.revision
            if since in ("", "0"):
                initial = [{"type": "ADDED", "object": self._view(kind, obj, version)}
                           for obj in self.store.list(kind, ns or None) if matches((kind.group, kind.plural, obj["metadata"].get("namespace", "")), obj)]
            else:
                oldest = self.store.events[0].resource_version if self.store.events else self.store.revision + 1
                if int(since) < oldest - 1:
                    initial = [{"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                                                            "reason": "Expired", "message": f"too old resource version: {since} ({oldest})"}}]
                else:
                    initial = [{"type": e.type, "object": self._view(kind, e.object, version)} for e in self.store.events
                               if e.resource_version > int(since) and matches(e.key[:3], e.object)]
            for event in initial:
                await response.write(json.dumps(event).encode() + b"\n")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    event = await asyncio.wait_for(queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
                if event.resource_version <= sent_up_to or not matches(event.key[:3], event.object):
                    continue
                await response.write(json.dumps({"type": event.type, "object": self._view(kind, event.object, version)}).encode() + b"\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._watchers.remove(queue)
        await response.write_eof()
        return response

    # --- lab controls ----------------------------------------------------------------------------

    def save(self) -> dict:
        return {"cluster": self.cluster_name, **self.store.dump()}

    def load(self, state: dict) -> None:
        self.store.load(state)
        self.store.bootstrap(self.cluster_name)

    def wipe(self) -> None:
        self.store.wipe()
        self.store.bootstrap(self.cluster_name)


async def parse_request(raw_request: aiohttp.web.BaseRequest, id: int = 0) -> kmock.Request:
    """Build kmock's Request, with the Kubernetes fields taken from the path as the apiserver reads it."""
    body = await raw_request.read()
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    group = version = plural = namespace = name = subresource = None
    parts = [p for p in raw_request.path.split("/") if p]
    if len(parts) >= 2 and parts[0] in ("api", "apis"):
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        else:
            group, rest = parts[1], parts[2:]
            version, rest = (rest[0], rest[1:]) if rest else (None, [])
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        plural = rest[0] if rest else None
        name = rest[1] if len(rest) > 1 else None
        subresource = "/".join(rest[2:]) or None
    resource = kmock.resource(group=group, version=version, plural=plural) if group is not None else None
    return kmock.Request(
        id=id, raw_request=raw_request, url=raw_request.url, method=raw_request.method,
        params=dict(raw_request.query), headers=dict(raw_request.headers), cookies=dict(raw_request.cookies),
        data=data, body=body, text=text, resource=resource, namespace=namespace, name=name, subresource=subresource,
    )


def _and(first: Callable[[dict], bool], second: Callable[[dict], bool]) -> Callable[[dict], bool]:
    return lambda obj: first(obj) and second(obj)
