"""/v3/tokens: list, create, read, update, delete, logout and logoutAll."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from shim.audit import audited
from shim.core.tokens import KINDS
from shim.errors import ApiError, invalid_field
from shim.faces import http
from shim.faces.v3 import render
from shim.store.base import TokenQuery

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1000
_BOOLS = {"true": True, "false": False}


async def list_tokens(request: web.Request) -> web.Response:
    actor, now = http.principal(request), http.now(request)
    query, filters = token_query(request, now)
    found = await http.core(request).tokens.list(actor, query)
    size = query.limit - 1
    page, more = found[:size], len(found) > size
    data = [render.token(request, t, now, actor.token.id) for t in page]
    next_url = _next_url(request, page[-1].id) if more else None
    body = render.collection(request, "token", data, limit=size, next_url=next_url, filters=filters)
    return http.respond(body)


def token_query(request: web.Request, now: int) -> tuple[TokenQuery, dict]:
    """Filters and paging from the query string; asks the store for one extra row."""
    q = request.query
    limit = _int_param(q, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    filters = {
        "userId": q.get("userId"),
        "description": q.get("description"),
        "ttl": _int_param(q, "ttl", None, 0, None),
        "kind": _choice(q, "kind", KINDS),
        "enabled": _bool_param(q, "enabled"),
        "expired": _bool_param(q, "expired"),
        "clusterId": q.get("clusterId"),
    }
    query = TokenQuery(
        now=now, user_id=filters["userId"], description=filters["description"],
        ttl=filters["ttl"], kind=filters["kind"], enabled=filters["enabled"],
        expired=filters["expired"], cluster_id=filters["clusterId"],
        after=_marker(q.get("marker")), limit=limit + 1,
    )
    return query, {k: v for k, v in filters.items() if v is not None}


@audited("token.create", "kind", "userId", "ttl",
         actions={"logout": "token.logout", "logoutAll": "token.logoutAll"})
async def create_token(request: web.Request) -> web.Response:
    action = request.query.get("action")
    if action is not None:
        return await _action(request, action)
    body = await http.read_json(request, "v3/token-create")
    actor, now = http.principal(request), http.now(request)
    new = await http.core(request).tokens.create(
        actor, now, description=body.get("description", ""), ttl=int(body.get("ttl", 0)),
        cluster_id=body.get("clusterId"), user_id=body.get("userId"),
        kind=body.get("kind", "api"), enabled=body.get("enabled", True),
        labels=body.get("labels"), annotations=body.get("annotations"),
    )
    shown = render.token(request, new.token, now, actor.token.id) | {"token": new.bearer}
    return http.respond(shown, status=201, headers=http.etag(new.token.version))


async def _action(request: web.Request, action: str) -> web.Response:
    tokens, actor = http.core(request).tokens, http.principal(request)
    if action == "logout":
        await tokens.logout(actor)
    elif action == "logoutAll":
        await tokens.logout_all(actor)
    else:
        raise ApiError(404, "ActionNotAvailable", f"action {action} not available on tokens")
    response = http.respond({})
    response.del_cookie("R_SESS", path="/")
    return response


async def get_token(request: web.Request) -> web.Response:
    actor, now = http.principal(request), http.now(request)
    token = await http.core(request).tokens.get(actor, request.match_info["id"])
    shown = render.token_json(request, token, now, actor.token.id)
    http.replayable(request, token, now)
    return http.respond_json(shown, headers=http.etag(token.version))


@audited("token.update", "enabled", "ttl")
async def update_token(request: web.Request) -> web.Response:
    body = await http.read_json(request, "v3/token-update")
    actor, now = http.principal(request), http.now(request)
    token = await http.core(request).tokens.update(
        actor, request.match_info["id"], body, now, expected_version=http.if_match(request)
    )
    shown = render.token(request, token, now, actor.token.id)
    return http.respond(shown, headers=http.etag(token.version))


@audited("token.delete")
async def delete_token(request: web.Request) -> web.Response:
    await http.core(request).tokens.delete(
        http.principal(request), request.match_info["id"], expected_version=http.if_match(request)
    )
    return http.no_content()


def _next_url(request: web.Request, last_id: str) -> str:
    marker = base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")
    url = request.url.update_query(marker=marker)
    return f"{render.base_url(request)}{url.path_qs}"


def _marker(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_field("marker", value, "is not a marker from pagination.next") from None


def _int_param(q, name: str, default: int | None, low: int, high: int | None) -> int | None:
    raw = q.get(name)
    if raw is None:
        return default
    # ASCII digits only ("²".isdigit() is true), and few enough for a 64-bit column
    digits = raw.isascii() and raw.isdigit() and len(raw) <= 18
    if not digits or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise invalid_field(name, raw, f"must be a whole number {bound}")
    return int(raw)


def _bool_param(q, name: str) -> bool | None:
    raw = q.get(name)
    if raw is None:
        return None
    if raw not in _BOOLS:
        raise invalid_field(name, raw, "must be true or false")
    return _BOOLS[raw]


def _choice(q, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = q.get(name)
    if raw is not None and raw not in allowed:
        raise invalid_field(name, raw, f"must be one of {', '.join(allowed)}")
    return raw
