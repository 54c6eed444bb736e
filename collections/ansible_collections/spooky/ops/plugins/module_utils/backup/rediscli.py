# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Just enough of the Redis protocol (RESP2) to check a scratch instance: PING, INFO, SHUTDOWN.

No Python package needed on the host that verifies a restore. INFO answers are parsed into a dict, the
keyspace lines (``db0:keys=405,expires=100,avg_ttl=0``) into ``{"db0": {"keys": 405, ...}}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import BackupError


class RedisReplyError(BackupError):
    """The server answered with an error (LOADING, NOAUTH, ...)."""


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Reader(object):
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise BackupError("redis closed the connection")
        self.buffer += data

    def line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def exactly(self, size):
        while len(self.buffer) < size + 2:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            raise RedisReplyError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.exactly(size).decode("utf-8", "replace")
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.reply() for _index in range(size)]
        raise BackupError("unexpected answer from redis: %r" % line[:80])


def command(host, port, *args, **kwargs):
    """Send one command (after AUTH when `password` is given) and return the reply."""
    password = kwargs.get("password")
    timeout = kwargs.get("timeout", 5.0)
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, socket.error) as exc:
        raise BackupError("redis at %s:%s is unreachable: %s" % (host, port, exc))
    try:
        reader = _Reader(sock)
        if password:
            sock.sendall(_encode(["AUTH", password]))
            reader.reply()
        sock.sendall(_encode(args))
        return reader.reply()
    except (OSError, socket.error) as exc:
        raise BackupError("redis at %s:%s failed: %s" % (host, port, exc))
    finally:
        sock.close()


def parse_info(text):
    result = {}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, value = line.split(":", 1)
        if name.startswith("db") and name[2:].isdigit() and "=" in value:
            result[name] = dict((k, _number(v)) for k, v in (part.split("=", 1) for part in value.split(",")))
        else:
            result[name] = _number(value)
    return result


def _number(value):
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def info(host, port, section=None, password=None, timeout=5.0):
    args = ["INFO"] + ([section] if section else [])
    return parse_info(command(host, port, *args, password=password, timeout=timeout))


def keyspace(info_dict):
    """{"db0": keys, ...} from an INFO answer (parsed here or by community.general.redis_info)."""
    result = {}
    for name, value in (info_dict or {}).items():
        if name.startswith("db") and name[2:].isdigit() and isinstance(value, dict) and "keys" in value:
            result[name] = int(value["keys"])
    return result
