"""token-shim's Terraform response shapes from a canned aiohttp server: no store, no auth.

For the `terraform apply` comparison: the restapi fakeserver echoes the object
it was sent, while token-shim's create response also carries the one-time
bearer `token`, the effective `ttl`, `userId` and `expiresAt` (the Terraform
face's contract). Terraform spends time on every attribute of every object,
so this server shows how much of the gap is the shape rather than the server.

    python bench/shape_server.py --port P
"""

from __future__ import annotations

import argparse
import itertools

import orjson
from aiohttp import web

SECRET = "x" * 54


def create_app() -> web.Application:
    ids = itertools.count()

    async def create_token(request: web.Request) -> web.Response:
        doc, n = await request.json(), next(ids)
        token_id = f"token-{n:05d}"
        body = doc | {"id": token_id, "token": f"{token_id}:{SECRET}", "ttl": doc.get("ttl", 0),
                      "userId": "user-bench", "expiresAt": "2027-01-15T09:00:00Z"}
        return web.Response(body=orjson.dumps(body), status=201, content_type="application/json")

    async def put_setting(request: web.Request) -> web.Response:
        body = await request.json() | {"name": request.match_info["name"]}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/terraform/v1/tokens", create_token)
    app.router.add_put("/terraform/v1/settings/{name}", put_setting)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="shape_server")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
