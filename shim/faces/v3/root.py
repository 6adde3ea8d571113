"""GET /v3 (the authenticated root, a cheap way to check a token), GET /v1 and GET /ping."""

from __future__ import annotations

from aiohttp import web

from shim.faces import http
from shim.faces.v3 import render
from shim.keys import CATALOG


async def root(request: web.Request) -> web.Response:
    actor = http.principal(request)
    base = render.base_url(request)
    catalog = request.app[CATALOG]
    collections = {catalog.plural(t): f"{base}/v3/{catalog.plural(t)}"
                   for t in catalog.resource_types()}
    return http.respond({
        "type": "apiRoot",
        "baseType": "apiRoot",
        "id": "v3",
        "apiVersion": {"group": "management.cattle.io", "version": "v3", "path": "/v3"},
        "links": collections | {"self": f"{base}/v3"},
        "userId": actor.user.id,
    })


async def v1_root(request: web.Request) -> web.Response:
    """Just enough of Steve's root for Norman Go clients built on /v1 (the Rancher CLI's)."""
    actor = http.principal(request)
    base = render.base_url(request)
    return http.respond({
        "type": "apiRoot",
        "baseType": "apiRoot",
        "id": "v1",
        "apiVersion": {"group": "", "version": "v1", "path": "/v1"},
        "links": {"self": f"{base}/v1", "schemas": f"{base}/v1/schemas"},
        "userId": actor.user.id,
    })


async def ping(request: web.Request) -> web.Response:
    """Rancher's readiness answer: exactly `pong`, no authentication."""
    return web.Response(text="pong", content_type="text/plain")
