"""Core records as Rancher v3 JSON objects and collections."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from shim import origin, policy
from shim.keys import CATALOG, CORE, PRINCIPAL
from shim.store.base import Token, User

USER_ID_LABEL = "authn.management.cattle.io/token-userId"
KIND_LABEL = "authn.management.cattle.io/kind"


def base_url(request: web.Request) -> str:
    """The configured public URL, else the request's scheme and (checked) Host."""
    return origin.base_url(request)


def is_admin(request: web.Request) -> bool:
    found = request.get(PRINCIPAL)
    return found is not None and found.is_admin


def links(request: web.Request, type_name: str, object_id: str, *, update: bool = True) -> dict:
    """`self`, plus `update` and `remove` where the caller may PUT / DELETE (the table says)."""
    catalog, admin = request.app[CATALOG], is_admin(request)
    self_url = f"{base_url(request)}/v3/{catalog.plural(type_name)}/{object_id}"
    found = {"self": self_url}
    if catalog.may(type_name, "delete", admin):
        found["remove"] = self_url
    if update and catalog.may(type_name, "put", admin):
        found["update"] = self_url
    return found


def actions(request: web.Request, type_name: str, object_id: str) -> dict[str, str]:
    """The resource actions the caller may invoke on this object."""
    catalog, admin = request.app[CATALOG], is_admin(request)
    self_url = f"{base_url(request)}/v3/{catalog.plural(type_name)}/{object_id}"
    return {a.name: f"{self_url}?action={a.name}"
            for a in catalog.actions(type_name, admin, collection=False)}


def token(request: web.Request, t: Token, now: int, current_id: str = "") -> dict[str, Any]:
    labels = {USER_ID_LABEL: t.user_id}
    if t.kind != "api":
        labels[KIND_LABEL] = t.kind
    return {
        "id": t.id,
        "name": t.id,
        "type": "token",
        "baseType": "token",
        "kind": t.kind,
        "userId": t.user_id,
        "description": t.description,
        "ttl": t.ttl,
        "expiresAt": policy.rfc3339(t.expires),
        "expired": expired(request, t, now),
        "enabled": t.enabled,
        "current": t.id == current_id and not t.is_derived,
        "isDerived": t.is_derived,
        "clusterId": t.cluster_id or None,
        "authProvider": t.auth_provider,
        "userPrincipal": f"{t.auth_provider}://{t.user_id}",
        "groupPrincipals": [],
        "providerInfo": {},
        "created": policy.rfc3339(t.created),
        "createdTS": t.created,
        "lastUsedAt": policy.rfc3339(t.last_used) or None,
        "activityLastSeenAt": policy.rfc3339(t.last_activity) or None,
        "uuid": t.uuid,
        "labels": t.labels | labels,
        "annotations": t.annotations,
        "links": links(request, "token", t.id),
    }


def expired(request: web.Request, t: Token, now: int) -> bool:
    """As authentication judges it: sessions also end by the session and idle settings."""
    return not request.app[CORE].auth.alive(t, now)


_TOKEN_JSON: dict[str, tuple[Token, tuple, bytes]] = {}  # token id -> (row, inputs, JSON)
_TOKEN_JSON_MAX = 4096


def token_json(request: web.Request, t: Token, now: int, current_id: str = "") -> bytes:
    """`token(...)` as JSON bytes, kept per row object: a hot token is rendered once.

    The output depends on the row and on three inputs besides it (base URL,
    expired, current), which are part of the key. Rows are immutable and the
    store hands out the same object until the row changes, so the identity
    check is exact; a changed row is a new object and renders afresh.
    """
    inputs = (base_url(request), expired(request, t, now),
              t.id == current_id and not t.is_derived)
    kept = _TOKEN_JSON.get(t.id)
    if kept is not None and kept[0] is t and kept[1] == inputs:
        return kept[2]
    body = orjson.dumps(token(request, t, now, current_id), option=orjson.OPT_APPEND_NEWLINE)
    if len(_TOKEN_JSON) >= _TOKEN_JSON_MAX:
        _TOKEN_JSON.clear()
    _TOKEN_JSON[t.id] = (t, inputs, body)
    return body


def user(request: web.Request, u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "name": u.name,
        "type": "user",
        "baseType": "user",
        "username": u.username,
        "enabled": u.enabled,
        "role": u.role,
        "principalIds": [f"local://{u.id}"],
        "mustChangePassword": u.must_change_password,
        "created": policy.rfc3339(u.created),
        "createdTS": u.created,
        "links": links(request, "user", u.id),
        "actions": actions(request, "user", u.id),
    }


def collection(
    request: web.Request, resource: str, data: list[dict], *, limit: int | None = None,
    next_url: str | None = None, filters: dict | None = None, plural: str | None = None,
) -> dict[str, Any]:
    """Norman's collection envelope; createTypes and actions follow the caller's rights."""
    base, admin = base_url(request), is_admin(request)
    catalog = request.app[CATALOG]
    known = resource in catalog.resource_types()
    collection_url = f"{base}/v3/{plural or catalog.plural(resource)}" if known else ""
    pagination: dict[str, Any] = {"limit": limit if limit is not None else 1000}  # Norman's
    if next_url:
        pagination["next"] = next_url
        pagination["partial"] = True
    creates = known and catalog.may(resource, "post", admin, collection=True)
    actions = catalog.actions(resource, admin, collection=True) if known else []
    names = catalog.filters(resource) if known else ()
    given = filters or {}
    return {
        "type": "collection",
        "links": {"self": f"{base}{request.path}"},
        "createTypes": {resource: collection_url} if creates else {},
        "actions": {a.name: f"{collection_url}?action={a.name}" for a in actions},
        "pagination": pagination,
        "sort": {"order": "asc", "name": "id",
                 "reverse": f"{base}{request.url.update_query(order='desc').path_qs}",
                 "links": {}},
        "filters": {name: _condition(given.get(name)) for name in names},
        "resourceType": resource,
        "data": data,
    }


def _condition(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    shown = str(value).lower() if isinstance(value, bool) else value
    return [{"modifier": "eq", "value": shown}]
