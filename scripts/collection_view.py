#!/usr/bin/env python3
"""Build the ansible_collections root that ansible-test runs in (see scripts/ansible_test.sh).

    collection_view.py SOURCE VIEW DEPS

SOURCE  the collection (collections/ansible_collections/spooky/ops)
VIEW    the ansible_collections directory to build (.deps/ansible-test/ansible_collections)
DEPS    an ansible_collections directory with the dependency collections (.deps/collections/...)

The collection is mirrored as a real copy (ansible-test's pytest plugin resolves test paths
with realpath, so a symlinked collection breaks `ansible-test units`): the files git would
give ansible-test in the real tree (tracked and untracked-but-not-ignored; every file but
tests/output and caches outside git), copied only when changed, and files gone from SOURCE
are removed. tests/output of the copy is kept. The dependency collections are symlinked.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".hypothesis", ".git"}


def source_files(source: str) -> set[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=source, check=True, capture_output=True).stdout
        files = {name for name in out.decode("utf-8", "surrogateescape").split("\0") if name}
    except (OSError, subprocess.CalledProcessError):
        files = set()
        for root, dirs, names in os.walk(source):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for name in names:
                if not name.endswith((".pyc", ".pyo")):
                    files.add(os.path.relpath(os.path.join(root, name), source))
    return {f for f in files
            if not f.startswith("tests/output/") and os.path.lexists(os.path.join(source, f))}


def same(src: str, dst: str) -> bool:
    try:
        a, b = os.lstat(src), os.lstat(dst)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(a.st_mode) or stat.S_ISLNK(b.st_mode):
        return stat.S_ISLNK(a.st_mode) and stat.S_ISLNK(b.st_mode) and os.readlink(src) == os.readlink(dst)
    return (a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime)
            and stat.S_IMODE(a.st_mode) == stat.S_IMODE(b.st_mode))


def mirror(source: str, target: str) -> None:
    files = source_files(source)
    for rel in sorted(files):
        src, dst = os.path.join(source, rel), os.path.join(target, rel)
        if same(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst) or os.path.isdir(dst):
            if os.path.isdir(dst) and not os.path.islink(dst):
                shutil.rmtree(dst)
            else:
                os.unlink(dst)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    # drop what SOURCE no longer has (but keep the copy's tests/output)
    for root, dirs, names in os.walk(target, topdown=False):
        rel_root = os.path.relpath(root, target)
        if rel_root == "tests/output" or rel_root.startswith("tests/output/"):
            continue
        for name in names:
            rel = os.path.normpath(os.path.join(rel_root, name))
            if rel not in files:
                os.unlink(os.path.join(root, name))
        for name in dirs:
            path = os.path.join(root, name)
            if os.path.islink(path):
                if os.path.normpath(os.path.join(rel_root, name)) not in files:
                    os.unlink(path)
            elif not os.listdir(path):
                os.rmdir(path)


def link_deps(view: str, deps: str, own: str) -> None:
    wanted = {}
    for namespace in sorted(os.listdir(deps)) if os.path.isdir(deps) else []:
        for name in sorted(os.listdir(os.path.join(deps, namespace))):
            path = os.path.join(deps, namespace, name)
            if os.path.isfile(os.path.join(path, "MANIFEST.json")) and f"{namespace}/{name}" != own:
                wanted[f"{namespace}/{name}"] = os.path.relpath(path, os.path.join(view, namespace))
    for namespace in os.listdir(view):
        for name in os.listdir(os.path.join(view, namespace)):
            key, path = f"{namespace}/{name}", os.path.join(view, namespace, name)
            if key != own and os.path.islink(path) and os.readlink(path) != wanted.get(key):
                os.unlink(path)
    for key, link in wanted.items():
        path = os.path.join(view, key)
        if not os.path.islink(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(link, path)


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    source, view, deps = (os.path.abspath(arg) for arg in sys.argv[1:])
    parts = source.split(os.sep)
    own = f"{parts[-2]}/{parts[-1]}"
    target = os.path.join(view, own)
    if os.path.islink(target):  # an older layout linked the collection itself
        os.unlink(target)
    os.makedirs(target, exist_ok=True)
    mirror(source, target)
    link_deps(view, deps, own)


if __name__ == "__main__":
    main()
