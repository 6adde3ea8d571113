"""/v3/users and the password actions."""

from __future__ import annotations

from aiohttp import web

from shim.audit import audited
from shim.errors import ApiError
from shim.faces import http
from shim.faces.v3 import render
from shim.throttle import password_attempt


async def list_users(request: web.Request) -> web.Response:
    actor = http.principal(request)
    if request.query.get("me") == "true":
        users = [actor.user]
    else:
        users = await http.core(request).users.list(actor)
    return http.respond(render.collection(request, "user", [render.user(request, u) for u in users]))


@audited("user.create", "username", "role", "enabled",
         actions={"changepassword": "user.password"})
async def create_user(request: web.Request) -> web.Response:
    action = request.query.get("action")
    if action == "changepassword":
        body = await http.read_json(request, "v3/change-password")
        actor = http.principal(request)
        async with password_attempt(request, actor.user.username, failure=422, exempt_known=False):
            user = await http.core(request).users.change_password(
                actor, body["currentPassword"], body["newPassword"]
            )
        return http.respond(render.user(request, user))
    if action is not None:
        raise ApiError(404, "ActionNotAvailable", f"action {action} not available on users")
    body = await http.read_json(request, "v3/user-create")
    user = await http.core(request).users.create(http.principal(request), body, http.now(request))
    return http.respond(render.user(request, user), status=201)


async def get_user(request: web.Request) -> web.Response:
    user = await http.core(request).users.get(http.principal(request), request.match_info["id"])
    return http.respond(render.user(request, user))


@audited("user.password")
async def user_action(request: web.Request) -> web.Response:
    action = request.query.get("action")
    if action != "setpassword":
        raise ApiError(404, "ActionNotAvailable", f"action {action} not available on a user")
    body = await http.read_json(request, "v3/set-password")
    user = await http.core(request).users.set_password(
        http.principal(request), request.match_info["id"], body["newPassword"]
    )
    return http.respond(render.user(request, user))


@audited("user.update", "enabled", "role")
async def update_user(request: web.Request) -> web.Response:
    body = await http.read_json(request, "v3/user-update")
    user = await http.core(request).users.update(
        http.principal(request), request.match_info["id"], body
    )
    return http.respond(render.user(request, user))


@audited("user.delete")
async def delete_user(request: web.Request) -> web.Response:
    await http.core(request).users.delete(http.principal(request), request.match_info["id"])
    return http.no_content()
