"""The lab's notification pipeline: a stand-in for Spyoncino's modular orchestrator on the event bus.

One module, `modules.output.telegram_notifier`, with a queue: the JetStream work-queue stream
`NOTIFY` (subject `notify.telegram`, at most `capacity` messages, new ones refused when full) fed by a
producer at `producer_rate` notifications per second and drained by the notifier's sender at its
rate limiter's rate (`rate_limit` per second). The depth of the queue is the stream's message count;
the cursor lag is the age of its oldest message.

Control commands arrive on the bus, through a durable JetStream consumer of the stream `CONTROL`
(so commands published while the app is down are applied when it comes back):
  dashboard.control.command {"command": "pipeline.pause", "module": M}   intake stops (new notifications
      are shed, counted in spooky_pipeline_shed_total); the sender keeps draining the backlog
  {"command": "pipeline.resume", "module": M}    intake again
  {"command": "module.disable", "module": M}     no intake, no delivery: the backlog waits in the stream
  {"command": "module.enable", "module": M}
  config.update {"modules": {M: {"rate_limit": 50}}, "producer_rate": 2}    new settings

HTTP (loopback, port chosen at start, written to `<state>/pipeline/port` and to the lab Prometheus'
file discovery): GET /metrics (Prometheus text), GET /state (JSON), GET /healthz,
POST /flood {"count": N, "producer_rate": R, "rate_limit": L} (tests and drills: N notifications at once,
optionally new rates, as the `slow-webhook` scenario would).
"""

import argparse
import asyncio
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NOTIFIER = "modules.output.telegram_notifier"
NOTIFY_STREAM = "NOTIFY"
NOTIFY_SUBJECT = "notify.telegram"
CONTROL_STREAM = "CONTROL"
CONTROL_SUBJECTS = ["dashboard.control.command", "config.update"]
EVENTS_STREAM = "EVENTS"
EVENTS_SUBJECTS = ["events.>"]
TICK = 0.1


class Pipeline:
    def __init__(self, capacity: int, producer_rate: float, rate_limit: float):
        self.lock = threading.Lock()
        self.capacity = capacity
        self.producer_rate = producer_rate
        self.modules = {NOTIFIER: {"enabled": True, "paused": False, "rate_limit": rate_limit}}
        self.depth = 0
        self.lag = 0.0
        self.delivered = 0
        self.shed = 0
        self.refused = 0
        self.commands = {}
        self.config_version = 0
        self.bus_up = 0

    def apply(self, subject: str, payload: dict) -> None:
        with self.lock:
            if subject == "config.update":
                self.config_version += 1
                self.commands["config.update"] = self.commands.get("config.update", 0) + 1
                if "producer_rate" in payload:
                    self.producer_rate = float(payload["producer_rate"])
                for module, settings in (payload.get("modules") or {}).items():
                    if module in self.modules and "rate_limit" in (settings or {}):
                        self.modules[module]["rate_limit"] = float(settings["rate_limit"])
                return
            command, module = payload.get("command"), payload.get("module")
            self.commands[command] = self.commands.get(command, 0) + 1
            state = self.modules.get(module)
            if state is None:
                return
            if command == "pipeline.pause":
                state["paused"] = True
            elif command == "pipeline.resume":
                state["paused"] = False
            elif command == "module.disable":
                state["enabled"] = False
            elif command == "module.enable":
                state["enabled"] = True

    def snapshot(self) -> dict:
        with self.lock:
            return {"capacity": self.capacity, "producer_rate": self.producer_rate, "depth": self.depth,
                    "depth_ratio": self.depth / self.capacity, "cursor_lag_seconds": self.lag,
                    "delivered": self.delivered, "shed": self.shed, "refused": self.refused, "bus_up": self.bus_up,
                    "config_version": self.config_version, "commands": dict(self.commands),
                    "modules": {k: dict(v) for k, v in self.modules.items()}}

    def metrics(self) -> str:
        s = self.snapshot()
        lab = f'module="{NOTIFIER}",stream="{NOTIFY_STREAM}"'
        lines = [
            "# HELP spooky_bus_queue_depth Messages waiting in the module's queue.", "# TYPE spooky_bus_queue_depth gauge",
            f"spooky_bus_queue_depth{{{lab}}} {s['depth']}",
            "# TYPE spooky_bus_queue_capacity gauge", f"spooky_bus_queue_capacity{{{lab}}} {s['capacity']}",
            "# TYPE spooky_bus_queue_depth_ratio gauge", f"spooky_bus_queue_depth_ratio{{{lab}}} {s['depth_ratio']}",
            "# HELP spooky_bus_cursor_lag_seconds Age of the oldest undelivered message.",
            "# TYPE spooky_bus_cursor_lag_seconds gauge", f"spooky_bus_cursor_lag_seconds{{{lab}}} {s['cursor_lag_seconds']}",
            "# TYPE spooky_bus_up gauge", f"spooky_bus_up {s['bus_up']}",
            "# TYPE spooky_pipeline_producer_rate gauge", f"spooky_pipeline_producer_rate {s['producer_rate']}",
            "# TYPE spooky_pipeline_config_version gauge", f"spooky_pipeline_config_version {s['config_version']}",
            "# TYPE spooky_pipeline_delivered_total counter", f"spooky_pipeline_delivered_total{{{lab}}} {s['delivered']}",
            "# TYPE spooky_pipeline_shed_total counter", f"spooky_pipeline_shed_total{{{lab}}} {s['shed']}",
            "# TYPE spooky_pipeline_refused_total counter", f"spooky_pipeline_refused_total{{{lab}}} {s['refused']}",
            "# TYPE spooky_pipeline_module_enabled gauge", "# TYPE spooky_pipeline_module_paused gauge",
            "# TYPE spooky_pipeline_rate_limit_per_second gauge",
        ]
        for module, state in s["modules"].items():
            lines += [f'spooky_pipeline_module_enabled{{module="{module}"}} {int(state["enabled"])}',
                      f'spooky_pipeline_module_paused{{module="{module}"}} {int(state["paused"])}',
                      f'spooky_pipeline_rate_limit_per_second{{module="{module}"}} {state["rate_limit"]}']
        lines.append("# TYPE spooky_pipeline_commands_total counter")
        lines += [f'spooky_pipeline_commands_total{{command="{c}"}} {n}' for c, n in sorted(s["commands"].items())]
        return "\n".join(lines) + "\n"


async def ensure_streams(js, capacity: int) -> None:
    from nats.js.api import DiscardPolicy, RetentionPolicy, StreamConfig

    wanted = [
        StreamConfig(name=NOTIFY_STREAM, subjects=[NOTIFY_SUBJECT], retention=RetentionPolicy.WORK_QUEUE,
                     max_msgs=capacity, discard=DiscardPolicy.NEW, duplicate_window=120.0),
        StreamConfig(name=CONTROL_STREAM, subjects=CONTROL_SUBJECTS, max_age=86400.0, duplicate_window=120.0),
        StreamConfig(name=EVENTS_STREAM, subjects=EVENTS_SUBJECTS, max_age=86400.0, duplicate_window=120.0),
    ]
    for config in wanted:
        try:
            await js.stream_info(config.name)
            await js.update_stream(config)
        except Exception:  # noqa: BLE001 - not found: create
            await js.add_stream(config)


async def run(pipeline: Pipeline, nats_url: str, stop: asyncio.Event, flood_queue: asyncio.Queue) -> None:
    import nats
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.errors import NotFoundError

    async def flagged(*_args):
        pipeline.bus_up = 0

    async def logged(exc):
        print(f"pipeline: bus error: {exc!r}", flush=True)

    async def reconnected():
        pipeline.bus_up = 1

    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                            disconnected_cb=flagged, reconnected_cb=reconnected, error_cb=logged)
    js = nc.jetstream(timeout=2)
    await ensure_streams(js, pipeline.capacity)
    pipeline.bus_up = 1
    control = await js.pull_subscribe("", durable="pipeline-control", stream=CONTROL_STREAM)
    sender = await js.pull_subscribe(NOTIFY_SUBJECT, durable="telegram-notifier", stream=NOTIFY_STREAM)
    seq = 0
    owed = {"produce": 0.0, "send": 0.0}

    async def publish(n: int) -> None:
        nonlocal seq
        for _ in range(n):
            seq += 1
            try:
                await js.publish(NOTIFY_SUBJECT, json.dumps({"seq": seq, "ts": time.time()}).encode())
            except Exception:  # noqa: BLE001 - full (discard new) or bus down
                with pipeline.lock:
                    pipeline.refused += 1

    while not stop.is_set():
        began = time.monotonic()
        try:
            try:
                for msg in await control.fetch(20, timeout=0.05):
                    try:
                        pipeline.apply(msg.subject, json.loads(msg.data or b"{}"))
                    except (ValueError, TypeError, AttributeError):
                        pass
                    await msg.ack()
            except (NatsTimeout, asyncio.TimeoutError):
                pass
            while not flood_queue.empty():
                await publish(flood_queue.get_nowait())
            state = pipeline.snapshot()
            notifier = state["modules"][NOTIFIER]
            owed["produce"] += state["producer_rate"] * TICK
            produce, owed["produce"] = int(owed["produce"]), owed["produce"] - int(owed["produce"])
            if notifier["enabled"] and not notifier["paused"]:
                await publish(produce)
            else:
                with pipeline.lock:
                    pipeline.shed += produce
            if notifier["enabled"]:
                owed["send"] = min(owed["send"] + notifier["rate_limit"] * TICK, max(notifier["rate_limit"], 1.0))
                send = int(owed["send"])
                if send:
                    try:
                        msgs = await sender.fetch(send, timeout=0.05)
                    except (NatsTimeout, asyncio.TimeoutError):
                        msgs = []
                    for msg in msgs:
                        await msg.ack()
                    owed["send"] -= len(msgs) if msgs else send
                    with pipeline.lock:
                        pipeline.delivered += len(msgs)
            info = await js.stream_info(NOTIFY_STREAM)
            depth = info.state.messages
            lag = 0.0
            if depth:
                try:
                    first = await js.get_msg(NOTIFY_STREAM, info.state.first_seq)
                    lag = max(0.0, time.time() - json.loads(first.data)["ts"])
                except NotFoundError:  # acked meanwhile: keep the last figure
                    lag = pipeline.lag
                except (ValueError, KeyError, TypeError):
                    lag = 0.0
            with pipeline.lock:
                pipeline.depth, pipeline.lag, pipeline.bus_up = depth, lag, 1
        except Exception as exc:  # noqa: BLE001 - bus outage: keep the last figures, mark the bus down
            pipeline.bus_up = 0
            print(f"pipeline tick failed: {exc!r}", flush=True)
            await asyncio.sleep(0.5)
        await asyncio.sleep(max(0.0, TICK - (time.monotonic() - began)))
    await nc.close()


def make_handler(pipeline: Pipeline, loop: asyncio.AbstractEventLoop, flood_queue: asyncio.Queue):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def _send(self, code: int, body: str, ctype: str = "application/json") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/metrics":
                self._send(200, pipeline.metrics(), "text/plain; version=0.0.4")
            elif self.path == "/state":
                self._send(200, json.dumps(pipeline.snapshot()))
            elif self.path == "/healthz":
                self._send(200, json.dumps({"ok": True, "bus_up": pipeline.bus_up}))
            else:
                self._send(404, json.dumps({"error": "not found"}))

        def do_POST(self):
            if self.path != "/flood":
                self._send(404, json.dumps({"error": "not found"}))
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                count = int(body.get("count", 0))
                if count < 0 or count > 100000:
                    raise ValueError("count must be 0..100000")
                with pipeline.lock:
                    if "producer_rate" in body:
                        pipeline.producer_rate = float(body["producer_rate"])
                    if "rate_limit" in body:
                        pipeline.modules[NOTIFIER]["rate_limit"] = float(body["rate_limit"])
            except (ValueError, TypeError) as exc:
                self._send(400, json.dumps({"error": str(exc)}))
                return
            loop.call_soon_threadsafe(flood_queue.put_nowait, count)
            self._send(200, json.dumps({"queued": count}))

    return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spooky_lab.pipeline_app")
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--targets-file", required=True)
    parser.add_argument("--capacity", type=int, default=500)
    parser.add_argument("--producer-rate", type=float, default=1.0)
    parser.add_argument("--rate-limit", type=float, default=5.0)
    args = parser.parse_args(argv)
    pipeline = Pipeline(args.capacity, args.producer_rate, args.rate_limit)

    async def amain():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        flood_queue: asyncio.Queue = asyncio.Queue()
        server = ThreadingHTTPServer((args.host, args.port), make_handler(pipeline, loop, flood_queue))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        for path, text in ((args.port_file, str(port)),
                           (args.targets_file, json.dumps([{"targets": [f"{args.host}:{port}"], "labels": {"service": "pipeline"}}]))):
            tmp = Path(path).with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)
        try:
            while not stop.is_set():
                try:
                    await run(pipeline, args.nats_url, stop, flood_queue)
                except Exception as exc:  # noqa: BLE001 - bus not there yet: retry
                    pipeline.bus_up = 0
                    print(f"pipeline: bus unavailable: {exc!r}", flush=True)
                    try:
                        await asyncio.wait_for(stop.wait(), 1.0)
                    except asyncio.TimeoutError:
                        pass
        finally:
            server.shutdown()

    asyncio.run(amain())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
