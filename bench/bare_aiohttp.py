"""The framework's ceiling: aiohttp answering GET /v3/tokens/{id} with a fixed body.

It checks one fixed Authorization header (from $BENCH_AUTH) and returns the JSON
body token-shim gave for the same request, with no store, no middlewares and no
access log: whatever token-shim spends beyond this is its own work.

`--low-level` serves the same answer from aiohttp's low-level server (`web.Server`:
no Application, no router, no middleware chain): a path-prefix check stands in for
the route, and anything else gets a 404. What aiohttp's application layer costs is
the gap between the two.

    BENCH_AUTH='Bearer id:secret' python bench/bare_aiohttp.py --port P --body FILE \
        [--uvloop] [--low-level]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

UNAUTHORIZED = b'{"type":"error","status":"401","message":"must authenticate"}'
NOT_FOUND = b'{"type":"error","status":"404","message":"not found"}'
TOKEN_PREFIX = "/v3/tokens/"
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def token_handler(body: bytes, authorization: str) -> Handler:
    async def get_token(request: web.BaseRequest) -> web.Response:
        if request.headers.get("Authorization") != authorization:
            return web.Response(body=UNAUTHORIZED, status=401, content_type="application/json")
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    return get_token


def create_app(body: bytes, authorization: str) -> web.Application:
    app = web.Application()
    app.router.add_get("/v3/tokens/{id}", token_handler(body, authorization))
    return app


def low_level_handler(body: bytes, authorization: str) -> Handler:
    """The route by hand: GET of one segment under /v3/tokens/, else 404."""
    get_token = token_handler(body, authorization)

    async def handle(request: web.BaseRequest) -> web.Response:
        if not _is_token_get(request):
            return web.Response(body=NOT_FOUND, status=404, content_type="application/json")
        return await get_token(request)

    return handle


def _is_token_get(request: web.BaseRequest) -> bool:
    """GET with one path segment after /v3/tokens/, as the Application's route matches."""
    path = request.path
    token_id = path[len(TOKEN_PREFIX):]
    return (request.method == "GET" and path.startswith(TOKEN_PREFIX) and bool(token_id)
            and "/" not in token_id)


async def serve_low_level(body: bytes, authorization: str, port: int) -> None:
    """web.Server behind a ServerRunner and a TCPSite, until SIGTERM or SIGINT."""
    server = web.Server(low_level_handler(body, authorization), access_log=None)
    runner = web.ServerRunner(server, handle_signals=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bare_aiohttp")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="the JSON body to return")
    parser.add_argument("--uvloop", action="store_true", help="serve on uvloop's event loop")
    parser.add_argument("--low-level", action="store_true",
                        help="serve from web.Server: no Application, router or middlewares")
    args = parser.parse_args()
    body, authorization = args.body.read_bytes(), os.environ["BENCH_AUTH"]
    loop_factory = _uvloop_factory() if args.uvloop else None
    if args.low_level:
        _run_low_level(body, authorization, args.port, loop_factory)
    else:
        loop = loop_factory() if loop_factory else None
        web.run_app(create_app(body, authorization), host="127.0.0.1", port=args.port,
                    access_log=None, print=None, loop=loop)


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    import uvloop

    return uvloop.new_event_loop


def _run_low_level(body: bytes, authorization: str, port: int,
                   loop_factory: Callable[[], asyncio.AbstractEventLoop] | None) -> None:
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve_low_level(body, authorization, port))
    except web.GracefulExit:  # SIGTERM from the harness: a normal stop
        pass


if __name__ == "__main__":
    main()
