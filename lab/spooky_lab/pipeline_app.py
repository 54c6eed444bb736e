"""The lab's notification pipeline: a stand-in for Spyoncino's modular orchestrator on the event bus.

Two modules, each with a queue (a JetStream work-queue stream of at most `capacity` messages, new ones
refused when full) fed by a producer at its `producer_rate` per second and drained by the module's sender at
its rate limiter's rate (`rate_limit` per second):
  `modules.output.telegram_notifier`  stream `NOTIFY` (subject `notify.telegram`); not critical: the budget
      guard pauses it when the spend burns too fast.
  `modules.storage.s3_uploader`       stream `STORAGE` (subject `storage.upload`); critical (detections are
      evidence). Disabled, it drains its backlog locally (a local spool, `LOCAL_DRAIN_RATE` per second,
      counted in spooky_pipeline_spooled_total) instead of uploading: seed 004's "toggle the storage module
      off, drain the backlog locally, re-enable once the network recovers".
The depth of a queue is its stream's message count; the cursor lag is the age of its oldest message.

Control commands arrive on the bus, through a durable JetStream consumer of the stream `CONTROL`
(so commands published while the app is down are applied when it comes back):
  dashboard.control.command {"command": "pipeline.pause", "module": M}   intake stops (new work is shed,
      counted in spooky_pipeline_shed_total); the sender keeps draining the backlog
  {"command": "pipeline.resume", "module": M}    intake again
  {"command": "module.disable", "module": M}     no intake, no delivery: the backlog waits in the stream
      (the uploader drains it into its local spool)
  {"command": "module.enable", "module": M}
  config.update {"modules": {M: {"rate_limit": 50, "producer_rate": 2}}, "producer_rate": 2}    new settings
      (a top-level producer_rate is the notifier's)

HTTP (loopback, port chosen at start, written to `<state>/pipeline/port` and to the lab Prometheus'
file discovery): GET /metrics (Prometheus text), GET /state (JSON; the top-level depth, lag and counters are
the notifier's, every module's are under "queues"), GET /healthz,
POST /flood {"count": N, "producer_rate": R, "rate_limit": L, "module": M} (tests and drills: N messages at
once in M's queue (default the notifier), optionally new rates for M, as the `slow-webhook` scenario would;
a rate limit of 0 stalls M's sender, as an unreachable S3 would the uploader).
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
UPLOADER = "modules.storage.s3_uploader"
STORAGE_STREAM = "STORAGE"
STORAGE_SUBJECT = "storage.upload"
CONTROL_STREAM = "CONTROL"
CONTROL_SUBJECTS = ["dashboard.control.command", "config.update"]
EVENTS_STREAM = "EVENTS"
EVENTS_SUBJECTS = ["events.>"]
TICK = 0.1
LOCAL_DRAIN_RATE = 100.0  # messages per second a disabled uploader spools locally
# module -> its queue: stream, subject, durable consumer, critical, drains locally when disabled, default producer rate
QUEUES = {
    NOTIFIER: {"stream": NOTIFY_STREAM, "subject": NOTIFY_SUBJECT, "durable": "telegram-notifier", "critical": False,
               "local_drain": False},
    UPLOADER: {"stream": STORAGE_STREAM, "subject": STORAGE_SUBJECT, "durable": "s3-uploader", "critical": True,
               "local_drain": True},
}
COUNTERS = ("delivered", "spooled", "shed", "refused")


class Pipeline:
    def __init__(self, capacity: int, producer_rate: float, rate_limit: float, uploader_rate: float = 2.0,
                 uploader_limit: float = 10.0):
        self.lock = threading.Lock()
        self.capacity = capacity
        self.modules = {NOTIFIER: {"enabled": True, "paused": False, "rate_limit": rate_limit},
                        UPLOADER: {"enabled": True, "paused": False, "rate_limit": uploader_limit}}
        rates = {NOTIFIER: producer_rate, UPLOADER: uploader_rate}
        self.queues = {module: dict(spec, producer_rate=rates[module], depth=0, lag=0.0, **{c: 0 for c in COUNTERS})
                       for module, spec in QUEUES.items()}
        self.commands = {}
        self.config_version = 0
        self.bus_up = 0

    @property
    def producer_rate(self) -> float:  # the notifier's, as before the uploader existed
        return self.queues[NOTIFIER]["producer_rate"]

    @producer_rate.setter
    def producer_rate(self, value: float) -> None:
        self.queues[NOTIFIER]["producer_rate"] = value

    def count(self, module: str, counter: str, n: int) -> None:
        with self.lock:
            self.queues[module][counter] += n

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
                    if module in self.queues and "producer_rate" in (settings or {}):
                        self.queues[module]["producer_rate"] = float(settings["producer_rate"])
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
            queues = {module: {"stream": q["stream"], "critical": q["critical"], "producer_rate": q["producer_rate"],
                               "depth": q["depth"], "depth_ratio": q["depth"] / self.capacity, "cursor_lag_seconds": q["lag"],
                               **{c: q[c] for c in COUNTERS}} for module, q in self.queues.items()}
            notifier = queues[NOTIFIER]
            return {"capacity": self.capacity, "producer_rate": notifier["producer_rate"], "depth": notifier["depth"],
                    "depth_ratio": notifier["depth_ratio"], "cursor_lag_seconds": notifier["cursor_lag_seconds"],
                    "delivered": notifier["delivered"], "shed": notifier["shed"], "refused": notifier["refused"],
                    "bus_up": self.bus_up, "config_version": self.config_version, "commands": dict(self.commands),
                    "modules": {k: dict(v) for k, v in self.modules.items()}, "queues": queues}

    def metrics(self) -> str:
        s = self.snapshot()
        families = [
            ("spooky_bus_queue_depth", "gauge", "Messages waiting in the module's queue.", "depth"),
            ("spooky_bus_queue_capacity", "gauge", None, None),
            ("spooky_bus_queue_depth_ratio", "gauge", None, "depth_ratio"),
            ("spooky_bus_cursor_lag_seconds", "gauge", "Age of the oldest undelivered message.", "cursor_lag_seconds"),
            ("spooky_pipeline_producer_rate", "gauge", "Work offered to the module per second.", "producer_rate"),
            ("spooky_pipeline_delivered_total", "counter", "Messages the module delivered (sent, uploaded).", "delivered"),
            ("spooky_pipeline_spooled_total", "counter", "Messages a disabled module drained locally.", "spooled"),
            ("spooky_pipeline_shed_total", "counter", "New work dropped while the module is paused or disabled.", "shed"),
            ("spooky_pipeline_refused_total", "counter", "New work the full queue refused.", "refused"),
        ]
        lines = []
        for name, kind, help_text, key in families:
            if help_text:
                lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            for module, q in s["queues"].items():
                value = s["capacity"] if key is None else q[key]
                lines.append(f'{name}{{module="{module}",stream="{q["stream"]}"}} {value}')
        lines += ["# TYPE spooky_bus_up gauge", f"spooky_bus_up {s['bus_up']}",
                  "# TYPE spooky_pipeline_config_version gauge", f"spooky_pipeline_config_version {s['config_version']}",
                  "# TYPE spooky_pipeline_module_enabled gauge", "# TYPE spooky_pipeline_module_paused gauge",
                  "# HELP spooky_pipeline_module_critical 1 for the modules whose work must go on when the budget is exhausted.",
                  "# TYPE spooky_pipeline_module_critical gauge", "# TYPE spooky_pipeline_rate_limit_per_second gauge"]
        for module, state in s["modules"].items():
            lines += [f'spooky_pipeline_module_enabled{{module="{module}"}} {int(state["enabled"])}',
                      f'spooky_pipeline_module_paused{{module="{module}"}} {int(state["paused"])}',
                      f'spooky_pipeline_module_critical{{module="{module}"}} {int(s["queues"][module]["critical"])}',
                      f'spooky_pipeline_rate_limit_per_second{{module="{module}"}} {state["rate_limit"]}']
        lines.append("# TYPE spooky_pipeline_commands_total counter")
        lines += [f'spooky_pipeline_commands_total{{command="{c}"}} {n}' for c, n in sorted(s["commands"].items())]
        return "\n".join(lines) + "\n"


async def ensure_streams(js, capacity: int) -> None:
    from nats.js.api import DiscardPolicy, RetentionPolicy, StreamConfig

    wanted = [StreamConfig(name=q["stream"], subjects=[q["subject"]], retention=RetentionPolicy.WORK_QUEUE,
                           max_msgs=capacity, discard=DiscardPolicy.NEW, duplicate_window=120.0) for q in QUEUES.values()]
    wanted += [
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
    senders = {module: await js.pull_subscribe(q["subject"], durable=q["durable"], stream=q["stream"]) for module, q in QUEUES.items()}
    seq = 0
    owed = {module: {"produce": 0.0, "send": 0.0} for module in QUEUES}

    async def publish(module: str, n: int) -> None:
        nonlocal seq
        for _ in range(n):
            seq += 1
            try:
                await js.publish(QUEUES[module]["subject"], json.dumps({"seq": seq, "ts": time.time()}).encode())
            except Exception:  # noqa: BLE001 - full (discard new) or bus down
                pipeline.count(module, "refused", 1)

    async def take(module: str, rate: float, counter: str) -> None:
        """Take up to `rate` per second from the module's queue (what it owes since the last tick)."""
        mine = owed[module]
        mine["send"] = min(mine["send"] + rate * TICK, max(rate, 1.0))
        send = int(mine["send"])
        if not send:
            return
        try:
            msgs = await senders[module].fetch(send, timeout=0.05)
        except (NatsTimeout, asyncio.TimeoutError):
            msgs = []
        for msg in msgs:
            await msg.ack()
        mine["send"] -= len(msgs) if msgs else send
        pipeline.count(module, counter, len(msgs))

    async def measure(module: str) -> None:
        stream = QUEUES[module]["stream"]
        info = await js.stream_info(stream)
        depth = info.state.messages
        lag = 0.0
        if depth:
            try:
                first = await js.get_msg(stream, info.state.first_seq)
                lag = max(0.0, time.time() - json.loads(first.data)["ts"])
            except NotFoundError:  # acked meanwhile: keep the last figure
                lag = pipeline.queues[module]["lag"]
            except (ValueError, KeyError, TypeError):
                lag = 0.0
        with pipeline.lock:
            pipeline.queues[module]["depth"], pipeline.queues[module]["lag"] = depth, lag

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
                await publish(*flood_queue.get_nowait())
            state = pipeline.snapshot()
            for module, queue in state["queues"].items():
                settings = state["modules"][module]
                owed[module]["produce"] += queue["producer_rate"] * TICK
                produce = int(owed[module]["produce"])
                owed[module]["produce"] -= produce
                if settings["enabled"] and not settings["paused"]:
                    await publish(module, produce)
                else:
                    pipeline.count(module, "shed", produce)
                if settings["enabled"]:
                    await take(module, settings["rate_limit"], "delivered")
                elif QUEUES[module]["local_drain"]:
                    await take(module, LOCAL_DRAIN_RATE, "spooled")
                await measure(module)
            with pipeline.lock:
                pipeline.bus_up = 1
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
                module = body.get("module", NOTIFIER)
                if count < 0 or count > 100000:
                    raise ValueError("count must be 0..100000")
                if module not in QUEUES:
                    raise ValueError(f"unknown module {module!r}: one of {', '.join(QUEUES)}")
                with pipeline.lock:
                    if "producer_rate" in body:
                        pipeline.queues[module]["producer_rate"] = float(body["producer_rate"])
                    if "rate_limit" in body:
                        pipeline.modules[module]["rate_limit"] = float(body["rate_limit"])
            except (ValueError, TypeError) as exc:
                self._send(400, json.dumps({"error": str(exc)}))
                return
            loop.call_soon_threadsafe(flood_queue.put_nowait, (module, count))
            self._send(200, json.dumps({"queued": count, "module": module}))

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
    parser.add_argument("--uploader-rate", type=float, default=2.0, help="uploads offered to the S3 uploader per second")
    parser.add_argument("--uploader-rate-limit", type=float, default=10.0, help="uploads per second the S3 uploader sends")
    args = parser.parse_args(argv)
    pipeline = Pipeline(args.capacity, args.producer_rate, args.rate_limit, args.uploader_rate, args.uploader_rate_limit)

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
