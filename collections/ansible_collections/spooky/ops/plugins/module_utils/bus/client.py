# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin synchronous client of NATS JetStream (nats-py is asyncio: each call runs its own event loop)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import time
import traceback

try:
    import nats
    from nats.js.errors import NotFoundError
    HAS_NATS = True
    NATS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the modules
    HAS_NATS = False
    NATS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.spooky.ops.plugins.module_utils.bus.dedupe import MSG_ID_HEADER


class BusUnavailable(Exception):
    """The server could not be reached (a fault to report as data)."""


class BusError(Exception):
    """The server answered with an error (no such stream, no stream for the subject, ...)."""


async def _probe(server, timeout):
    """None when a TCP connection to the server's host and port succeeds, else why not."""
    hostport = server.split("://", 1)[-1].rsplit("@", 1)[-1].split("/", 1)[0]
    host, _sep, port = hostport.rpartition(":")
    if not host:
        host, port = hostport, "4222"
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), timeout)
    except (OSError, ValueError, asyncio.TimeoutError) as exc:
        return "%s: %s" % (server, exc or type(exc).__name__)
    writer.close()
    return None


def _run(coro_factory, servers, timeout, user=None, password=None, token=None):
    async def main():
        options = dict(servers=servers, connect_timeout=timeout, max_reconnect_attempts=0, allow_reconnect=False)
        if user:
            options.update(user=user, password=password)
        if token:
            options.update(token=token)

        async def quiet(_exc):
            return None
        options["error_cb"] = quiet
        # nats-py keeps trying an unreachable server list on the first connect: probe the sockets first.
        reasons = []
        for server in servers:
            reason = await _probe(server, timeout)
            if reason is None:
                break
            reasons.append(reason)
        else:
            raise BusUnavailable("NATS at %s is unreachable: %s" % (", ".join(servers), "; ".join(reasons)))
        try:
            nc = await asyncio.wait_for(nats.connect(**options), timeout * 2)
        except Exception as exc:  # nats-py raises several unrelated types for an unreachable server
            raise BusUnavailable("NATS at %s is unreachable: %s" % (", ".join(servers), exc or type(exc).__name__))
        try:
            return await coro_factory(nc, nc.jetstream(timeout=timeout))
        finally:
            await nc.close()
    return asyncio.run(main())


def publish(servers, subject, data, msg_id=None, stream=None, timeout=5.0, headers=None, **auth):
    """Publish to JetStream and wait for the PubAck: dict(stream, seq, duplicate)."""
    hdrs = dict(headers or {})
    if msg_id:
        hdrs[MSG_ID_HEADER] = msg_id

    async def call(_nc, js):
        try:
            ack = await js.publish(subject, data, timeout=timeout, stream=stream, headers=hdrs or None)
        except asyncio.TimeoutError:
            raise BusError("no PubAck for %s within %ss: is there a stream for this subject?" % (subject, timeout))
        except NotFoundError:
            raise BusError("no stream takes subject %s" % subject)
        except Exception as exc:
            if isinstance(exc, (BusError, BusUnavailable)):
                raise
            raise BusError("publishing to %s failed: %s" % (subject, exc or type(exc).__name__))
        return dict(stream=ack.stream, seq=ack.seq, duplicate=bool(ack.duplicate))
    return _run(call, servers, timeout, **auth)


def _ts(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "timestamp"):  # a datetime (nats-py parses the server's time); naive means UTC
        if value.tzinfo is None:
            from datetime import datetime
            return (value - datetime(1970, 1, 1)).total_seconds()
        return value.timestamp()
    try:  # RFC 3339 with nanoseconds, as the server sends it
        from datetime import datetime
        text = value.rstrip("Z")
        main, _dot, frac = text.partition(".")
        stamp = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S")
        return (stamp - datetime(1970, 1, 1)).total_seconds() + (float("0." + frac) if frac else 0.0)
    except (ValueError, AttributeError):
        return None


def stream_info(servers, stream, timeout=5.0, **auth):
    """Depth, first/last sequence, the age of the oldest message and every consumer of a stream."""
    async def call(_nc, js):
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            raise BusError("stream %s does not exist" % stream)
        state = info.state
        lag = None
        if state.messages:
            try:
                first = await js.get_msg(stream, state.first_seq)
                stamp = None
                if getattr(first, "time", None):
                    stamp = _ts(first.time)
                lag = max(0.0, time.time() - stamp) if stamp is not None else None
            except NotFoundError:
                lag = None
        consumers = []
        for consumer in await js.consumers_info(stream):
            consumers.append(dict(name=consumer.name, num_pending=consumer.num_pending, num_ack_pending=consumer.num_ack_pending,
                                  num_redelivered=consumer.num_redelivered, delivered_stream_seq=consumer.delivered.stream_seq,
                                  ack_floor_stream_seq=consumer.ack_floor.stream_seq))
        config = info.config
        return dict(stream=stream, depth=state.messages, bytes=state.bytes, first_seq=state.first_seq, last_seq=state.last_seq,
                    max_msgs=config.max_msgs, depth_ratio=(float(state.messages) / config.max_msgs) if config.max_msgs and config.max_msgs > 0 else None,
                    lag_seconds=lag, consumer_count=state.consumer_count, consumers=consumers,
                    duplicate_window=config.duplicate_window, subjects=list(config.subjects or []))
    return _run(call, servers, timeout, **auth)


def read_stream(servers, stream, subject=None, timeout=5.0, limit=100000, **auth):
    """Every message of a stream (oldest first) as dicts (seq, subject, data (bytes), msg_id), for replays."""
    async def call(_nc, js):
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            raise BusError("stream %s does not exist" % stream)
        out = []
        seq = info.state.first_seq
        while seq and seq <= info.state.last_seq and len(out) < limit:
            try:
                msg = await js.get_msg(stream, seq)
            except NotFoundError:
                seq += 1
                continue
            if subject is None or msg.subject == subject:
                out.append(dict(seq=msg.seq, subject=msg.subject, data=msg.data,
                                msg_id=(msg.headers or {}).get(MSG_ID_HEADER)))
            seq += 1
        return out
    return _run(call, servers, timeout, **auth)
