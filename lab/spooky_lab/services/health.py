"""HTTPS health endpoints of the lab's platforms, one port per cluster, with certificates of the lab CA.

`https://127.0.0.1:<health_port_base + i>/health` answers 200 {"status": "ok", "cluster": ...} for
cluster i: what Spyoncino's startup checklist and ORCA's post-deploy checklist curl (seeds 003, 004).
Each cluster's certificate is `<state dir>/pki/health-<cluster>.crt` (and `.key`), issued by
`spooky_lab.tls.issue` for a year; the server re-reads it when the file changes, so a drill or a
test makes an expiring certificate with `tls.issue(pki, "health-<cluster>", days=3)` and nothing
else. Run as `python -m spooky_lab.services.health --state-dir D --host H --base-port P --clusters a,b`.
"""

import argparse
import json
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import List

from .. import processes, tls
from ..config import LabConfig

NAME = "health"


def pki_dir(state_dir) -> Path:
    return Path(state_dir) / "pki"


def cert_name(cluster: str) -> str:
    return f"health-{cluster}"


def port(cfg: LabConfig, cluster: str) -> int:
    return cfg.health_port_base + cfg.clusters.index(cluster)


def url(cfg: LabConfig, cluster: str) -> str:
    return f"https://{cfg.host}:{port(cfg, cluster)}/health"


def ensure_certs(state_dir, clusters, hosts=("127.0.0.1", "localhost")) -> None:
    for cluster in clusters:
        cert = pki_dir(state_dir) / f"{cert_name(cluster)}.crt"
        if not cert.exists():
            tls.issue(pki_dir(state_dir), cert_name(cluster), hosts=hosts, days=365)


class _ReloadingContext:
    """A server SSLContext that follows its certificate file: re-read when its mtime changes."""

    def __init__(self, cert: Path, key: Path):
        self.cert, self.key = cert, key
        self.lock = threading.Lock()
        self.stamp = None
        self.context = None
        self.current()

    def current(self) -> ssl.SSLContext:
        stamp = (self.cert.stat().st_mtime_ns, self.key.stat().st_mtime_ns)
        with self.lock:
            if stamp != self.stamp:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(str(self.cert), str(self.key))
                context.sni_callback = self._sni
                self.context, self.stamp = context, stamp
            return self.context

    def _sni(self, sock, _server_name, _context):
        sock.context = self.current()


def _handler(cluster: str):
    class Handler(BaseHTTPRequestHandler):
        server_version = "spooky-lab-health/1"

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            if self.path.split("?")[0] not in ("/health", "/healthz"):
                body, code = {"error": "not found"}, 404
            else:
                body, code = {"status": "ok", "cluster": cluster}, 200
            data = (json.dumps(body) + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return Handler


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, contexts: _ReloadingContext):
        super().__init__(address, handler)
        self.contexts = contexts

    def get_request(self):
        sock, address = super().get_request()
        # The handshake happens in the handler's thread (do_handshake_on_connect), with the current certificate.
        return self.contexts.current().wrap_socket(sock, server_side=True), address

    def handle_error(self, request, client_address):
        pass  # a client that gives up mid-handshake is no server error


def serve(state_dir, host: str, base_port: int, clusters) -> None:
    ensure_certs(state_dir, clusters)
    servers = []
    for index, cluster in enumerate(clusters):
        name = cert_name(cluster)
        contexts = _ReloadingContext(pki_dir(state_dir) / f"{name}.crt", pki_dir(state_dir) / f"{name}.key")
        servers.append(_TLSServer((host, base_port + index), _handler(cluster), contexts))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in servers:
        server.shutdown()


def command(cfg: LabConfig) -> List[str]:
    return processes.python_module("spooky_lab.services.health", "--state-dir", str(cfg.state_dir), "--host", cfg.host,
                                   "--base-port", str(cfg.health_port_base), "--clusters", ",".join(cfg.clusters))


def _answers(cfg: LabConfig, cluster: str) -> bool:
    import socket
    try:
        with socket.create_connection((cfg.host, port(cfg, cluster)), timeout=1):
            return True
    except OSError:
        return False


def start(cfg: LabConfig) -> List[str]:
    import time
    started = []
    ensure_certs(cfg.state_dir, cfg.clusters)
    if not processes.running(cfg, NAME):
        for cluster in cfg.clusters:
            if not processes.port_free(cfg.host, port(cfg, cluster)):
                raise RuntimeError(f"port {port(cfg, cluster)} for the health endpoint of {cluster} is in use: "
                                   "set SPOOKY_LAB_HEALTH_BASE_PORT")
        processes.start(cfg, NAME, command(cfg), env={"PYTHONUNBUFFERED": "1"})
        started.append(NAME)
    deadline = time.monotonic() + 60  # a loaded machine (parallel test workers) can take long to start Python
    while not all(_answers(cfg, c) for c in cfg.clusters):
        if not processes.running(cfg, NAME) or time.monotonic() > deadline:
            raise RuntimeError(f"the health endpoints did not start; {cfg.log_dir / (NAME + '.log')} ends with:\n"
                               + processes.log_tail(cfg, NAME))
        time.sleep(0.05)
    return started


def describe(cfg: LabConfig) -> str:
    return f"health endpoints (HTTPS, lab CA): {', '.join(url(cfg, c) for c in cfg.clusters)}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spooky_lab.services.health")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--clusters", required=True)
    args = parser.parse_args(argv)
    serve(args.state_dir, args.host, args.base_port, [c for c in args.clusters.split(",") if c])
    return 0


if __name__ == "__main__":
    sys.exit(main())
