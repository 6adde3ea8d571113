"""The console under /dashboard/: pages rendered here from the core, every change sent by
the page's script to the v3 API (same rules, same validation, same audit)."""

from __future__ import annotations

import orjson
from aiohttp import web

from shim.faces.web import pages


def routes(prefix: str) -> list[web.RouteDef]:
    return [web.get(f"{prefix}/", index)]


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/dashboard/keys")


def error_page(request: web.Request, response: web.Response) -> web.Response:
    body = orjson.loads(response.body)
    return pages.render(request, "error.html", response.status, title=f"{response.status}",
                        status_code=response.status, error=body)
