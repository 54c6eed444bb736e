# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy bundles: the files of a policy directory, their digest, and where a cluster keeps them.

A bundle is what OPA loads: the ``.rego`` files and ``data.json``/``data.yaml`` documents of a directory,
and a ``.manifest`` (JSON with ``revision`` and ``roots``, as OPA bundles have).

The digest is ``sha256:`` + the SHA-256 of one line per file, sorted by path, ``<sha256 of the file>  <path>``
(the format of sha256sum), followed by ``revision <manifest revision>``. The ``.manifest`` file itself is not
among the hashed files; its revision is. Two directories with the same files and revision have the same
digest wherever they are.

In a cluster, the bundle is a ConfigMap (``spooky-policy-bundle`` in ``spooky-system`` by default) whose data
holds the files (ConfigMap keys cannot hold ``/``: ``peace_bonds/policy.rego`` is stored under the key
``peace_bonds__policy.rego``) and the ``.manifest``, annotated with the digest and the revision.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re

MANIFEST = ".manifest"
DATA_FILES = ("data.json", "data.yaml", "data.yml")
KEY_SEPARATOR = "__"
DIGEST_ANNOTATION = "spooky.ops/policy-digest"
REVISION_ANNOTATION = "spooky.ops/policy-revision"
MANAGED_BY = {"app.kubernetes.io/managed-by": "spooky.ops", "app.kubernetes.io/component": "policy-bundle"}
CONFIGMAP_LIMIT = 1024 * 1024  # bytes: the Kubernetes limit on a ConfigMap's data
_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class BundleError(ValueError):
    """A policy directory, manifest or ConfigMap that is not a valid bundle."""


def is_bundle_file(rel):
    """Whether a path (relative to the bundle root, with '/') is part of the bundle."""
    name = rel.rsplit("/", 1)[-1]
    if any(part.startswith(".") for part in rel.split("/")):
        return False
    return name.endswith(".rego") or name in DATA_FILES


def read_dir(path):
    """({relative path: bytes}, manifest dict or None) of a policy directory; BundleError when it is not one."""
    if not os.path.isdir(path):
        raise BundleError("policy directory %s does not exist or is not a directory" % path)
    files = {}
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            if is_bundle_file(rel):
                with open(full, "rb") as handle:
                    files[rel] = handle.read()
    manifest = None
    manifest_path = os.path.join(path, MANIFEST)
    if os.path.isfile(manifest_path):
        with open(manifest_path, "rb") as handle:
            manifest = parse_manifest(handle.read(), manifest_path)
    return files, manifest


def parse_manifest(content, where=MANIFEST):
    """The manifest as a dict with a string revision and a list of roots; BundleError naming the file otherwise."""
    if isinstance(content, bytes):
        content = content.decode("utf-8")
    try:
        manifest = json.loads(content) if content.strip() else {}
    except ValueError as exc:
        raise BundleError("%s is not JSON: %s" % (where, exc))
    if not isinstance(manifest, dict):
        raise BundleError("%s must be a JSON object with revision and roots, got %s" % (where, type(manifest).__name__))
    revision = manifest.get("revision", "")
    if not isinstance(revision, str):
        raise BundleError("%s: revision must be a string, got %s" % (where, json.dumps(revision)))
    roots = manifest.get("roots", [""])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise BundleError("%s: roots must be a list of strings, got %s" % (where, json.dumps(roots)))
    return dict(manifest, revision=revision, roots=roots)


def revision_of(manifest):
    return (manifest or {}).get("revision", "") or ""


def file_hashes(files):
    return dict((rel, hashlib.sha256(_bytes(content)).hexdigest()) for rel, content in files.items())


def digest(files, revision=""):
    """The bundle digest (see the module docstring): files is {relative path: bytes or str}."""
    outer = hashlib.sha256()
    hashes = file_hashes(files)
    for rel in sorted(hashes):
        outer.update(("%s  %s\n" % (hashes[rel], rel)).encode("utf-8"))
    outer.update(("revision %s\n" % (revision or "")).encode("utf-8"))
    return "sha256:" + outer.hexdigest()


def dir_digest(path):
    files, manifest = read_dir(path)
    return digest(files, revision_of(manifest))


def _bytes(content):
    return content if isinstance(content, bytes) else content.encode("utf-8")


def compare(expected, found):
    """Which files differ between two {path: content} maps: added (only found), removed (only expected), changed."""
    expected_hashes = file_hashes(expected)
    found_hashes = file_hashes(found)
    return dict(
        added=sorted(set(found_hashes) - set(expected_hashes)),
        removed=sorted(set(expected_hashes) - set(found_hashes)),
        changed=sorted(rel for rel in set(expected_hashes) & set(found_hashes) if expected_hashes[rel] != found_hashes[rel]),
    )


# --- ConfigMap storage -----------------------------------------------------------------------

def configmap_key(rel):
    if KEY_SEPARATOR in rel:
        raise BundleError("policy file %s: '%s' in a path cannot be stored in a ConfigMap key (it stands for '/')" % (rel, KEY_SEPARATOR))
    key = rel.replace("/", KEY_SEPARATOR)
    if not _KEY.match(key):
        raise BundleError("policy file %s: a ConfigMap key may only hold letters, digits, '-', '_' and '.'" % rel)
    return key


def configmap_data(files, manifest):
    """The ConfigMap data (str values) of a bundle: its files and its .manifest."""
    data = {}
    for rel, content in files.items():
        try:
            data[configmap_key(rel)] = _bytes(content).decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("policy file %s is not UTF-8 text: a ConfigMap data value must be" % rel)
    data[MANIFEST] = json.dumps(manifest if manifest is not None else {"revision": "", "roots": [""]}, indent=2, sort_keys=True) + "\n"
    size = sum(len(k) + len(v.encode("utf-8")) for k, v in data.items())
    if size > CONFIGMAP_LIMIT:
        raise BundleError("the bundle is %d bytes: more than a ConfigMap holds (%d)" % (size, CONFIGMAP_LIMIT))
    return data


def configmap(files, manifest, name, namespace):
    """The whole ConfigMap of a bundle."""
    data = configmap_data(files, manifest)
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": name, "namespace": namespace, "labels": dict(MANAGED_BY),
            "annotations": {DIGEST_ANNOTATION: digest(files, revision_of(manifest)), REVISION_ANNOTATION: revision_of(manifest)},
        },
        "data": data,
    }


def from_configmap(obj):
    """What a ConfigMap holds: dict(files, manifest, revision, digest (recomputed), annotated_digest)."""
    data = (obj or {}).get("data") or {}
    files = {}
    manifest = None
    problems = []
    for key, value in data.items():
        if key == MANIFEST:
            try:
                manifest = parse_manifest(value or "", "ConfigMap key .manifest")
            except BundleError as exc:
                problems.append(str(exc))
            continue
        rel = key.replace(KEY_SEPARATOR, "/")
        if is_bundle_file(rel):
            files[rel] = (value or "").encode("utf-8")
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    return dict(files=files, manifest=manifest, revision=revision_of(manifest),
                digest=digest(files, revision_of(manifest)), annotated_digest=annotations.get(DIGEST_ANNOTATION),
                problems=problems)


def data_digest(data):
    """The digest of a ConfigMap's data, or of any {path or key: content} map with an optional .manifest entry."""
    if not isinstance(data, dict):
        raise BundleError("expected a mapping of file names to contents, got %s" % type(data).__name__)
    return from_configmap({"data": data})["digest"]


# --- OPA status ------------------------------------------------------------------------------

def from_opa_status(document, bundle_name=None):
    """The bundle an OPA runs, from a status document (the status plugin's ``bundles.<name>.active_revision``) or
    from ``GET /v1/data/system/bundles`` (``<name>.manifest.revision``; ``manifest.metadata.spooky_digest`` when the
    bundle was built with one). Returns dict(name, revision, digest or None)."""
    if not isinstance(document, dict):
        raise BundleError("the OPA status document must be an object, got %s" % type(document).__name__)
    if isinstance(document.get("result"), dict):  # GET /v1/data/system/bundles answer
        document = {"system_bundles": document["result"]}
    if isinstance(document.get("bundles"), dict):
        bundles = dict((name, dict(revision=(b or {}).get("active_revision"), digest=None))
                       for name, b in document["bundles"].items())
    elif isinstance(document.get("system_bundles"), dict):
        bundles = {}
        for name, b in document["system_bundles"].items():
            manifest = (b or {}).get("manifest") or {}
            bundles[name] = dict(revision=manifest.get("revision"), digest=(manifest.get("metadata") or {}).get("spooky_digest"))
    else:
        raise BundleError("not an OPA status document: no bundles object (status plugin) or result object (/v1/data/system/bundles)")
    if not bundles:
        raise BundleError("the OPA status document lists no bundle")
    if bundle_name is None:
        if len(bundles) > 1:
            raise BundleError("the OPA runs %d bundles (%s): name one with bundle_name" % (len(bundles), ", ".join(sorted(bundles))))
        bundle_name = next(iter(bundles))
    if bundle_name not in bundles:
        raise BundleError("the OPA runs no bundle named %s (it runs %s)" % (bundle_name, ", ".join(sorted(bundles))))
    return dict(bundles[bundle_name], name=bundle_name)
