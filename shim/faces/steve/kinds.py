"""The types served on /v1, one entry each: identity, who may do what, and how each verb
is answered from the core. Rendering is shapes.py's; routing is __init__.py's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Awaitable, Callable

from aiohttp import web

from shim import policy
from shim.errors import not_found
from shim.faces import http
from shim.faces.kube.tokens import desired, token_object
from shim.faces.steve import settings as steve_settings
from shim.faces.steve.shapes import resource
from shim.keys import CONFIG, PRINCIPAL

Lister = Callable[[web.Request], Awaitable[list[dict]]]
Writer = Callable[..., Awaitable[dict]]
PREFERENCES_DOC = "steve-userpreference"  # one stored document per user


@dataclass(frozen=True)
class Kind:
    id: str  # the schema id, e.g. management.cattle.io.setting
    plural: str  # the collection's URL name
    group: str
    version: str
    kind: str
    list: Lister | None = None
    create: Writer | None = None  # (request, body) -> resource
    update: Writer | None = None  # (request, id, body) -> resource
    delete: Writer | None = None  # (request, id) -> resource
    anonymous: bool = False  # listed and read without logging in
    admin_writes: bool = False  # only admins may update (others: anyone logged in)

    @property
    def resource(self) -> str:
        return self.plural.rsplit(".", 1)[-1]

    def methods(self, admin: bool) -> tuple[list[str], list[str]]:
        """(collectionMethods, resourceMethods) for this caller."""
        collection = ["GET"] * (self.list is not None) + ["POST"] * (self.create is not None)
        writes = admin or not self.admin_writes
        item = ["GET"] * (self.list is not None) + ["PUT"] * (self.update is not None and writes)
        return collection, item + ["DELETE"] * (self.delete is not None)


def _admin(request: web.Request) -> bool:
    found = request.get(PRINCIPAL)
    return found is not None and found.is_admin


# -------------------------------------------------------------- settings

async def _settings(request: web.Request) -> list[dict]:
    admin = _admin(request)
    return [resource(request, SETTING, name, {
        "apiVersion": "management.cattle.io/v3", "kind": "Setting", "value": value,
        "default": default, "customized": source == "db", "source": source,
    }, update=admin and steve_settings.writable(name))
        for name, (value, default, source) in sorted((await steve_settings.values(request)).items())]


async def _update_setting(request: web.Request, name: str, body: dict) -> dict:
    await steve_settings.update(request, name, body)
    return await one(request, SETTING, name)


# -------------------------------------------------------------- clusters, users, features

async def _clusters(request: web.Request) -> list[dict]:
    http.principal(request)
    return [resource(request, CLUSTER, cid, {
        "apiVersion": "management.cattle.io/v3", "kind": "Cluster",
        "spec": {"displayName": cid, "internal": cid == "local"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "driver": "imported", "provider": "token-shim"},
    }) for cid in request.app[CONFIG].clusters]


async def _users(request: web.Request) -> list[dict]:
    actor = http.principal(request)
    return [resource(request, USER, u.id, {
        "apiVersion": "management.cattle.io/v3", "kind": "User", "username": u.username,
        "displayName": u.name or u.username, "enabled": u.enabled,
        "mustChangePassword": u.must_change_password, "principalIds": [f"local://{u.id}"],
        "metadata": {"creationTimestamp": policy.rfc3339(u.created)},
    }) for u in await http.core(request).users.list(actor)]


async def _features(request: web.Request) -> list[dict]:
    http.principal(request)
    features = http.core(request).features
    return [resource(request, FEATURE, name, {
        "apiVersion": "management.cattle.io/v3", "kind": "Feature",
        "spec": {"value": features.stored(name)},
        "status": {"default": features.defaults[name], "dynamic": True,
                   "lockedValue": True if features.locked(name) else None},
    }) for name in features.names()]


async def _projects(request: web.Request) -> list[dict]:
    http.principal(request)
    return []  # the schema tells the dashboard it talks to Rancher; no projects here


# -------------------------------------------------------------- ext.cattle.io

async def _selfuser(request: web.Request, body: dict) -> dict:
    actor = http.principal(request)
    return {"apiVersion": "ext.cattle.io/v1", "kind": "SelfUser", "type": SELFUSER.id,
            "metadata": {}, "status": {"userID": actor.user.id}}


def _token(request: web.Request, obj: dict) -> dict:
    return resource(request, EXT_TOKEN, obj["metadata"]["name"], obj, update=True, remove=True)


async def _ext_tokens(request: web.Request) -> list[dict]:
    actor, now, core = http.principal(request), http.now(request), http.core(request)
    return [_token(request, token_object(t, actor, now)) for t in await core.ext_tokens.list(actor, now)]


async def _create_ext_token(request: web.Request, body: dict) -> dict:
    actor, now = http.principal(request), http.now(request)
    new = await http.core(request).ext_tokens.create(actor, desired(body), now)
    return _token(request, token_object(new.token, actor, now, actor.user, new.value, new.bearer))


async def _delete_ext_token(request: web.Request, name: str) -> dict:
    actor, now = http.principal(request), http.now(request)
    token = await http.core(request).ext_tokens.delete(actor, name)
    return _token(request, token_object(token, actor, now))


# -------------------------------------------------------------- userpreferences, counts

async def _preferences(request: web.Request) -> list[dict]:
    actor = http.principal(request)
    raw = await http.core(request).store.get_doc(PREFERENCES_DOC, actor.user.id)
    data = json.loads(raw) if raw else {}
    return [resource(request, PREFERENCE, actor.user.id, {"data": data}, update=True)]


async def _put_preferences(request: web.Request, pref_id: str, body: dict) -> dict:
    actor = http.principal(request)
    if pref_id != actor.user.id:
        raise not_found(f"userpreference {pref_id} not found")
    data = {str(k): v for k, v in (body.get("data") or {}).items()}
    doc = json.dumps(data)
    await http.core(request).store.put_settings({}, {(PREFERENCES_DOC, actor.user.id): doc})
    return (await _preferences(request))[0]


async def _counts(request: web.Request) -> list[dict]:
    counts = {}
    for kind in ALL:
        if kind.list is not None and kind is not COUNT:
            counts[kind.id] = {"summary": {"count": len(await kind.list(request))},
                               "namespaces": {}}
    return [resource(request, COUNT, "count", {"counts": counts})]


async def one(request: web.Request, kind: Kind, obj_id: str) -> dict:
    for found in await kind.list(request):
        if found["id"] == obj_id:
            return found
    raise not_found(f"{kind.id} {obj_id} not found")


MGMT = ("management.cattle.io", "v3")
EXT = ("ext.cattle.io", "v1")
SETTING = Kind("management.cattle.io.setting", "management.cattle.io.settings", *MGMT, "Setting",
               list=_settings, update=_update_setting, anonymous=True, admin_writes=True)
CLUSTER = Kind("management.cattle.io.cluster", "management.cattle.io.clusters", *MGMT, "Cluster",
               list=_clusters)
USER = Kind("management.cattle.io.user", "management.cattle.io.users", *MGMT, "User",
            list=_users)
FEATURE = Kind("management.cattle.io.feature", "management.cattle.io.features", *MGMT, "Feature",
               list=_features)
PROJECT = Kind("management.cattle.io.project", "management.cattle.io.projects", *MGMT, "Project",
               list=_projects)
SELFUSER = Kind("ext.cattle.io.selfuser", "ext.cattle.io.selfusers", *EXT, "SelfUser",
                create=_selfuser)
EXT_TOKEN = Kind("ext.cattle.io.token", "ext.cattle.io.tokens", *EXT, "Token",
                 list=_ext_tokens, create=_create_ext_token, delete=_delete_ext_token)
PREFERENCE = Kind("userpreference", "userpreferences", "", "v1", "UserPreference",
                  list=_preferences, update=_put_preferences)
COUNT = Kind("count", "counts", "", "v1", "Count", list=_counts)

ALL = (SETTING, CLUSTER, USER, FEATURE, PROJECT, SELFUSER, EXT_TOKEN, PREFERENCE, COUNT)
# A URL may name a type by its schema id or its plural, as Steve's router allows.
KINDS: dict[str, Kind] = {k.id: k for k in ALL} | {k.plural: k for k in ALL}
