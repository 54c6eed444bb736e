#!/usr/bin/env python3
"""Let ansible-test bootstrap pip in its virtual environments without the internet.

ansible-test (2.19 and later) creates a virtual environment for each sanity test and
bootstraps pip there with a ``get-pip.py`` that it downloads from ansible's CI file
server into ``~/.ansible/test/cache/get_pip_<pip version with underscores>.py``
(see ``ansible_test/_util/target/setup/requirements.py``, function ``bootstrap``).
That host is not reachable here, so this script writes a stand-in at that path: it
installs pip with the interpreter's own ``ensurepip`` and then runs
``pip install <its arguments>`` (e.g. ``pip==24.2``) from the package index.

Usage: ansible_test_offline.py PYTHON [PYTHON ...]
  PYTHON: an interpreter that has ansible-core installed (a venv's bin/python).

A cache file that is not ours (e.g. a real get-pip.py) is left alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

MARKER = "spooky.ops offline get-pip stand-in"

STANDIN = '''\
#!/usr/bin/env python
"""{marker}.

Written by the spooky.ops toolchain setup (scripts/ansible_test_offline.py) in place of
get-pip.py, which ansible-test would download from a host that is unreachable here.
It installs pip with ensurepip, then runs ``pip install`` with the arguments it was given
(get-pip.py's own --no-setuptools and --no-wheel are honoured and not passed on).
"""

import subprocess
import sys


def main():
    args = sys.argv[1:]
    no_setuptools = "--no-setuptools" in args
    no_wheel = "--no-wheel" in args
    args = [arg for arg in args if arg not in ("--no-setuptools", "--no-wheel")]
    python = sys.executable

    subprocess.run([python, "-m", "ensurepip", "--default-pip"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([python, "-m", "pip", "install", "--quiet"] + args, check=True)

    unwanted = []
    if no_setuptools:
        unwanted.append("setuptools")
    if no_wheel:
        unwanted.append("wheel")
    for name in unwanted:
        shown = subprocess.run([python, "-m", "pip", "show", "--quiet", name],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if shown.returncode == 0:
            subprocess.run([python, "-m", "pip", "uninstall", "--quiet", "--yes", name],
                           check=True)


if __name__ == "__main__":
    main()
'''.format(marker=MARKER)

PROBE = r"""
import importlib.util, os, sys
spec = importlib.util.find_spec("ansible_test")
if spec is None:
    sys.exit("ansible_test is not installed for " + sys.executable)
print(os.path.join(os.path.dirname(spec.origin), "_internal", "python_requirements.py"))
"""


def pip_versions(python: str) -> set[str]:
    """The pip versions that the given interpreter's ansible-test bootstraps."""
    path = subprocess.run([python, "-c", PROBE], check=True, capture_output=True, text=True).stdout.strip()
    with open(path, encoding="utf-8") as source:
        text = source.read()
    # default_packages = dict(pip='24.2', ...) and any per-Python overrides: pip='X.Y'
    versions = set(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9A-Za-z.]*)['"]""", text))
    if not versions:
        sys.exit(f"could not find the pip version that ansible-test bootstraps in {path}")
    return versions


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    for python in sys.argv[1:]:
        for version in sorted(pip_versions(python)):
            path = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as existing:
                    current = existing.read()
                if current == STANDIN or MARKER not in current:
                    continue  # up to date, or a real get-pip.py someone put there
            with open(path + ".tmp", "w", encoding="utf-8") as out:
                out.write(STANDIN)
            os.replace(path + ".tmp", path)
            print(f"ansible-test offline: wrote get-pip stand-in for pip {version}: {path}")


if __name__ == "__main__":
    main()
