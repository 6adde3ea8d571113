"""Steve's (`/v1`) JSON shapes: collections, resources and schemas (rancher/apiserver's)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from shim.faces.v3.render import base_url

DEFAULT_LIMIT = 100000  # Steve's answer when no `limit` is given: everything
STATE = {"name": "active", "error": False, "transitioning": False, "message": ""}


def url(request: web.Request, *parts: str) -> str:
    return "/".join((f"{base_url(request)}/v1", *parts))


def resource(request: web.Request, kind: Any, obj_id: str, body: dict, *,
             update: bool = False, remove: bool = False) -> dict:
    """`{id, type, links, …body}`; `update`/`remove` links only where the caller may."""
    self_url = url(request, kind.plural, obj_id)
    links = {"self": self_url, "view": self_url}
    if update:
        links["update"] = self_url
    if remove:
        links["remove"] = self_url
    metadata = {"name": obj_id, "state": STATE} | body.get("metadata", {})
    return {"id": obj_id, "type": kind.id, "links": links} | body | {"metadata": metadata}


def collection(request: web.Request, kind: Any, data: list[dict], *, creates: bool,
               revision: str) -> dict:
    """One page of `data`: `limit` and `continue` (an offset here) as Steve reads them."""
    limit = _int(request.query.get("limit"), DEFAULT_LIMIT)
    start = _int(request.query.get("continue"), 0)
    page = data[start:start + limit] if limit > 0 else data[start:]
    found: dict[str, Any] = {
        "type": "collection", "links": {"self": url(request, kind.plural)},
        "createTypes": {kind.id: url(request, kind.plural)} if creates else {},
        "actions": {}, "resourceType": kind.id, "revision": revision, "count": len(data),
        "data": page,
    }
    if 0 < limit and start + limit < len(data):
        next_url = URL(str(request.url)).update_query({"continue": str(start + limit)})
        found["continue"] = str(start + limit)
        found["pagination"] = {"limit": limit, "first": url(request, kind.plural),
                               "next": str(base_url(request) + next_url.path_qs),
                               "partial": True}
    return found


def schema(request: web.Request, kind: Any, *, collection_methods: list[str],
           resource_methods: list[str]) -> dict:
    """The dashboard decides "can list" from `links.collection` alone."""
    links = {"self": url(request, "schemas", kind.id)}
    if "GET" in collection_methods:
        links["collection"] = url(request, kind.plural)
    verbs = ["get", "list", "watch"] * ("GET" in collection_methods) + [
        v for m, v in (("POST", "create"), ("PUT", "update"), ("PATCH", "patch"),
                       ("DELETE", "delete")) if m in collection_methods + resource_methods]
    return {
        "id": kind.id, "type": "schema", "links": links, "pluralName": kind.plural,
        "collectionMethods": collection_methods, "resourceMethods": resource_methods,
        "resourceFields": {}, "actions": {}, "resourceActions": {}, "collectionActions": {},
        "attributes": {"group": kind.group, "version": kind.version, "kind": kind.kind,
                       "resource": kind.resource, "namespaced": False, "verbs": verbs},
    }


def _int(raw: str | None, default: int) -> int:
    if raw is None or not raw.lstrip("-").isdigit() or len(raw) > 12:
        return default
    return int(raw)
