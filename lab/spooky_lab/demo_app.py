"""The lab's demo service exporter: request metrics whose canary share follows the clusters.

Run as its own process::

    python -m spooky_lab.demo_app --port 19101 --state-dir .lab \\
        --kubeconfig .lab/kubeconfig --contexts lab-east,lab-west,lab-edge
    python -m spooky_lab.demo_app --port 19101 --state-dir .lab --weights-file weights.json

Every second it reads each cluster's canary weight (the ``demo-canary`` Ingress
annotation, through the ``kubernetes`` client; or a JSON/YAML ``{cluster: weight}`` file)
and advances the traffic model of ``spooky_lab.demo_model``; ``/metrics`` serves the
counters.  HTTP API:

    GET  /metrics  /healthz  /weights  /scenario  /scenario/<cluster>  /gauges
    PUT  /scenario/<cluster>          {"canary": "healthy|failing|slow|no-traffic"}
    PUT  /gauges/<metric>[?cluster=c] {"value": 0.8}     (no cluster: every cluster)
    DELETE /gauges/<metric>[?cluster=c]                  (back to the default)

State kept in ``--state-dir``: ``demo_app_scenarios.json`` (scenarios, survive a restart)
and ``demo_app_state.json`` (counters and weights; written by the history backfill, then
by this process every few seconds and on exit, so the counters never restart from 0).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, Iterable, Mapping, Optional, Sequence
from urllib.parse import parse_qs, urlsplit

import yaml

from . import demo_model
from .config import CLUSTERS
from .demo_model import BUCKET_LABELS, SCENARIOS, TRACKS, Scenario, TrafficModel

log = logging.getLogger("spooky_lab.demo_app")

NAMESPACE = "demo"
SERVICE = "demo"
CANARY_INGRESS = "demo-canary"
HTTPROUTE = "demo"
STABLE_BACKEND = "demo-stable"
CANARY_BACKEND = "demo-canary"

GAUGES_FILE = Path(__file__).resolve().parents[1] / "demo_gauges.yml"
SCENARIOS_FILENAME = "demo_app_scenarios.json"
STATE_FILENAME = "demo_app_state.json"
SAVE_EVERY_SECONDS = 5.0
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


# --------------------------------------------------------------------------- files
def scenarios_path(state_dir) -> Path:
    return Path(state_dir) / SCENARIOS_FILENAME


def state_path(state_dir) -> Path:
    return Path(state_dir) / STATE_FILENAME


def write_json_atomic(path: Path, data) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def load_scenarios(state_dir) -> Dict[str, Scenario]:
    """Scenarios saved in the state dir ({} when none or unreadable)."""
    try:
        data = json.loads(scenarios_path(state_dir).read_text())
        return {cluster: Scenario.from_dict(entry) for cluster, entry in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_scenarios(state_dir, scenarios: Mapping[str, Scenario]) -> None:
    write_json_atomic(scenarios_path(state_dir), {c: s.to_dict() for c, s in scenarios.items()})


def load_state(state_dir) -> Optional[dict]:
    try:
        return json.loads(state_path(state_dir).read_text())
    except (OSError, ValueError):
        return None


def save_state(state_dir, model: TrafficModel, weights: Mapping[str, int]) -> None:
    data = model.to_dict()
    data["weights"] = dict(weights)
    write_json_atomic(state_path(state_dir), data)


def load_gauges(path=GAUGES_FILE) -> Dict[str, dict]:
    """metric name -> {"help": str, "value": float} from the gauges YAML."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    gauges = {}
    for name, spec in raw.items():
        if not _METRIC_NAME.match(str(name)):
            raise ValueError(f"{path}: invalid metric name {name!r}")
        spec = spec if isinstance(spec, dict) else {"value": spec}
        gauges[str(name)] = {"help": str(spec.get("help") or name), "value": float(spec["value"])}
    return gauges


# ------------------------------------------------------------------ weight sources
class WeightUnavailable(Exception):
    """The weight source of a cluster cannot be read right now."""


class FileWeightSource:
    """Weights from a JSON or YAML file ``{cluster: weight}``, re-read on every call.

    A missing file, a missing cluster or a ``null`` weight make that cluster
    "unreachable" — handy for tests and for a lab without clusters.
    """

    def __init__(self, path):
        self.path = Path(path)

    def read(self, cluster: str) -> int:
        try:
            data = yaml.safe_load(self.path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise WeightUnavailable(f"{self.path}: {exc}") from exc
        value = data.get(cluster) if isinstance(data, dict) else None
        if value is None:
            raise WeightUnavailable(f"{self.path}: no weight for {cluster}")
        try:
            return demo_model.check_weight(value)
        except (TypeError, ValueError) as exc:
            raise WeightUnavailable(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        pass


def _api_exception_status(exc) -> Optional[int]:
    return getattr(exc, "status", None)


def ingress_canary_weight(api_client, namespace: str = NAMESPACE, timeout=(1, 2)) -> Optional[int]:
    """ingress-nginx canary weight of the ``demo-canary`` Ingress; None if there is none."""
    from kubernetes.client import NetworkingV1Api
    from kubernetes.client.rest import ApiException

    try:
        ingress = NetworkingV1Api(api_client).read_namespaced_ingress(
            CANARY_INGRESS, namespace, _request_timeout=timeout)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    annotations = ingress.metadata.annotations or {}
    prefix = "nginx.ingress.kubernetes.io/"
    if str(annotations.get(prefix + "canary", "")).lower() != "true":
        return 0  # not a canary ingress (any more): nothing is routed to it
    try:
        weight = float(annotations.get(prefix + "canary-weight", 0) or 0)
        total = float(annotations.get(prefix + "canary-weight-total", 100) or 100)
    except ValueError as exc:
        raise WeightUnavailable(f"invalid canary annotation on {namespace}/{CANARY_INGRESS}: {exc}")
    return max(0, min(100, int(round(100.0 * weight / total)))) if total > 0 else 0


def httproute_canary_weight(api_client, namespace: str = NAMESPACE, timeout=(1, 2)) -> Optional[int]:
    """Canary share of the Gateway API HTTPRoute ``demo``; None if there is none."""
    from kubernetes.client import CustomObjectsApi
    from kubernetes.client.rest import ApiException

    route = None
    for version in ("v1", "v1beta1"):
        try:
            route = CustomObjectsApi(api_client).get_namespaced_custom_object(
                "gateway.networking.k8s.io", version, namespace, "httproutes", HTTPROUTE,
                _request_timeout=timeout)
            break
        except ApiException as exc:
            if exc.status != 404:
                raise
    if route is None:
        return None
    for rule in (route.get("spec") or {}).get("rules") or []:
        refs = rule.get("backendRefs") or []
        weights = {ref.get("name"): float(ref.get("weight", 1)) for ref in refs}
        if CANARY_BACKEND in weights:
            total = sum(weights.values())
            return int(round(100.0 * weights[CANARY_BACKEND] / total)) if total > 0 else 0
    return 0


# Lookups tried in order; the first one that finds its object gives the weight.
WEIGHT_LOOKUPS: Dict[str, Callable] = {
    "ingress": ingress_canary_weight,
    "httproute": httproute_canary_weight,
}
DEFAULT_LOOKUPS = ("ingress", "httproute")


class KubeWeightSource:
    """Weights read from the emulated clusters, one kubeconfig context per cluster."""

    def __init__(self, kubeconfig, namespace: str = NAMESPACE,
                 lookups: Sequence[str] = DEFAULT_LOOKUPS, timeout=(1, 2)):
        unknown = [name for name in lookups if name not in WEIGHT_LOOKUPS]
        if unknown:
            raise ValueError(f"unknown weight lookup(s) {unknown}; known: {sorted(WEIGHT_LOOKUPS)}")
        self.kubeconfig = Path(kubeconfig)
        self.namespace = namespace
        self.lookups = tuple(lookups)
        self.timeout = timeout
        self._clients: Dict[str, object] = {}
        self._lock = threading.Lock()

    def _client(self, context: str):
        with self._lock:
            api = self._clients.get(context)
        if api is not None:
            return api
        from kubernetes import client as k8s_client, config as k8s_config

        conf = k8s_client.Configuration()
        try:
            k8s_config.load_kube_config(config_file=str(self.kubeconfig), context=context,
                                        client_configuration=conf, persist_config=False)
        except Exception as exc:  # missing file, unknown context, bad YAML...
            raise WeightUnavailable(f"kubeconfig {self.kubeconfig} context {context}: {exc}") from exc
        conf.retries = False  # fail fast, the next poll is one second away
        api = k8s_client.ApiClient(conf)
        with self._lock:
            self._clients[context] = api
        return api

    def _drop(self, context: str) -> None:
        # Re-read the kubeconfig next time: the cluster may come back with new certs.
        with self._lock:
            api = self._clients.pop(context, None)
        if api is not None:
            try:
                api.close()
            except Exception:
                pass

    def read(self, cluster: str) -> int:
        api = self._client(cluster)
        try:
            for name in self.lookups:
                weight = WEIGHT_LOOKUPS[name](api, self.namespace, self.timeout)
                if weight is not None:
                    return weight
            return 0  # reachable, but no canary routing object: the canary gets nothing
        except WeightUnavailable:
            raise
        except Exception as exc:
            self._drop(cluster)
            status = _api_exception_status(exc)
            what = f"HTTP {status}" if status else type(exc).__name__
            raise WeightUnavailable(f"{cluster}: {what}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc

    def close(self) -> None:
        for context in list(self._clients):
            self._drop(context)


def read_weights(source, clusters: Iterable[str]) -> Dict[str, Optional[int]]:
    """One read of every cluster, in parallel; None for an unreachable cluster."""
    clusters = list(clusters)

    def one(cluster):
        try:
            return source.read(cluster)
        except WeightUnavailable:
            return None

    with ThreadPoolExecutor(max_workers=max(1, len(clusters))) as pool:
        return dict(zip(clusters, pool.map(one, clusters)))


# --------------------------------------------------------------------------- app
class DemoApp:
    """Model + weights + scenarios + gauges, thread-safe."""

    def __init__(self, clusters: Sequence[str], state_dir, weight_source, *,
                 scenario: Optional[str] = None, seed: int = 0,
                 total_rate: float = demo_model.DEFAULT_TOTAL_RATE,
                 gauges_file=GAUGES_FILE, clock: Callable[[], float] = time.time):
        self.clusters = tuple(clusters)
        self.state_dir = Path(state_dir)
        self.source = weight_source
        self.clock = clock
        self.lock = threading.RLock()
        now = clock()

        saved = load_state(self.state_dir)
        model = None
        if saved:
            try:
                model = TrafficModel.from_dict(saved, clusters=self.clusters, seed=seed, total_rate=total_rate)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring saved counters in %s: %s", state_path(self.state_dir), exc)
        self.model = model or TrafficModel(self.clusters, start=now, seed=seed, total_rate=total_rate)
        saved_weights = (saved or {}).get("weights") or {}
        self.weights = {c: int(saved_weights.get(c, demo_model.DEFAULT_WEIGHT)) for c in self.clusters}
        self.source_up = {c: False for c in self.clusters}
        self.source_error: Dict[str, Optional[str]] = {c: "not read yet" for c in self.clusters}

        scenarios = load_scenarios(self.state_dir)
        if scenario is not None:  # given explicitly on the command line: wins over the file
            demo_model.check_scenario(scenario)
            scenarios = {c: Scenario(scenario, now) for c in self.clusters}
        self.scenarios = {c: scenarios.get(c) or Scenario(demo_model.DEFAULT_SCENARIO, now)
                          for c in self.clusters}
        save_scenarios(self.state_dir, self.scenarios)

        self.gauge_defaults = load_gauges(gauges_file)
        self.gauges = {name: {c: spec["value"] for c in self.clusters}
                       for name, spec in self.gauge_defaults.items()}
        self._last_save = 0.0

    # -- model ---------------------------------------------------------------------
    def advance(self, now: Optional[float] = None) -> None:
        with self.lock:
            self.model.advance(self.clock() if now is None else now, self.weights, self.scenarios)

    def save(self) -> None:
        with self.lock:
            self.advance()
            save_state(self.state_dir, self.model, self.weights)
            self._last_save = self.clock()

    def poll_weights(self) -> None:
        results = read_weights(self.source, self.clusters)
        with self.lock:
            self.advance()  # account the past with the weights that were in force
            for cluster, weight in results.items():
                if weight is None:
                    if self.source_up[cluster]:
                        log.warning("weight source of %s unreachable; keeping weight %s",
                                    cluster, self.weights[cluster])
                    self.source_up[cluster] = False
                    self.source_error[cluster] = "unreachable"
                    continue
                if weight != self.weights[cluster] or not self.source_up[cluster]:
                    log.info("%s: canary weight %s", cluster, weight)
                self.weights[cluster] = weight
                self.source_up[cluster] = True
                self.source_error[cluster] = None
            if self.clock() - self._last_save >= SAVE_EVERY_SECONDS:
                self.save()

    def set_scenario(self, cluster: str, name: str, since: Optional[float] = None) -> Scenario:
        """Set a cluster's canary scenario; `since` backdates it (a latency creep that began 20 minutes ago)."""
        demo_model.check_scenario(name)
        with self.lock:
            self.advance()
            current = self.scenarios[cluster]
            if since is not None and since > self.clock():
                raise ValueError("since must not be in the future")
            if current.name != name or since is not None:  # idempotent: re-setting "slow" does not restart the creep
                self.scenarios[cluster] = Scenario(name, self.clock() if since is None else float(since))
                save_scenarios(self.state_dir, self.scenarios)
                log.info("%s: canary scenario %s", cluster, name)
            return self.scenarios[cluster]

    # -- gauges --------------------------------------------------------------------
    def set_gauge(self, metric: str, value: Optional[float], cluster: Optional[str] = None) -> dict:
        with self.lock:
            targets = self.clusters if cluster is None else (cluster,)
            for c in targets:
                self.gauges[metric][c] = self.gauge_defaults[metric]["value"] if value is None else value
            return dict(self.gauges[metric])

    # -- exposition ----------------------------------------------------------------
    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        with self.lock:
            self.advance()
            requests = CounterMetricFamily(
                "http_requests", "HTTP requests served by the demo service.",
                labels=["cluster", "namespace", "service", "track", "code"])
            duration = HistogramMetricFamily(
                "http_request_duration_seconds", "Latency of the demo service's HTTP requests.",
                labels=["cluster", "namespace", "service", "track"])
            for cluster in self.clusters:
                for track in TRACKS:
                    c = self.model.counters[cluster][track]
                    base = [cluster, NAMESPACE, SERVICE, track]
                    requests.add_metric(base + ["200"], c.ok)
                    requests.add_metric(base + ["500"], c.errors)
                    buckets = list(zip(BUCKET_LABELS, c.buckets)) + [("+Inf", c.count)]
                    duration.add_metric(base, buckets, c.sum)
            weight = GaugeMetricFamily("spooky_lab_canary_weight",
                                       "Canary weight (0-100) the demo traffic model uses.", labels=["cluster"])
            up = GaugeMetricFamily("spooky_lab_weight_source_up",
                                   "1 if the cluster's canary weight could be read at the last poll.",
                                   labels=["cluster"])
            scenario = GaugeMetricFamily("spooky_lab_demo_scenario",
                                         "1 for the scenario the demo track currently plays.",
                                         labels=["cluster", "track", "scenario"])
            for cluster in self.clusters:
                weight.add_metric([cluster], self.weights[cluster])
                up.add_metric([cluster], 1 if self.source_up[cluster] else 0)
                for name in SCENARIOS:
                    scenario.add_metric([cluster, "canary", name],
                                        1 if self.scenarios[cluster].name == name else 0)
            families = [requests, duration, weight, up, scenario]
            for metric, spec in self.gauge_defaults.items():
                g = GaugeMetricFamily(metric, spec["help"], labels=["cluster"])
                for cluster in self.clusters:
                    g.add_metric([cluster], self.gauges[metric][cluster])
                families.append(g)
        return families

    def render_metrics(self) -> bytes:
        from prometheus_client import generate_latest

        class _Registry:
            def __init__(self, app):
                self.app = app

            def collect(self):
                return self.app.collect()

        return generate_latest(_Registry(self))

    def status(self) -> dict:
        with self.lock:
            return {
                "weights": {c: {"weight": self.weights[c], "source_up": self.source_up[c],
                                "error": self.source_error[c]} for c in self.clusters},
                "scenarios": {c: s.to_dict() for c, s in self.scenarios.items()},
            }


# -------------------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
    app: DemoApp = None  # set on the subclass made by make_server
    server_version = "spooky-lab-demo-app/1"

    def log_message(self, fmt, *args):  # scrapes every second: only log changes
        if self.command != "GET":
            log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, status: int, body, content_type="application/json"):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body, indent=1, sort_keys=True) + "\n"
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str):
        self._send(status, {"error": message})

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _route(self):
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        return parts, parse_qs(url.query)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts, _ = self._route()
        app = self.app
        if parts == ["metrics"]:
            return self._send(200, app.render_metrics(), "text/plain; version=0.0.4; charset=utf-8")
        if parts == ["healthz"]:
            return self._send(200, {"status": "ok", "clusters": list(app.clusters)})
        if parts == ["weights"]:
            return self._send(200, app.status()["weights"])
        if parts == ["scenario"]:
            return self._send(200, app.status()["scenarios"])
        if len(parts) == 2 and parts[0] == "scenario":
            if parts[1] not in app.clusters:
                return self._error(404, f"unknown cluster {parts[1]!r}; known: {', '.join(app.clusters)}")
            return self._send(200, app.status()["scenarios"][parts[1]])
        if parts == ["gauges"]:
            with app.lock:
                return self._send(200, {m: dict(v) for m, v in app.gauges.items()})
        if len(parts) == 2 and parts[0] == "gauges":
            if parts[1] not in app.gauges:
                return self._error(404, self._unknown_gauge(parts[1]))
            with app.lock:
                return self._send(200, dict(app.gauges[parts[1]]))
        return self._error(404, f"no such endpoint: {self.path}")

    def _unknown_gauge(self, name):
        return f"unknown gauge metric {name!r}; known gauges: {', '.join(sorted(self.app.gauges))}"

    def do_PUT(self):
        parts, query = self._route()
        app = self.app
        if len(parts) == 2 and parts[0] == "scenario":
            cluster = parts[1]
            if cluster not in app.clusters:
                return self._error(404, f"unknown cluster {cluster!r}; known: {', '.join(app.clusters)}")
            body = self._body()
            name = body.get("canary") if isinstance(body, dict) else None
            if name not in SCENARIOS:
                return self._error(400, f'expected JSON {{"canary": one of {list(SCENARIOS)}}}, got {body!r}')
            since = body.get("since")
            if since is not None and (isinstance(since, bool) or not isinstance(since, (int, float))):
                return self._error(400, f"since must be a Unix timestamp, got {since!r}")
            try:
                return self._send(200, app.set_scenario(cluster, name, since).to_dict())
            except ValueError as exc:
                return self._error(400, str(exc))
        if len(parts) == 2 and parts[0] == "gauges":
            return self._gauge(parts[1], query, delete=False)
        return self._error(404, f"no such endpoint: PUT {self.path}")

    def do_DELETE(self):
        parts, query = self._route()
        if len(parts) == 2 and parts[0] == "gauges":
            return self._gauge(parts[1], query, delete=True)
        return self._error(404, f"no such endpoint: DELETE {self.path}")

    def _gauge(self, metric, query, delete):
        app = self.app
        if metric not in app.gauges:
            return self._error(404, self._unknown_gauge(metric))
        cluster = (query.get("cluster") or [None])[0]
        if cluster is not None and cluster not in app.clusters:
            return self._error(404, f"unknown cluster {cluster!r}; known: {', '.join(app.clusters)}")
        value = None
        if not delete:
            body = self._body()
            value = body.get("value") if isinstance(body, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                return self._error(400, f'expected JSON {{"value": <number>}}, got {body!r}')
        return self._send(200, {metric: app.set_gauge(metric, None if delete else float(value), cluster)})


def make_server(app: DemoApp, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("DemoAppHandler", (_Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def make_weight_source(kubeconfig=None, weights_file=None, lookups: Sequence[str] = DEFAULT_LOOKUPS):
    if weights_file:
        return FileWeightSource(weights_file)
    if kubeconfig:
        return KubeWeightSource(kubeconfig, lookups=lookups)
    raise ValueError("need a kubeconfig or a weights file to read canary weights from")


# --------------------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m spooky_lab.demo_app", description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--state-dir", required=True)
    p.add_argument("--kubeconfig", help="kubeconfig with one context per cluster")
    p.add_argument("--contexts", default=",".join(CLUSTERS),
                   help="comma-separated contexts = cluster names (default: %(default)s)")
    p.add_argument("--weights-file", help="read weights from this JSON/YAML {cluster: weight} file instead")
    p.add_argument("--weight-lookups", default=",".join(DEFAULT_LOOKUPS),
                   help=f"kubernetes objects tried in order (of {sorted(WEIGHT_LOOKUPS)}; default %(default)s)")
    p.add_argument("--scenario", choices=SCENARIOS, default=None,
                   help="initial canary scenario of every cluster (default: the saved ones, else healthy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--total-rate", type=float, default=demo_model.DEFAULT_TOTAL_RATE,
                   help="requests per second per cluster (default %(default)s)")
    p.add_argument("--gauges-file", default=str(GAUGES_FILE))
    p.add_argument("--poll-interval", type=float, default=1.0)
    args = p.parse_args(argv)
    if not args.kubeconfig and not args.weights_file:
        p.error("one of --kubeconfig or --weights-file is required")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clusters = [c.strip() for c in args.contexts.split(",") if c.strip()]
    source = make_weight_source(args.kubeconfig, args.weights_file,
                                [x.strip() for x in args.weight_lookups.split(",") if x.strip()])
    app = DemoApp(clusters, args.state_dir, source, scenario=args.scenario, seed=args.seed,
                  total_rate=args.total_rate, gauges_file=args.gauges_file)
    try:
        server = make_server(app, args.host, args.port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 2

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def poller():
        while not stop.is_set():
            started = time.monotonic()
            try:
                app.poll_weights()
            except Exception:  # never let the poller die
                log.exception("weight poll failed")
            stop.wait(max(0.05, args.poll_interval - (time.monotonic() - started)))

    threads = [threading.Thread(target=server.serve_forever, name="http", daemon=True),
               threading.Thread(target=poller, name="poller", daemon=True)]
    for t in threads:
        t.start()
    log.info("demo app on http://%s:%s/metrics for %s", args.host, args.port, ", ".join(clusters))
    stop.wait()
    server.shutdown()
    server.server_close()
    threads[1].join(timeout=5)
    app.save()
    source.close()
    log.info("stopped; counters saved to %s", state_path(args.state_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
