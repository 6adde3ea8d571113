"""The console under /dashboard/: pages rendered here from the core, every change sent by
the page's script to the v3 API (same rules, same validation, same audit)."""

from __future__ import annotations

from dataclasses import replace

import orjson
from aiohttp import web

from shim.faces import http
from shim.faces.v3 import render
from shim.faces.v3.clusters import cluster_json
from shim.faces.v3.features import feature_json
from shim.faces.v3.settings import setting_json
from shim.faces.web import pages
from shim.faces.web.apiview import writable_fields
from shim.faces.web.expiry import choices
from shim.faces.web.forms import Form, fields_for
from shim.keys import CONFIG
from shim.settings_catalog import MAX_TTL, SETTINGS
from shim.store.base import TokenQuery

TOKEN_HASHING = "token-hashing"


def routes(prefix: str) -> list[web.RouteDef]:
    return [
        web.get(f"{prefix}/", index),
        web.get(f"{prefix}/keys", keys),
        web.get(f"{prefix}/clusters", clusters),
        web.get(f"{prefix}/settings", settings),
        web.get(f"{prefix}/hashing", hashing),
        web.get(f"{prefix}/users", users),
    ]


async def index(request: web.Request) -> web.Response:
    http.principal(request)
    raise web.HTTPFound("/dashboard/keys")


async def keys(request: web.Request) -> web.Response:
    actor, now = http.principal(request), http.now(request)
    core = http.core(request)
    found = await core.tokens.list(actor, TokenQuery(now=now, user_id=actor.user.id, kind="api"))
    rows = [render.token(request, t, now) for t in found]
    max_minutes = core.settings.minutes(MAX_TTL)
    return pages.render(request, "keys.html", title="API Keys", keys=rows,
                        expiry=choices(max_minutes), max_minutes=max_minutes,
                        clusters=request.app[CONFIG].clusters,
                        create_url=f"{render.base_url(request)}/v3/tokens",
                        state=_state)


def _state(token: dict) -> str:
    if not token["enabled"]:
        return "disabled"
    return "expired" if token["expired"] else "active"


async def clusters(request: web.Request) -> web.Response:
    http.principal(request)
    rows = [cluster_json(request, c) for c in request.app[CONFIG].clusters]
    return pages.render(request, "clusters.html", title="Clusters", clusters=rows)


async def settings(request: web.Request) -> web.Response:
    http.require_admin(request, "see the settings page")
    rows = [_setting(request, name) for name in SETTINGS]
    return pages.render(request, "settings.html", title="Settings", settings=rows)


def _setting(request: web.Request, name: str) -> dict:
    shown = setting_json(request, name)
    update = shown["links"].get("update")
    form = None
    if update:
        fields = tuple(replace(f, label=f"New value of {name}") for f in
                       fields_for(writable_fields(request, "setting", "update"), "update", shown))
        form = Form(f"setting-{name}", name, "PUT", update, fields, after="reload",
                    submit="Save", omit_empty=False)
    reason = "" if update else (
        f"pinned by the server's configuration ({_env(name)} or pinned_settings); "
        "change it there and restart")
    return {"setting": shown, "form": form, "reason": reason}


def _env(name: str) -> str:
    return "CATTLE_" + name.upper().replace("-", "_")


async def hashing(request: web.Request) -> web.Response:
    http.require_admin(request, "see the token hashing page")
    feature = feature_json(request, TOKEN_HASHING)
    return pages.render(request, "hashing.html", title="Token hashing", feature=feature,
                        url=feature["links"].get("update"))


async def users(request: web.Request) -> web.Response:
    actor = http.require_admin(request, "see the users page")
    found = await http.core(request).users.list(actor)
    base = render.base_url(request)
    create = Form("create-user", "Create user", "POST", f"{base}/v3/users",
                  fields_for(writable_fields(request, "user", "create"), "create"),
                  after="reload",
                  submit="Create")
    rows = [render.user(request, u) for u in found]
    return pages.render(request, "users.html", title="Users", users=rows, create=create,
                        me=actor.user.id)


def error_page(request: web.Request, response: web.Response) -> web.Response:
    body = orjson.loads(response.body)
    return pages.render(request, "error.html", response.status, title=f"{response.status}",
                        status_code=response.status, error=body)
