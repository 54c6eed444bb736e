# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories as artifacts: a deterministic tar.gz, and the tree digest that proves an extraction is whole.

The archive lists entries in sorted order with owner ids and names cleared and a gzip header without a
timestamp, so the same tree gives the same bytes (and the same sha256) twice. The tree digest is a sha256
over one line per entry (relative path, type, size, sha256 of the content or the link target): it is
computed while archiving, recorded in the manifest, and computed again over the extracted copy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import gzip
import hashlib
import os
import stat
import tarfile

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError, IntegrityError

CHUNK = 1024 * 1024


def _excluded(relpath, patterns):
    name = os.path.basename(relpath)
    return any(fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p) for p in patterns or ())


def walk(root, exclude=None):
    """Sorted (relative path, absolute path, lstat) of everything under `root`, `root` itself excluded."""
    entries = []
    for current, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(current, root)
        kept = []
        for name in sorted(dirs):
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if not _excluded(rel, exclude):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(dirs) + sorted(files):
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if _excluded(rel, exclude):
                continue
            full = os.path.join(current, name)
            entries.append((rel, full, os.lstat(full)))
    entries.sort(key=lambda item: item[0])
    return entries


class TreeDigest(object):
    def __init__(self):
        self._hash = hashlib.sha256()
        self.files = 0
        self.bytes = 0

    def add(self, relpath, kind, size, content_digest):
        self._hash.update(("%s\0%s\0%d\0%s\n" % (relpath, kind, size, content_digest)).encode("utf-8", "surrogateescape"))
        if kind == "f":
            self.files += 1
            self.bytes += size

    def result(self):
        return dict(files=self.files, bytes=self.bytes, digest=self._hash.hexdigest())


class _HashingReader(object):
    def __init__(self, handle):
        self.handle = handle
        self.hash = hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.hash.update(data)
        return data


def _kind(mode):
    if stat.S_ISDIR(mode):
        return "d"
    if stat.S_ISREG(mode):
        return "f"
    if stat.S_ISLNK(mode):
        return "l"
    return None


def write_tar_gz(root, fileobj, exclude=None, compresslevel=6):
    """Archive the tree under `root` into `fileobj` (tar.gz, deterministic); returns its tree digest dict."""
    if not os.path.isdir(root):
        raise BackupError("%s is not a directory" % root)
    tree = TreeDigest()
    with gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, compresslevel=compresslevel, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for rel, full, st in walk(root, exclude):
                kind = _kind(st.st_mode)
                if kind is None:
                    continue  # sockets, fifos, devices: not backed up
                info = tarfile.TarInfo(rel)
                info.mode = stat.S_IMODE(st.st_mode)
                info.mtime = int(st.st_mtime)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if kind == "d":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                    tree.add(rel, "d", 0, "")
                elif kind == "l":
                    info.type = tarfile.SYMTYPE
                    info.linkname = os.readlink(full)
                    tar.addfile(info)
                    tree.add(rel, "l", 0, info.linkname)
                else:
                    info.size = st.st_size
                    with open(full, "rb") as handle:
                        reader = _HashingReader(handle)
                        tar.addfile(info, reader)
                    tree.add(rel, "f", st.st_size, reader.hash.hexdigest())
    return tree.result()


def tree_digest(root, exclude=None):
    """The tree digest of a directory as it is on disk (what an extraction is checked with)."""
    tree = TreeDigest()
    for rel, full, st in walk(root, exclude):
        kind = _kind(st.st_mode)
        if kind == "d":
            tree.add(rel, "d", 0, "")
        elif kind == "l":
            tree.add(rel, "l", 0, os.readlink(full))
        elif kind == "f":
            digest = hashlib.sha256()
            with open(full, "rb") as handle:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(block)
            tree.add(rel, "f", st.st_size, digest.hexdigest())
    return tree.result()


def _safe(member, dest):
    name = member.name
    if name.startswith("/") or ".." in name.split("/"):
        return False
    if member.islnk():
        return False
    if member.issym():
        target = os.path.normpath(os.path.join(os.path.dirname(os.path.join(dest, name)), member.linkname))
        if not (target == dest or target.startswith(dest + os.sep)):
            return False
    return member.isdir() or member.isfile() or member.issym()


def extract_tar_gz(path, dest, name=None):
    """Extract a tar.gz made by write_tar_gz into `dest` (created); refuses members that would escape it."""
    label = name or os.path.basename(path)
    dest = os.path.abspath(dest)
    if not os.path.isdir(dest):
        os.makedirs(dest)
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if not _safe(member, dest):
                    raise IntegrityError("%s holds an unsafe member %r (absolute, outside the tree, or a device): refused"
                                         % (label, member.name), label)
                target = os.path.join(dest, member.name)
                if member.isdir():
                    if not os.path.isdir(target):
                        os.makedirs(target)
                    os.chmod(target, member.mode | 0o700)
                elif member.issym():
                    os.symlink(member.linkname, target)
                else:
                    parent = os.path.dirname(target)
                    if not os.path.isdir(parent):
                        os.makedirs(parent)
                    source = tar.extractfile(member)
                    with open(target, "wb") as out:
                        for block in iter(lambda: source.read(CHUNK), b""):
                            out.write(block)
                    os.chmod(target, member.mode)
                    os.utime(target, (member.mtime, member.mtime))
    except (tarfile.TarError, EOFError, OSError, IOError) as exc:
        raise IntegrityError("%s could not be extracted: %s" % (label, exc), label)
    return dest
