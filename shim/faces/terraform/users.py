"""/terraform/v1/users: service accounts (no password) for CI tokens."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shim.audit import audited
from shim.errors import ApiError
from shim.faces import http
from shim.faces.terraform.echo import dumps, echo, loads
from shim.store.base import User


def user_echo(user: User) -> dict[str, Any]:
    current = {"username": user.username, "name": user.name, "enabled": user.enabled, "role": user.role}
    return echo(loads(user.tf_doc) or {"username": user.username}, current)


@audited("user.create", "username", "role", "enabled")
async def create_user(request: web.Request) -> web.Response:
    doc = await http.read_json(request, "terraform/user")
    user = await http.core(request).users.create_service_account(
        http.principal(request), doc, http.now(request), tf_doc=dumps(doc)
    )
    return http.respond_exact(doc | {"id": user.id}, status=201)


async def get_user(request: web.Request) -> web.Response:
    user = await http.core(request).users.get(http.principal(request), request.match_info["id"])
    return http.respond_exact(user_echo(user))


@audited("user.update", "enabled", "role")
async def update_user(request: web.Request) -> web.Response:
    http.require_admin(request, "manage users")
    doc = await http.read_json(request, "terraform/user")
    user = await http.core(request).users.update(
        http.principal(request), request.match_info["id"], doc, tf_doc=dumps(doc)
    )
    return http.respond_exact(user_echo(user))


@audited("user.delete")
async def delete_user(request: web.Request) -> web.Response:
    try:
        await http.core(request).users.delete(http.principal(request), request.match_info["id"])
    except ApiError as err:
        if err.status != 404:
            raise
    return http.no_content()
