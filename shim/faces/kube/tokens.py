"""`tokens.ext.cattle.io`: Rancher 2.13's Token object over the shared token store.

Beyond Rancher (see docs/kubectl.md): a given metadata.name is kept (declarative
tokens; names are per user, see shim/core/ext_tokens.py), `status.hash` is never shown, `metadata.resourceVersion` is honoured (409),
using a token does not change its resourceVersion, and selectors never widen the
owner filter.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from aiohttp import web

from shim import policy
from shim.core import ext_tokens as ext
from shim.core.principal import Principal
from shim.errors import ApiError
from shim.faces import http
from shim.faces.kube import errors
from shim.faces.kube.humanize import human_duration
from shim.faces.kube.resource import Desire, Object, column
from shim.store.base import Token, User

API_VERSION = "ext.cattle.io/v1"
_OWNERS = web.RequestKey("kube_token_owners", dict)


def token_object(token: Token, actor: Principal, now: int, owner: User | None = None,
                 value: str = "", bearer: str = "") -> Object:
    meta = ext.meta_of(token)
    ttl = token.ttl_requested
    metadata: Object = {
        "name": ext.address(token, actor.user.id), "uid": token.uuid, "resourceVersion": str(token.version),
        "creationTimestamp": policy.rfc3339(token.created), "labels": ext.labels_of(token, meta),
    }
    if meta.annotations:
        metadata["annotations"] = meta.annotations
    spec: Object = {"userID": token.user_id, "userPrincipal": _principal(token, actor, owner),
                    "kind": meta.kind}
    if token.description:
        spec["description"] = token.description
    spec |= {"ttl": ttl, "enabled": token.enabled}
    if token.cluster_id:
        spec["clusterName"] = token.cluster_id
    status: Object = {}
    if value:
        status |= {"value": value, "bearerToken": bearer}
    status |= {
        "current": token.id == actor.token.id,
        # As authentication judges it (ext tokens are never store sessions).
        "expired": token.expired_at is not None or policy.is_expired(token.created, token.ttl, now),
        "expiresAt": policy.rfc3339(token.created + ttl) if ttl >= 0 else "",
        "lastUpdateTime": policy.rfc3339(meta.updated),
    }
    if token.last_used:
        status["lastUsedAt"] = policy.rfc3339(token.last_used)
    if token.last_activity:
        status["lastActivitySeen"] = policy.rfc3339(token.last_activity)
    return {"apiVersion": API_VERSION, "kind": "Token", "metadata": metadata, "spec": spec,
            "status": status}


def _principal(token: Token, actor: Principal, owner: User | None) -> Object:
    owner = owner or (actor.user if actor.user.id == token.user_id else None)
    found: Object = {"name": ext.principal_name(token.user_id)}
    if owner is not None:
        found |= {"displayName": owner.name or owner.username, "loginName": owner.username}
    return found | {"principalType": "user", "me": token.user_id == actor.user.id,
                    "provider": token.auth_provider}


def desired(obj: Object) -> ext.Desired:
    """What the rules read from a whole Token object (a body, or a patched object)."""
    metadata, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    principal = spec.get("userPrincipal")
    return ext.Desired(
        name=metadata.get("name"), uid=metadata.get("uid"),
        resource_version=metadata.get("resourceVersion"),
        labels=metadata.get("labels") or {}, annotations=metadata.get("annotations") or {},
        user_id=spec.get("userID"), kind=spec.get("kind"),
        principal_name=principal.get("name") if isinstance(principal, dict) else None,
        description=spec.get("description") or "", ttl=spec.get("ttl"),
        enabled=spec.get("enabled") is not False, cluster=spec.get("clusterName"),
    )


class Tokens:
    """The verbs of tokens.ext.cattle.io."""

    columns = [
        column("User", "The user owning the token", priority=1),
        column("Kind", "The kind of the token: session, or empty for a derived token"),
        column("TTL", "The time-to-live of the token"),
        column("Age", "The age of the token"),
        column("Description", "A human readable description of the token", priority=1),
    ]

    resource: Any = None  # the table's Resource, for the Status details of errors

    def cells(self, request: web.Request, obj: Object) -> list[Any]:
        created = _ms(obj["metadata"]["creationTimestamp"])
        spec = obj["spec"]
        return [spec["userID"], spec["kind"], human_duration(spec["ttl"]),
                human_duration(http.now(request) - created), spec.get("description", "")]

    async def list(self, request: web.Request) -> list[Object]:
        actor, now = http.principal(request), http.now(request)
        tokens = await http.core(request).ext_tokens.list(actor, now)
        users = await _owners(request)
        return [token_object(t, actor, now, users.get(t.user_id)) for t in tokens]

    async def page(self, request: web.Request, after: str | None, size: int) -> list[Object]:
        actor, now = http.principal(request), http.now(request)
        tokens = await http.core(request).ext_tokens.page(actor, now, after, size)
        users = await _owners(request)
        return [token_object(t, actor, now, users.get(t.user_id)) for t in tokens]

    async def count_after(self, request: web.Request, after: str) -> int | None:
        actor, now = http.principal(request), http.now(request)
        return await http.core(request).ext_tokens.count_after(actor, now, after)

    async def get(self, request: web.Request, name: str) -> Object:
        actor = http.principal(request)
        token = await self._call(http.core(request).ext_tokens.get(actor, name), name)
        return await self._render(request, token)

    async def create(self, request: web.Request, obj: Object, dry_run: bool) -> Object:
        actor, now = http.principal(request), http.now(request)
        want = desired(obj)
        new = await self._call(
            http.core(request).ext_tokens.create(actor, want, now, dry_run=dry_run), want.name)
        return token_object(new.token, actor, now, actor.user, new.value, new.bearer)

    async def update(self, request: web.Request, name: str, desire: Desire,
                     dry_run: bool) -> Object:
        actor, now = http.principal(request), http.now(request)
        core = http.core(request)
        owners: dict[str, User | None] = {}

        def want(token: Token) -> ext.Desired:
            return desired(desire(token_object(token, actor, now, owners.get(token.user_id))))

        current = await self._call(core.ext_tokens.get(actor, name), name)
        owners[current.user_id] = await core.store.get_user(current.user_id)
        token = await self._call(
            core.ext_tokens.update(actor, name, now, want, dry_run=dry_run), name)
        return token_object(token, actor, now, owners.get(token.user_id))

    async def delete(self, request: web.Request, name: str, dry_run: bool) -> Object:
        actor = http.principal(request)
        token = await self._call(
            http.core(request).ext_tokens.delete(actor, name, dry_run=dry_run), name)
        return await self._render(request, token)

    async def delete_collection(self, request: web.Request, objs: list[Object],
                                dry_run: bool) -> list[Object]:
        actor, core = http.principal(request), http.core(request)
        deleted = await self._call(core.ext_tokens.delete_collection(
            actor, [o["metadata"]["name"] for o in objs], dry_run=dry_run), None)
        names = {ext.address(t, actor.user.id) for t in deleted}
        return [o for o in objs if o["metadata"]["name"] in names]

    async def _render(self, request: web.Request, token: Token) -> Object:
        actor, now = http.principal(request), http.now(request)
        owner = await http.core(request).store.get_user(token.user_id)
        return token_object(token, actor, now, owner)

    async def _call(self, pending, name: str | None):
        try:
            return await pending
        except ApiError as err:
            raise errors.with_subject(err, self.resource, name) from None


async def _owners(request: web.Request) -> dict[str, User]:
    """Every user by id for an admin's list (read once per request), else none."""
    if not http.principal(request).is_admin:
        return {}
    if _OWNERS not in request:
        request[_OWNERS] = {u.id: u for u in await http.core(request).store.list_users()}
    return request[_OWNERS]


def _ms(stamp: str) -> int:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) * 1000
