"""The framework's ceiling: aiohttp answering GET /v3/tokens/{id} with a fixed body.

It checks one fixed Authorization header (from $BENCH_AUTH) and returns the JSON
body token-shim gave for the same request, with no store, no middlewares and no
access log: whatever token-shim spends beyond this is its own work.

    BENCH_AUTH='Bearer id:secret' python bench/bare_aiohttp.py --port P --body FILE [--uvloop]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aiohttp import web

UNAUTHORIZED = b'{"type":"error","status":"401","message":"must authenticate"}'


def create_app(body: bytes, authorization: str) -> web.Application:
    async def get_token(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != authorization:
            return web.Response(body=UNAUTHORIZED, status=401, content_type="application/json")
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_get("/v3/tokens/{id}", get_token)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="bare_aiohttp")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="the JSON body to return")
    parser.add_argument("--uvloop", action="store_true", help="serve on uvloop's event loop")
    args = parser.parse_args()
    app = create_app(args.body.read_bytes(), os.environ["BENCH_AUTH"])
    loop = None
    if args.uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()
