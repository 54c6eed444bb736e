# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files written atomically (a temporary file in the same directory, then a rename), private keys with mode 0600."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat
import tempfile

PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
PUBLIC_MODE = 0o644


def read_bytes(path):
    """The content of ``path``, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if not os.path.exists(path):
            return None
        raise exc


def write_atomic(path, data, mode=PUBLIC_MODE, dir_mode=0o755):
    """Write ``data`` (bytes) to ``path`` with ``mode``, creating missing parent directories with ``dir_mode``.

    The temporary file has ``mode`` from its creation on, so a private key is never readable by others."""
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent, dir_mode)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure_file(path, data, mode=PUBLIC_MODE, dir_mode=0o755, check_mode=False):
    """Make ``path`` hold ``data`` with ``mode``; returns True when something changed (or would, in check mode)."""
    current = read_bytes(path)
    if current == data and stat.S_IMODE(os.stat(path).st_mode) == mode:
        return False
    if not check_mode:
        if current == data:
            os.chmod(path, mode)
        else:
            write_atomic(path, data, mode, dir_mode)
    return True


def ensure_private_file(path, data, check_mode=False):
    return ensure_file(path, data, PRIVATE_MODE, PRIVATE_DIR_MODE, check_mode)
