# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ops_log
type: notification
short_description: Append one JSON line per playbook run to the ops log
version_added: 0.1.0
description:
  - At the end of every playbook run, appends one line of JSON to the ops log - run id, start and end time, the
    playbook, its git revision, the version of spooky.ops, the hosts with their counts, and the outcome
    (V(ok), V(failed) or V(unreachable)).
  - Spyoncino's startup checklist (seed 004) - "record build metadata in the ops log before handing off".
  - Enable it with C(callbacks_enabled = spooky.ops.ops_log) in C(ansible.cfg).
author:
  - spooky.ops contributors (!UNKNOWN)
options:
  path:
    description:
      - The ops log file (JSON lines); its directory is created when missing.
      - Default - C(ops_log.jsonl) in E(SPOOKY_REPORTS_DIR) when set, else in C(reports/) next to the playbook's directory.
    type: path
    env:
      - name: SPOOKY_OPS_LOG
    ini:
      - section: callback_ops_log
        key: path
"""

import datetime
import json
import os
import subprocess
import uuid

from ansible.plugins.callback import CallbackBase

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML is an ansible-core requirement
    yaml = None

_COLLECTION_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_revision(directory):
    """`git rev-parse HEAD` of the repository holding `directory` (plus '-dirty' with local changes); None outside git."""
    try:
        revision = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=directory, stderr=subprocess.DEVNULL,
                                           timeout=5).decode().strip()
        dirty = subprocess.call(["git", "diff", "--quiet", "HEAD"], cwd=directory, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=5)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return revision + ("-dirty" if dirty == 1 else "")


def collection_version(directory=_COLLECTION_DIR):
    """The version of spooky.ops from its MANIFEST.json (installed) or galaxy.yml (source tree)."""
    try:
        with open(os.path.join(directory, "MANIFEST.json")) as handle:
            return json.load(handle)["collection_info"]["version"]
    except (IOError, OSError, ValueError, KeyError):
        pass
    try:
        with open(os.path.join(directory, "galaxy.yml")) as handle:
            return str((yaml.safe_load(handle) or {}).get("version")) if yaml else None
    except (IOError, OSError, ValueError, AttributeError):
        return None


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "spooky.ops.ops_log"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.run_id = str(uuid.uuid4())
        self.started = _now()
        self.playbook = None

    def v2_playbook_on_start(self, playbook):
        self.playbook = os.path.abspath(playbook._file_name)  # pylint: disable=protected-access

    def _path(self):
        path = self.get_option("path")
        if path:
            return os.path.expanduser(path)
        reports = os.environ.get("SPOOKY_REPORTS_DIR")
        if not reports:
            base = os.path.dirname(self.playbook) if self.playbook else os.getcwd()
            reports = os.path.join(base, "..", "reports")
        return os.path.join(reports, "ops_log.jsonl")

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed):
            summary = stats.summarize(host)
            hosts[host] = dict((k, summary.get(k, 0)) for k in ("ok", "changed", "failures", "unreachable", "skipped", "rescued"))
        if any(h["unreachable"] for h in hosts.values()):
            outcome = "unreachable"
        elif any(h["failures"] for h in hosts.values()):
            outcome = "failed"
        else:
            outcome = "ok"
        where = os.path.dirname(self.playbook) if self.playbook else os.getcwd()
        entry = dict(run_id=self.run_id, started=self.started, finished=_now(), playbook=self.playbook,
                     git_revision=git_revision(where), collection="spooky.ops", collection_version=collection_version(),
                     hosts=hosts, outcome=outcome, user=os.environ.get("USER"))
        path = self._path()
        try:
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                os.makedirs(directory)
            with open(path, "a") as handle:
                handle.write(json.dumps(entry, sort_keys=True) + "\n")
        except (IOError, OSError) as exc:
            self._display.warning("spooky.ops.ops_log: cannot append to %s: %s" % (path, exc))
