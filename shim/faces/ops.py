"""Health and readiness: no authentication."""

from __future__ import annotations

from aiohttp import web

from shim.faces import http


async def healthz(request: web.Request) -> web.Response:
    return http.respond({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        ready = await http.core(request).store.ping()
    except Exception:  # any failure to reach the store means "not ready"
        ready = False
    return http.respond({"status": "ok" if ready else "unavailable"}, status=200 if ready else 503)
