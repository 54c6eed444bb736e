# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canonical digest of a file or a directory tree.

* A file: ``sha256:<hex>`` of its bytes.
* A directory: ``sha256:<hex>`` of ``spooky.ops/tree/v1\\n`` followed by one line per file,
  ``<sha256 hex>  <relative path>\\n``, sorted by the UTF-8 bytes of the relative path (``/`` separators).
  Symbolic links are not followed: a link's line carries ``link:<sha256 hex of its target>`` instead.
  Signature files (``*.sig``, see ``SIGNATURE_SUFFIX``) and the paths given in ``exclude`` are left out, so
  signing a directory, or a file inside it, never changes the directory's digest. Empty directories do not count.

The digest of a directory keeps the per-file listing (``files``), so a verifier can name the files that changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError

SIGNATURE_SUFFIX = ".sig"
DIRECTORY_SIGNATURE = "SIGNATURE.sig"  # the default signature of a directory, inside it
TREE_HEADER = b"spooky.ops/tree/v1\n"
FILE = "file"
DIRECTORY = "directory"
_CHUNK = 1 << 20


class Digest(object):
    """``kind`` (file or directory), ``value`` (``sha256:<hex>``) and, for a directory, ``files`` {relpath: hash}."""

    def __init__(self, kind, value, files=None):
        self.kind = kind
        self.value = value
        self.files = files

    def __eq__(self, other):
        return isinstance(other, Digest) and (self.kind, self.value) == (other.kind, other.value)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Digest(%s, %s)" % (self.kind, self.value)


def is_signature_file(name):
    return name.endswith(SIGNATURE_SUFFIX)


def default_signature_path(path):
    """Where the signature of ``path`` lives by default: ``<file>.sig``, or ``<dir>/SIGNATURE.sig``."""
    if os.path.isdir(path):
        return os.path.join(path, DIRECTORY_SIGNATURE)
    return path + SIGNATURE_SUFFIX


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def tree_listing(files):
    """The bytes hashed for a directory, from its {relpath: hash} listing."""
    lines = [TREE_HEADER]
    for rel in sorted(files, key=lambda r: r.encode("utf-8", "surrogateescape")):
        lines.append(("%s  %s\n" % (files[rel], rel)).encode("utf-8", "surrogateescape"))
    return b"".join(lines)


def tree_digest_value(files):
    return "sha256:" + hashlib.sha256(tree_listing(files)).hexdigest()


def tree_files(root, exclude=()):
    """{relative path: hash} of every file under ``root``, signature files and ``exclude`` left out."""
    excluded = set(os.path.normpath(os.path.abspath(p)) for p in exclude)
    files = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames + links):
            full = os.path.join(dirpath, name)
            if is_signature_file(name) or os.path.normpath(os.path.abspath(full)) in excluded:
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if "\n" in rel or "\r" in rel:
                raise SigningError("%s: file names with line breaks cannot be signed" % full)
            if os.path.islink(full):
                target = os.readlink(full).encode("utf-8", "surrogateescape")
                files[rel] = "link:" + hashlib.sha256(target).hexdigest()
            elif os.path.isfile(full):
                files[rel] = file_sha256(full)
            # sockets, fifos and devices are not content: left out
        dirnames[:] = [d for d in dirnames if d not in links]
    return files


def compute(path, exclude=()):
    """The Digest of a file or a directory. ``exclude``: more paths to leave out of a directory's digest."""
    if os.path.isdir(path):
        files = tree_files(path, exclude)
        return Digest(DIRECTORY, tree_digest_value(files), files)
    if os.path.isfile(path):
        return Digest(FILE, "sha256:" + file_sha256(path))
    if os.path.lexists(path):
        raise SigningError("%s: neither a regular file nor a directory" % path)
    raise SigningError("%s: no such file or directory" % path)


def compare_files(signed, actual):
    """What changed between two directory listings: dict(changed=[...], added=[...], removed=[...])."""
    signed = signed or {}
    return dict(
        changed=sorted(r for r in actual if r in signed and signed[r] != actual[r]),
        added=sorted(r for r in actual if r not in signed),
        removed=sorted(r for r in signed if r not in actual),
    )
