"""Run one emulated cluster as its own process: the HTTPS API and a loopback control port.

    python -m spooky_lab.kube.server --name lab-east --port 16441 --control-port 17441 \
        --cert server.crt --key server.key --token-file token [--state-file east.json]

Control port (plain HTTP, loopback only), used by `python -m spooky_lab` and the drills:
    GET  /state                 reachable, revision, object count
    POST /unreachable           close the API port and drop open connections (a lost cluster)
    POST /reachable             listen again
    POST /save   {"path": ...}  write the whole object store to a JSON file
    POST /load   {"path": ...}  replace the object store from such a file
    POST /wipe                  lose every object (disaster recovery drills)
"""

import argparse
import asyncio
import json
import signal
import ssl
from pathlib import Path
from typing import Optional

import aiohttp.web

from .emulator import LabKubernetes


class ClusterServer:
    def __init__(self, handler: LabKubernetes, host: str, port: int, ssl_context: Optional[ssl.SSLContext]) -> None:
        self.handler = handler
        self.host, self.port, self.ssl_context = host, port, ssl_context
        self._runner: Optional[aiohttp.web.ServerRunner] = None

    @property
    def reachable(self) -> bool:
        return self._runner is not None

    async def listen(self) -> None:
        if self._runner is not None:
            return
        runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self.handler), handle_signals=False)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl_context, reuse_address=True)
        await site.start()
        self._runner = runner

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()  # also closes keep-alive connections, so clients see the loss at once


def control_app(cluster: ClusterServer) -> aiohttp.web.Application:
    handler = cluster.handler

    async def state(_request):
        return aiohttp.web.json_response({
            "cluster": handler.cluster_name, "reachable": cluster.reachable,
            "revision": handler.store.revision, "objects": len(handler.store.objects),
        })

    async def unreachable(_request):
        await cluster.close()
        return await state(_request)

    async def reachable(_request):
        await cluster.listen()
        return await state(_request)

    async def _path(request) -> Path:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("path"):
            raise aiohttp.web.HTTPBadRequest(text='expected {"path": "..."}')
        return Path(body["path"])

    async def save(request):
        path = await _path(request)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(handler.save(), sort_keys=True))
        tmp.replace(path)  # never a half-written state file
        return await state(request)

    async def load(request):
        path = await _path(request)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise aiohttp.web.HTTPBadRequest(text=f"cannot load {path}: {exc}")
        handler.load(data)
        return await state(request)

    async def wipe(request):
        handler.wipe()
        return await state(request)

    app = aiohttp.web.Application()
    app.router.add_get("/state", state)
    app.router.add_post("/unreachable", unreachable)
    app.router.add_post("/reachable", reachable)
    app.router.add_post("/save", save)
    app.router.add_post("/load", load)
    app.router.add_post("/wipe", wipe)
    return app


def _ssl_context(cert: Optional[str], key: Optional[str]) -> Optional[ssl.SSLContext]:
    if not cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def serve(args: argparse.Namespace) -> None:
    token = Path(args.token_file).read_text().strip() if args.token_file else None
    handler = LabKubernetes(cluster_name=args.name, token=token)
    if args.state_file and Path(args.state_file).exists():
        handler.load(json.loads(Path(args.state_file).read_text()))
    async with handler:
        cluster = ClusterServer(handler, args.host, args.port, _ssl_context(args.cert, args.key))
        await cluster.listen()
        control = aiohttp.web.AppRunner(control_app(cluster), handle_signals=False, access_log=None)
        await control.setup()
        await aiohttp.web.TCPSite(control, args.host, args.control_port, reuse_address=True).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"{args.name}: API on {args.host}:{args.port}, control on {args.host}:{args.control_port}", flush=True)
        await stop.wait()
        await cluster.close()
        await control.cleanup()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="spooky_lab.kube.server", description=__doc__.split("\n")[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--token-file")
    parser.add_argument("--state-file", help="load this state at start if it exists")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
