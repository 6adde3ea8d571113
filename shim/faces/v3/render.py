"""Core records as Rancher v3 JSON objects and collections."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shim import policy
from shim.keys import CONFIG
from shim.store.base import Token, User

USER_ID_LABEL = "authn.management.cattle.io/token-userId"
KIND_LABEL = "authn.management.cattle.io/kind"


def base_url(request: web.Request) -> str:
    configured = request.app[CONFIG].public_url
    return (configured or f"{request.scheme}://{request.host}").rstrip("/")


def links(request: web.Request, collection: str, object_id: str, *, update: bool = True) -> dict:
    self_url = f"{base_url(request)}/v3/{collection}/{object_id}"
    found = {"self": self_url, "remove": self_url}
    if update:
        found["update"] = self_url
    return found


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
        "expired": policy.is_expired(t.created, t.ttl, now),
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
        "labels": labels,
        "annotations": {},
        "links": links(request, "tokens", t.id),
    }


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
        "mustChangePassword": False,
        "created": policy.rfc3339(u.created),
        "createdTS": u.created,
        "links": links(request, "users", u.id),
        "actions": {"setpassword": f"{base_url(request)}/v3/users/{u.id}?action=setpassword"},
    }


def collection(
    request: web.Request, resource: str, data: list[dict], *, limit: int | None = None,
    next_url: str | None = None, filters: dict | None = None,
) -> dict[str, Any]:
    base = base_url(request)
    pagination: dict[str, Any] = {"limit": limit} if limit is not None else {}
    if next_url:
        pagination["next"] = next_url
        pagination["partial"] = True
    return {
        "type": "collection",
        "resourceType": resource,
        "links": {"self": f"{base}{request.path_qs}"},
        "createTypes": {resource: f"{base}/v3/{resource}s"},
        "actions": {},
        "pagination": pagination,
        "sort": {"order": "asc", "name": "id"},
        "filters": filters or {},
        "data": data,
    }
