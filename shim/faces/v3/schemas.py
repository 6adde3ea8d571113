"""GET /v3/schemas: Norman's self-description, generated from the operation table and
the JSON Schemas (shim/faces/v3/norman.py); methods and actions follow the caller's rights."""

from __future__ import annotations

from aiohttp import web

from shim.errors import not_found
from shim.faces import http
from shim.faces.v3 import render
from shim.keys import CATALOG


def _schemas(request: web.Request) -> list[dict]:
    catalog, base, admin = request.app[CATALOG], render.base_url(request), render.is_admin(request)
    return [catalog.schema(t, base, admin) for t in catalog.all_types()]


async def list_schemas(request: web.Request) -> web.Response:
    return http.respond(render.collection(request, "schema", _schemas(request)))


async def get_schema(request: web.Request) -> web.Response:
    wanted = request.match_info["id"].lower()
    for schema in _schemas(request):
        if schema["id"].lower() == wanted:
            return http.respond(schema)
    raise not_found("no such schema")
