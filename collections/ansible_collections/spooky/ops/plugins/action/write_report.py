# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a run's JSON report on the controller, in-process: no module round trip (a copy task costs two)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("path", "content", "mode"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        path = args.get("path")
        if not isinstance(path, str) or not path:
            raise AnsibleActionFail("path (the report file to write) is required")
        if "content" not in args:
            raise AnsibleActionFail("content (the report, data to write as JSON) is required")
        mode = args.get("mode", "0644")
        try:
            mode = int(mode, 8) if isinstance(mode, str) else int(mode)
        except (TypeError, ValueError):
            raise AnsibleActionFail("mode must be octal like '0644', got %r" % (mode,))
        try:
            text = to_nice_json(args["content"]) + "\n"
        except Exception as exc:  # the content's own error, whatever its type
            raise AnsibleActionFail("content cannot be written as JSON: %s" % exc)
        path = os.path.abspath(os.path.expanduser(path))
        data = text.encode("utf-8")
        try:
            with open(path, "rb") as handle:
                changed = handle.read() != data
        except (IOError, OSError):
            changed = True
        if changed:
            self._write(path, data, mode)
        result.update(changed=changed, path=path, size=len(data))
        return result

    @staticmethod
    def _write(path, data, mode):
        """Atomically: a reader sees the old report or the new one, never half of one."""
        directory = os.path.dirname(path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.chmod(tmp, mode)
                os.rename(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        except (IOError, OSError) as exc:
            raise AnsibleActionFail("cannot write the report %s: %s" % (path, exc.strerror or exc))
