"""A Steve (`/v1`) subset in Rancher's shapes: what Rancher's dashboard and the rancher
CLI's `/v1` client read (see kinds.py for the types), plus /rancherversion, /version and
/v1/uiplugins. Routes name types that hold a dot, or the few core ones, so other /v1
paths (e.g. POST /v1/authenticate) stay free for their own routes."""

from __future__ import annotations

import time

from aiohttp import web

from shim.errors import ApiError, not_found
from shim.faces import http
from shim.faces.kube.discovery import KUBE_VERSION
from shim.faces.steve import kinds, shapes, subscribe
from shim.faces.steve.kinds import KINDS, Kind
from shim.keys import CONFIG, PRINCIPAL

_CORE_TYPES = "|".join(k for k in KINDS if "." not in k and k != "schemas")
TYPE = rf"{{type:[a-z0-9-]+(?:\.[a-z0-9-]+)+|{_CORE_TYPES}}}"
BODIES = {kinds.SETTING: "steve/setting", kinds.PREFERENCE: "steve/userpreference",
          kinds.SELFUSER: "steve/selfuser", kinds.EXT_TOKEN: "kube/token"}
# The paths open to anonymous callers (authenticated when a credential comes with them).
OPTIONAL_AUTH = ("/v1/management.cattle.io.settings", "/v1/management.cattle.io.setting",
                 "/v1/uiplugins", "/rancherversion", "/version")


def add_routes(app: web.Application) -> None:
    app.add_routes([
        web.get("/v1/subscribe", subscribe.subscribe),
        web.get("/v3/subscribe", subscribe.subscribe),
        web.get("/v1/uiplugins", uiplugins),
        web.get("/rancherversion", rancher_version),
        web.get("/version", kube_version),
        web.get("/v1/schemas/{id}", get_schema),
        web.get(f"/v1/{TYPE}", list_resources),
        web.post(f"/v1/{TYPE}", create_resource),
        web.get(f"/v1/{TYPE}/{{id}}", get_resource),
        web.put(f"/v1/{TYPE}/{{id}}", update_resource),
        web.delete(f"/v1/{TYPE}/{{id}}", delete_resource),
    ])


def _kind(request: web.Request) -> Kind:
    found = KINDS.get(request.match_info["type"])
    if found is None:
        raise not_found(f"{request.path} not found")
    if not found.anonymous:
        http.principal(request)
    return found


def _admin(request: web.Request) -> bool:
    found = request.get(PRINCIPAL)
    return found is not None and found.is_admin


def revision() -> str:
    return str(time.time_ns() // 1_000_000)


async def list_resources(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.list is None:
        raise ApiError(405, "MethodNotAllow", f"method GET not allowed on {request.path}")
    data = await kind.list(request)
    creates = kind.create is not None and PRINCIPAL in request
    return http.respond(shapes.collection(request, kind, data, creates=creates,
                                          revision=revision()))


async def get_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.list is None:
        raise ApiError(405, "MethodNotAllow", f"method GET not allowed on {request.path}")
    return http.respond(await kinds.one(request, kind, request.match_info["id"]))


async def create_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.create is None:
        raise ApiError(405, "MethodNotAllow", f"method POST not allowed on {request.path}")
    body = await http.read_json(request, BODIES[kind])
    return http.respond(await kind.create(request, body), status=201)


async def update_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.update is None:
        raise ApiError(405, "MethodNotAllow", f"method PUT not allowed on {request.path}")
    http.principal(request)
    body = await http.read_json(request, BODIES[kind])
    return http.respond(await kind.update(request, request.match_info["id"], body))


async def delete_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.delete is None:
        raise ApiError(405, "MethodNotAllow", f"method DELETE not allowed on {request.path}")
    return http.respond(await kind.delete(request, request.match_info["id"]))


def schemas(request: web.Request) -> list[dict]:
    admin = _admin(request)
    found = []
    for kind in kinds.ALL:
        collection_methods, resource_methods = kind.methods(admin)
        found.append(shapes.schema(request, kind, collection_methods=collection_methods,
                                   resource_methods=resource_methods))
    return found


async def list_schemas(request: web.Request) -> web.Response:
    http.principal(request)
    data = schemas(request)
    return http.respond(shapes.collection(request, _SCHEMA, data, creates=False,
                                          revision=revision()))


async def get_schema(request: web.Request) -> web.Response:
    http.principal(request)
    wanted = request.match_info["id"]
    for schema in schemas(request):
        if wanted in (schema["id"], schema["pluralName"]):
            return http.respond(schema)
    raise not_found(f"schema {wanted} not found")


_SCHEMA = Kind("schema", "schemas", "", "v1", "Schema")


async def uiplugins(request: web.Request) -> web.Response:
    """No UI extensions: the dashboard then loads none."""
    return http.respond({"apiVersion": "catalog.cattle.io/v1", "kind": "UIPluginList",
                         "entries": {}})


async def rancher_version(request: web.Request) -> web.Response:
    version = request.app[CONFIG].server_version
    return http.respond({"Version": version, "GitCommit": "token-shim", "RancherPrime": "false"})


async def kube_version(request: web.Request) -> web.Response:
    major, minor = KUBE_VERSION.lstrip("v").split(".")[:2]
    return http.respond({"major": major, "minor": minor, "gitVersion": KUBE_VERSION,
                         "platform": "linux/amd64"})
