"""End to end: backfilled history + a real Prometheus + the demo app exporter.

Everything runs on free ports chosen at run time, in a temporary state dir, and every
process started here is stopped (process group) before the module ends.
"""

import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from spooky_lab import demo_app, prometheus as P  # noqa: E402
from spooky_lab.config import LabConfig  # noqa: E402

ERROR_RATIO = (
    'sum(rate(http_requests_total{{cluster="{c}",track="canary",code="500"}}[5m]))'
    ' / sum(rate(http_requests_total{{cluster="{c}",track="canary"}}[5m]))'
)
INITIAL_WEIGHTS = {"lab-east": 20, "lab-west": 10, "lab-edge": 0}


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def scrape(cfg):
    """The exporter's /metrics as {(sample name, sorted label items): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    status, text = http("GET", P.demo_app_url(cfg) + "/metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def sample(metrics, name, **labels):
    want = tuple(sorted(labels.items()))
    matches = [v for (n, lbl), v in metrics.items() if n == name and set(want) <= set(lbl)]
    assert matches, f"no {name}{labels}"
    return sum(matches)


def scalar(cfg, promql):
    result = P.query(cfg, promql)
    assert len(result) == 1, f"{promql} -> {result}"
    return float(result[0]["value"][1])


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    state = tmp_path_factory.mktemp("lab")
    prom_port, app_port = free_ports(2)
    cfg = LabConfig(state_dir=state, prometheus_port=prom_port, demo_app_port=app_port)
    weights = state / "weights.json"
    weights.write_text(json.dumps(INITIAL_WEIGHTS))
    procs = []
    timings = {}
    try:
        t0 = time.monotonic()
        P.write_config(cfg, state)
        summary = P.backfill(cfg, state, weights_file=weights, scenarios={"lab-west": "failing"})
        timings["backfill"] = time.monotonic() - t0
        procs.append(P.start(cfg, state))
        timings["prometheus"] = time.monotonic() - t0 - timings["backfill"]
        procs.append(P.start_demo_app(cfg, state, weights_file=weights))
        timings["total"] = time.monotonic() - t0
        print(f"\nlab startup: {timings}")
        yield SimpleNamespace(cfg=cfg, state=state, weights=weights, summary=summary, procs=procs)
    finally:
        for proc in reversed(procs):
            P.stop(proc)
        assert all(proc.poll() is not None for proc in procs)


def test_config_is_valid(lab):
    out = P.subprocess.run([P._binary("promtool"), "check", "config", str(P.config_path(lab.state))],
                           capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    config = yaml.safe_load(P.config_path(lab.state).read_text())
    assert config["global"]["scrape_interval"] == "1s"
    assert config["rule_files"] == [str(P.rules_dir(lab.state).resolve() / "*.yml")]
    assert config["scrape_configs"][0]["honor_labels"] is True


def test_history_is_queryable_right_after_start(lab):
    cfg = lab.cfg
    assert len(lab.summary["blocks"]) >= 1 and lab.summary["end"] - lab.summary["start"] == 30 * 60
    # answered from the backfill: the demo app has not been scraped yet
    assert scalar(cfg, ERROR_RATIO.format(c="lab-east")) == pytest.approx(0.0005, rel=0.3)
    assert scalar(cfg, ERROR_RATIO.format(c="lab-west")) == pytest.approx(0.02, rel=0.15)
    assert P.query(cfg, ERROR_RATIO.format(c="lab-edge"))[0]["value"][1] == "NaN"  # weight 0: no canary traffic
    history = scalar(cfg, 'count_over_time(http_requests_total{cluster="lab-east",track="canary",code="200"}[30m])')
    assert history >= 300
    p95 = scalar(cfg, 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
                      '{cluster="lab-east",track="stable"}[5m])))')
    assert 0.055 < p95 < 0.07
    assert scalar(cfg, 'spooky_lab_canary_weight{cluster="lab-east"}') == 20
    qek = P.query(cfg, "euystacio_qek")
    assert sorted(r["metric"]["cluster"] for r in qek) == sorted(cfg.clusters)
    assert {r["value"][1] for r in qek} == {"0.938"}


def test_scenario_put_moves_live_data(lab):
    base = P.demo_app_url(lab.cfg)
    status, body = http("GET", base + "/scenario")
    assert status == 200
    assert {c: s["canary"] for c, s in json.loads(body).items()} == {
        "lab-east": "healthy", "lab-west": "failing", "lab-edge": "healthy"}
    assert http("PUT", base + "/scenario/lab-east", {"canary": "melting"})[0] == 400
    assert http("PUT", base + "/scenario/lab-nowhere", {"canary": "failing"})[0] == 404

    status, body = http("PUT", base + "/scenario/lab-east", {"canary": "failing"})
    assert status == 200 and json.loads(body)["canary"] == "failing"
    saved = json.loads(demo_app.scenarios_path(lab.state).read_text())
    assert saved["lab-east"]["canary"] == "failing"

    labels = dict(cluster="lab-east", track="canary")
    before = scrape(lab.cfg)
    time.sleep(2.2)
    after = scrape(lab.cfg)
    def delta(**extra):
        return sample(after, "http_requests_total", **labels, **extra) - sample(before, "http_requests_total",
                                                                               **labels, **extra)

    errors, total = delta(code="500"), delta()
    assert total > 0 and 0.01 < errors / total < 0.03
    assert sample(after, "spooky_lab_demo_scenario", cluster="lab-east", scenario="failing") == 1

    assert http("PUT", base + "/scenario/lab-east", {"canary": "healthy"})[0] == 200


def test_gauge_overrides(lab):
    base = P.demo_app_url(lab.cfg)
    status, body = http("PUT", base + "/gauges/euystacio_qek?cluster=lab-east", {"value": 0.8})
    assert status == 200 and json.loads(body)["euystacio_qek"]["lab-east"] == 0.8
    metrics = scrape(lab.cfg)
    assert sample(metrics, "euystacio_qek", cluster="lab-east") == 0.8
    assert sample(metrics, "euystacio_qek", cluster="lab-west") == 0.938
    assert sample(metrics, "spooky_daily_cost_dollars", cluster="lab-edge") == 412

    status, body = http("PUT", base + "/gauges/no_such_metric?cluster=lab-east", {"value": 1})
    assert status == 404 and "unknown gauge metric 'no_such_metric'" in json.loads(body)["error"]
    assert http("PUT", base + "/gauges/euystacio_qek?cluster=lab-nowhere", {"value": 1})[0] == 404
    assert http("PUT", base + "/gauges/euystacio_qek", {"value": "high"})[0] == 400

    assert http("DELETE", base + "/gauges/euystacio_qek?cluster=lab-east")[0] == 200
    assert sample(scrape(lab.cfg), "euystacio_qek", cluster="lab-east") == 0.938


def test_weights_follow_the_source_and_survive_an_outage(lab):
    def weight_is(cluster, weight, up):
        m = scrape(lab.cfg)
        return (sample(m, "spooky_lab_canary_weight", cluster=cluster) == weight
                and sample(m, "spooky_lab_weight_source_up", cluster=cluster) == up)

    wait_for(lambda: weight_is("lab-east", 20, 1), 5, "initial weight")
    lab.weights.write_text(json.dumps({"lab-east": 50, "lab-edge": 0}))  # lab-west "unreachable"
    wait_for(lambda: weight_is("lab-east", 50, 1), 5, "new weight of lab-east")
    wait_for(lambda: weight_is("lab-west", 10, 0), 5, "lab-west down, last weight kept")
    lab.weights.write_text(json.dumps(INITIAL_WEIGHTS))
    wait_for(lambda: weight_is("lab-west", 10, 1), 5, "lab-west back")


def test_live_scrapes_continue_the_history(lab):
    cfg, end = lab.cfg, lab.summary["end"]
    selector = 'http_requests_total{cluster="lab-east",track="stable",code="200"}'
    wait_for(lambda: any(float(r["value"][1]) > end + 1 for r in P.query(cfg, f"timestamp({selector})")),
             15, "Prometheus to scrape the live exporter")
    time.sleep(1.5)
    for metric in ("http_requests_total", "http_request_duration_seconds_count",
                   "http_request_duration_seconds_bucket"):
        resets = P.query(cfg, f"max(resets({metric}[1h]))")
        assert float(resets[0]["value"][1]) == 0, metric
    # one series across the boundary (same labels), and its rate over the seam is sane
    assert len(P.query(cfg, selector)) == 1
    rate = scalar(cfg, 'sum(rate(http_requests_total{cluster="lab-east"}[30s]))')
    assert rate == pytest.approx(20, rel=0.2)


def test_restart_fills_the_gap_and_keeps_the_previous_run(lab):
    cfg, state = lab.cfg, lab.state
    selector = 'http_requests_total{cluster="lab-east",track="stable",code="200"}'
    live_until = time.time()
    live_before = scalar(cfg, f"count_over_time({selector}[10s])")
    assert live_before >= 2  # live scrapes (the previous test waited for them)
    for proc in reversed(lab.procs):
        P.stop(proc)
    lab.procs.clear()
    with pytest.raises(RuntimeError, match="backfill before"):  # guard: never under a running Prometheus
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind((cfg.host, cfg.prometheus_port))
            busy.listen()
            P.backfill(cfg, state, weights_file=lab.weights)
    saved_tick = json.loads(demo_app.state_path(state).read_text())["next_tick"]
    time.sleep(max(0.0, saved_tick + 2.2 - time.time()))
    summary = P.backfill(cfg, state, weights_file=lab.weights, step=1)
    assert summary["start"] == saved_tick and summary["blocks"]  # only the gap
    lab.procs.append(P.start(cfg, state))
    # the previous run's live samples (still in the WAL) survived the new block
    assert float(P.query(cfg, f"count_over_time({selector}[10s])", at=live_until)[0]["value"][1]) >= live_before
    assert float(P.query(cfg, "max(resets(http_requests_total[1h]))")[0]["value"][1]) == 0
    last = scalar(cfg, f"last_over_time({selector}[1m])")
    lab.procs.append(P.start_demo_app(cfg, state, weights_file=lab.weights))
    assert sample(scrape(cfg), "http_requests_total", cluster="lab-east", track="stable", code="200") >= last


def test_start_failures_leave_nothing_behind(lab, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cfg = LabConfig(state_dir=tmp_path, prometheus_port=busy.getsockname()[1], demo_app_port=free_ports(1)[0])
        with pytest.raises(RuntimeError, match="already in use"):
            P.start(cfg, tmp_path)
    # a process that dies during start-up: the error carries its log
    with pytest.raises(RuntimeError, match="demo app failed to start(.|\n)*invalid choice"):
        P.start_demo_app(cfg, tmp_path, weights_file=lab.weights, scenario="bogus")


# ---------------------------------------------------------------- kube weight source
class _FakeKube(BaseHTTPRequestHandler):
    objects = {}
    tokens = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.tokens.append(self.headers.get("Authorization"))
        obj = self.objects.get(self.path.split("?")[0])
        body = json.dumps(obj or {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "reason": "NotFound", "code": 404}).encode()
        self.send_response(200 if obj else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


INGRESS_PATH = "/apis/networking.k8s.io/v1/namespaces/demo/ingresses/demo-canary"
ROUTE_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes/demo"


def _ingress(annotations):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "demo-canary", "namespace": "demo", "annotations": annotations},
            "spec": {"rules": []}}


def test_kube_weight_source_reads_ingress_then_httproute(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKube)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    closed_port = free_ports(1)[0]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab-east",
        "clusters": [{"name": "east", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}},
                     {"name": "west", "cluster": {"server": f"http://127.0.0.1:{closed_port}"}}],
        "users": [{"name": "lab", "user": {"token": "t0ken"}}],
        "contexts": [{"name": "lab-east", "context": {"cluster": "east", "user": "lab"}},
                     {"name": "lab-west", "context": {"cluster": "west", "user": "lab"}}],
    }))
    source = demo_app.KubeWeightSource(kubeconfig)
    try:
        _FakeKube.objects = {INGRESS_PATH: _ingress({"nginx.ingress.kubernetes.io/canary": "true",
                                                     "nginx.ingress.kubernetes.io/canary-weight": "35"})}
        assert source.read("lab-east") == 35
        assert _FakeKube.tokens[-1] == "Bearer t0ken"
        _FakeKube.objects = {INGRESS_PATH: _ingress({"nginx.ingress.kubernetes.io/canary": "true",
                                                     "nginx.ingress.kubernetes.io/canary-weight": "3",
                                                     "nginx.ingress.kubernetes.io/canary-weight-total": "10"})}
        assert source.read("lab-east") == 30
        _FakeKube.objects = {INGRESS_PATH: _ingress({"nginx.ingress.kubernetes.io/canary-weight": "50"})}
        assert source.read("lab-east") == 0  # not marked as canary
        _FakeKube.objects = {ROUTE_PATH: {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                          "spec": {"rules": [{"backendRefs": [
                                              {"name": "demo-stable", "port": 80, "weight": 70},
                                              {"name": "demo-canary", "port": 80, "weight": 30}]}]}}}
        assert source.read("lab-east") == 30  # no canary Ingress: the HTTPRoute decides
        _FakeKube.objects = {}
        assert source.read("lab-east") == 0  # reachable, nothing routes to the canary
        began = time.monotonic()
        with pytest.raises(demo_app.WeightUnavailable):
            source.read("lab-west")
        assert time.monotonic() - began < 3
        assert demo_app.read_weights(source, ["lab-east", "lab-west", "lab-nowhere"]) == {
            "lab-east": 0, "lab-west": None, "lab-nowhere": None}
    finally:
        source.close()
        server.shutdown()
        server.server_close()
