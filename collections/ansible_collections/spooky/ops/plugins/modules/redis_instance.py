#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: redis_instance
short_description: Start or stop a scratch redis-server on an RDB file
version_added: 0.1.0
description:
  - Starts a C(redis-server) that loads an RDB file, in its own directory, on a free loopback port (or O(port)),
    without save points or AOF so it never writes the file back; waits until the data set is loaded and returns
    the port and the keyspace (keys per database). What a restore verification or a DR drill restores into.
  - An RDB that Redis cannot load (corrupt, truncated, from a newer Redis) fails with the server's own words.
  - With O(state=stopped), stops the instance started in O(dir) (C(SIGTERM), nothing saved).
  - Idempotent; supports check mode.
author:
  - spooky.ops contributors (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  state:
    description:
      - V(started) or V(stopped).
    type: str
    choices: [started, stopped]
    default: started
  dir:
    description:
      - The instance's directory, where its RDB, pid file, log and state live.
    type: path
    required: true
  rdb:
    description:
      - The RDB file to load; copied into O(dir) unless it is already there.
    type: path
  port:
    description:
      - TCP port; V(0) picks a free one.
    type: int
    default: 0
  bind:
    description:
      - Address to listen on.
    type: str
    default: 127.0.0.1
  server:
    description:
      - The C(redis-server) binary. Defaults to the one on the PATH.
    type: path
  timeout:
    description:
      - Seconds to wait for the data set to load.
    type: float
    default: 120
"""

EXAMPLES = r"""
- name: Verify | load the RDB into a scratch redis-server
  spooky.ops.redis_instance:
    dir: "{{ work_dir }}/redis"
    rdb: "{{ work_dir }}/redis/dump.rdb"
  register: scratch

- name: Verify | stop the scratch redis-server
  spooky.ops.redis_instance:
    dir: "{{ work_dir }}/redis"
    state: stopped
"""

RETURN = r"""
port:
  description: The port the instance listens on.
  returned: state=started
  type: int
  sample: 40217
pid:
  description: The server's process id.
  returned: state=started
  type: int
keyspace:
  description: Keys per database.
  returned: state=started
  type: dict
  sample: {"db0": 405, "db1": 40}
redis_version:
  description: The server's version.
  returned: state=started
  type: str
  sample: 7.0.15
"""

import json
import os
import shutil
import signal
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.spooky.ops.plugins.module_utils.backup import rediscli
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError

DBFILENAME = "dump.rdb"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (IOError, OSError):
        return True


def _state(directory):
    try:
        with open(os.path.join(directory, "instance.json")) as handle:
            state = json.load(handle)
        with open(os.path.join(directory, "redis.pid")) as handle:
            state["pid"] = int(handle.read().strip())
    except (IOError, OSError, ValueError):
        return None
    return state if _alive(state["pid"]) else None


def _free_port(bind):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((bind, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def _log_tail(directory, lines=8):
    try:
        with open(os.path.join(directory, "redis.log")) as handle:
            return " | ".join(line.strip() for line in handle.readlines()[-lines:])
    except (IOError, OSError):
        return "(no log)"


def _describe(state):
    info = rediscli.info(state["bind"], state["port"])
    return dict(port=state["port"], pid=state["pid"], keyspace=rediscli.keyspace(info), redis_version=str(info.get("redis_version", "")))


def start(module, params):
    directory = params["dir"]
    running = _state(directory)
    if running:
        return dict(changed=False, **_describe(running))
    if module.check_mode:
        return dict(changed=True, port=params["port"] or None, pid=None, keyspace={}, redis_version=None)
    server = params["server"] or module.get_bin_path("redis-server", required=True)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    target = os.path.join(directory, DBFILENAME)
    if params["rdb"] and os.path.abspath(params["rdb"]) != os.path.abspath(target):
        if not os.path.isfile(params["rdb"]):
            module.fail_json(msg="rdb %s does not exist" % params["rdb"])
        shutil.copyfile(params["rdb"], target)
    port = params["port"] or _free_port(params["bind"])
    pidfile = os.path.join(directory, "redis.pid")
    argv = [server, "--bind", params["bind"], "--port", str(port), "--dir", directory, "--dbfilename", DBFILENAME,
            "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile,
            "--logfile", os.path.join(directory, "redis.log"), "--protected-mode", "yes"]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="redis-server did not start: %s %s" % (out.strip(), err.strip()), rc=rc)
    deadline = time.time() + params["timeout"]
    pid = None
    while time.time() < deadline:
        if pid is None and os.path.exists(pidfile):
            try:
                with open(pidfile) as handle:
                    pid = int(handle.read().strip())
            except ValueError:
                pid = None
        if pid is not None and not _alive(pid):
            module.fail_json(msg="redis-server exited while loading %s: %s" % (params["rdb"] or target, _log_tail(directory)))
        try:
            info = rediscli.info(params["bind"], port, "persistence")
            if not info.get("loading"):
                break
        except BackupError:
            pass
        time.sleep(0.05)
    else:
        module.fail_json(msg="redis-server did not finish loading %s within %ss: %s" % (target, params["timeout"], _log_tail(directory)))
    state = dict(bind=params["bind"], port=port)
    with open(os.path.join(directory, "instance.json"), "w") as handle:
        json.dump(state, handle)
    state["pid"] = pid
    return dict(changed=True, **_describe(state))


def stop(module, params):
    running = _state(params["dir"])
    if not running:
        return dict(changed=False)
    if not module.check_mode:
        os.kill(running["pid"], signal.SIGTERM)
        deadline = time.time() + 30
        while _alive(running["pid"]) and time.time() < deadline:
            time.sleep(0.05)
        if _alive(running["pid"]):
            os.kill(running["pid"], signal.SIGKILL)
        for name in ("redis.pid", "instance.json"):
            path = os.path.join(params["dir"], name)
            if os.path.exists(path):
                os.unlink(path)
    return dict(changed=True, pid=running["pid"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="started", choices=["started", "stopped"]),
            dir=dict(type="path", required=True),
            rdb=dict(type="path"),
            port=dict(type="int", default=0),
            bind=dict(type="str", default="127.0.0.1"),
            server=dict(type="path"),
            timeout=dict(type="float", default=120.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not 0 <= params["port"] <= 65535:
        module.fail_json(msg="port must be 0 (a free one) to 65535, got %d" % params["port"])
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be positive")
    try:
        result = start(module, params) if params["state"] == "started" else stop(module, params)
    except BackupError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
