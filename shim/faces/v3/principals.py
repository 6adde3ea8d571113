"""/v3/principals: the caller's own principal (`me: true`), as Rancher's dashboard reads it."""

from __future__ import annotations

from aiohttp import web

from shim.errors import not_found
from shim.faces import http
from shim.faces.v3 import render


def principal_json(request: web.Request) -> dict:
    user = http.principal(request).user
    principal_id = f"local://{user.id}"
    return {
        "id": principal_id, "type": "principal", "baseType": "principal",
        "name": user.name or user.username, "loginName": user.username,
        "displayName": user.name or user.username, "principalType": "user",
        "provider": "local", "me": True, "memberOf": False,
        "links": {"self": f"{render.base_url(request)}/v3/principals/{principal_id}"},
    }


async def list_principals(request: web.Request) -> web.Response:
    return http.respond(render.collection(request, "principal", [principal_json(request)]))


async def get_principal(request: web.Request) -> web.Response:
    found = principal_json(request)
    if request.match_info["id"] != found["id"]:
        raise not_found(f"principal {request.match_info['id']} not found")
    return http.respond(found)
