"""A Steve (`/v1`) subset in Rancher's shapes: what Rancher's dashboard and the rancher
CLI's `/v1` client read (kinds.py lists the types), the websockets /v1/subscribe and
/v3/subscribe, /rancherversion, /version and /v1/uiplugins (table.py).

Routes name types that hold a dot, or the few core ones, so other /v1 paths (e.g.
POST /v1/authenticate) stay free for their own routes."""

from __future__ import annotations

from aiohttp import web

from shim.faces.steve import subscribe
from shim.faces.steve.kinds import KINDS
from shim.faces.steve.table import OPERATIONS

_CORE_TYPES = "|".join(k for k in KINDS if "." not in k)
TYPE = rf"{{type:[a-z0-9-]+(?:\.[a-z0-9-]+)+|{_CORE_TYPES}}}"

__all__ = ["OPERATIONS", "add_routes"]


def add_routes(app: web.Application) -> None:
    subscribe.setup(app)
    for operation in OPERATIONS:
        path = operation.path.replace("{type}", TYPE)
        app.router.add_route(operation.method.upper(), path, operation.handler)
