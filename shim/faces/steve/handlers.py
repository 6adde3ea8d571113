"""The handlers of the /v1 face (table.py lists them)."""

from __future__ import annotations

import time
from typing import Awaitable

from aiohttp import web

from shim.audit import audit
from shim.errors import ApiError, not_found
from shim.faces import http
from shim.faces.kube.discovery import KUBE_VERSION
from shim.faces.steve import kinds, shapes
from shim.faces.steve.kinds import KINDS, Kind
from shim.keys import CONFIG, PRINCIPAL

AUDITED = {kinds.SETTING: "setting", kinds.EXT_TOKEN: "token"}  # the audit's event prefix
BODIES = {kinds.SETTING: "steve/setting", kinds.PREFERENCE: "steve/userpreference",
          kinds.SELFUSER: "steve/selfuser", kinds.EXT_TOKEN: "kube/token"}


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
    return http.respond(await _audited(request, kind, "create", None, kind.create(request, body)),
                        status=201)


async def update_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.update is None:
        raise ApiError(405, "MethodNotAllow", f"method PUT not allowed on {request.path}")
    http.principal(request)
    obj_id = request.match_info["id"]
    body = await http.read_json(request, BODIES[kind])
    return http.respond(await _audited(request, kind, "update", obj_id,
                                       kind.update(request, obj_id, body)))


async def delete_resource(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind.delete is None:
        raise ApiError(405, "MethodNotAllow", f"method DELETE not allowed on {request.path}")
    obj_id = request.match_info["id"]
    return http.respond(await _audited(request, kind, "delete", obj_id,
                                       kind.delete(request, obj_id)))


async def _audited(request: web.Request, kind: Kind, verb: str, target: str | None,
                   pending: Awaitable[dict]) -> dict:
    """Writes of settings and ext tokens are audited as on the other faces (face "v1")."""
    event = AUDITED.get(kind)
    if event is None:
        return await pending
    try:
        found = await pending
    except ApiError as err:
        audit(request, f"{event}.{verb}", target, "failure", face="v1", status=err.status,
              reason=err.reason or err.code)
        raise
    audit(request, f"{event}.{verb}", found.get("id", target), "success", face="v1")
    return found


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
