"""GET /v3: the authenticated root, a cheap way to check a token."""

from __future__ import annotations

from aiohttp import web

from shim.faces import http
from shim.faces.v3 import render

COLLECTIONS = ("tokens", "settings", "features", "users", "clusters")


async def root(request: web.Request) -> web.Response:
    actor = http.principal(request)
    base = render.base_url(request)
    return http.respond({
        "type": "apiRoot",
        "id": "v3",
        "apiVersion": {"group": "management.cattle.io", "version": "v3", "path": "/v3"},
        "links": {name: f"{base}/v3/{name}" for name in COLLECTIONS} | {"self": f"{base}/v3"},
        "userId": actor.user.id,
    })
