#!/usr/bin/env python3
"""Install the collections listed in requirements.yml without Ansible Galaxy.

Galaxy is not reachable from the machines this project runs on, but PyPI is, and the
``ansible`` package on PyPI bundles the community collections. This script downloads that
package's wheel (``pip download --no-deps``) into a cache directory and extracts only the
collections that requirements.yml names, checking that the wheel has exactly the version
that requirements.yml asks for. A collection already extracted at that version is skipped.

Usage: deps_collections.py --bundle 12.3.0 --requirements requirements.yml \
           --cache .deps/cache --dest .deps/collections [--pip "python -m pip"]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile

import yaml


def read_requirements(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as source:
        data = yaml.safe_load(source) or {}
    wanted = {}
    for entry in data.get("collections", []):
        if isinstance(entry, str):
            wanted[entry] = ""
        else:
            wanted[entry["name"]] = str(entry.get("version", "")).lstrip("=")
    return wanted


def installed_version(dest: str, name: str) -> str | None:
    manifest = os.path.join(dest, "ansible_collections", *name.split("."), "MANIFEST.json")
    try:
        with open(manifest, encoding="utf-8") as source:
            return json.load(source)["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        return None


def wheel_path(cache: str, bundle: str, pip: list[str]) -> str:
    pattern = os.path.join(cache, f"ansible-{bundle}-py3-none-any.whl")
    found = glob.glob(pattern)
    if not found:
        os.makedirs(cache, exist_ok=True)
        print(f"deps: downloading the ansible {bundle} wheel (collections bundle) into {cache}")
        subprocess.run(pip + ["download", "--quiet", "--no-deps", "--only-binary=:all:",
                              "--dest", cache, f"ansible=={bundle}"], check=True)
        found = glob.glob(pattern)
    if not found:
        sys.exit(f"deps: pip did not leave {pattern}")
    return found[0]


def extract(wheel: zipfile.ZipFile, name: str, dest: str) -> str:
    prefix = "ansible_collections/" + name.replace(".", "/") + "/"
    members = [m for m in wheel.infolist() if m.filename.startswith(prefix)]
    if not members:
        sys.exit(f"deps: the wheel has no collection {name}")
    target = os.path.join(dest, "ansible_collections", *name.split("."))
    tmp = target + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for member in members:
        relative = member.filename[len(prefix):]
        if not relative or member.is_dir():
            continue
        out = os.path.join(tmp, relative)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with wheel.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
        mode = (member.external_attr >> 16) & 0o777
        if mode:
            os.chmod(out, mode)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    with open(os.path.join(target, "MANIFEST.json"), encoding="utf-8") as source:
        return json.load(source)["collection_info"]["version"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="version of the ansible package to take collections from")
    parser.add_argument("--requirements", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--dest", required=True)
    parser.add_argument("--pip", default=f"{shlex.quote(sys.executable)} -m pip")
    args = parser.parse_args()

    wanted = read_requirements(args.requirements)
    todo = {name: version for name, version in wanted.items()
            if not version or installed_version(args.dest, name) != version}
    if not todo:
        return

    with zipfile.ZipFile(wheel_path(args.cache, args.bundle, shlex.split(args.pip))) as wheel:
        for name, version in sorted(todo.items()):
            got = extract(wheel, name, args.dest)
            if version and got != version:
                sys.exit(f"deps: ansible {args.bundle} ships {name} {got}, but {args.requirements} asks for {version}")
            print(f"deps: {name} {got} -> {os.path.join(args.dest, 'ansible_collections', *name.split('.'))}")


if __name__ == "__main__":
    main()
