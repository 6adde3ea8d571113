"""The v3 API view: a /v3 answer as an HTML page for a browser (Norman's "API UI").

The JSON is shown as is (links clickable); the buttons follow the envelope: `links.update`
→ Edit, `links.remove` → Delete, `actions` → one form each, a collection's `createTypes`
→ Create. Forms come from the type's Norman schema (GET /v3/schemas/{type}).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from shim.faces.v3.norman import resource_fields
from shim.faces.v3.render import base_url, is_admin
from shim.faces.web import pages
from shim.faces.web.forms import Form, fields_for
from shim.faces.web.jsonhtml import to_html
from shim.keys import CATALOG


def page(request: web.Request, response: web.Response) -> web.Response:
    body = orjson.loads(response.body)
    base = base_url(request)
    forms = _forms(request, body, base) if isinstance(body, dict) and response.status < 400 else []
    title = _title(body, request.path)
    html = pages.render(request, "api.html", response.status, title=title,
                        status_code=response.status,
                        error=body if _is_error(body) else None, json=to_html(body, base),
                        forms=forms, remove=_remove(body), up=_up(request.path),
                        filters=_filters(body),
                        json_url=request.url.update_query(_format="json").path_qs)
    for name in ("X-API-Schemas", "ETag"):
        if name in response.headers:
            html.headers[name] = response.headers[name]
    return html


def _is_error(body: Any) -> bool:
    return isinstance(body, dict) and body.get("type") == "error"


def _title(body: Any, path: str) -> str:
    if isinstance(body, dict) and body.get("type") == "collection":
        return f"{body.get('resourceType', '')} collection"
    if isinstance(body, dict) and body.get("id"):
        return f"{body.get('type', '')} {body['id']}"
    return path


def _up(path: str) -> str:
    parent = path.rstrip("/").rsplit("/", 1)[0]
    return parent or "/v3"


def _filters(body: Any) -> dict[str, str]:
    """A collection's filters and their current values (for a GET form)."""
    if not isinstance(body, dict) or body.get("type") != "collection":
        return {}
    found = {}
    for name, conditions in (body.get("filters") or {}).items():
        found[name] = str(conditions[0].get("value", "")) if conditions else ""
    return found


def _remove(body: Any) -> dict[str, str] | None:
    if not isinstance(body, dict):
        return None
    url = (body.get("links") or {}).get("remove")
    if not url:
        return None
    return {"url": url, "what": f"{body.get('type', 'object')} {body.get('id', '')}".strip()}


def _schema(request: web.Request, type_name: str, base: str) -> dict[str, Any] | None:
    catalog = request.app[CATALOG]
    if type_name not in catalog.types:
        return None
    return catalog.schema(type_name, base, is_admin(request))


def writable_fields(request: web.Request, type_name: str, use: str) -> dict[str, Any]:
    """The type's resourceFields, plus what only its create/update body declares (a user's
    password is written, never shown)."""
    catalog = request.app[CATALOG]
    found = dict(catalog.schema(type_name, base_url(request), is_admin(request))["resourceFields"])
    create, update = catalog.bodies(type_name)
    body = create if use == "create" else update
    if body:
        for name, spec in resource_fields(body, create, update).items():
            found.setdefault(name, spec)
    return found


def _forms(request: web.Request, body: dict[str, Any], base: str) -> list[Form]:
    if body.get("type") == "collection":
        return _collection_forms(request, body, base)
    type_name = body.get("type", "")
    schema = _schema(request, type_name, base)
    if schema is None:
        return []
    found = []
    update = (body.get("links") or {}).get("update")
    if update:
        fields = fields_for(writable_fields(request, type_name, "update"), "update", body)
        found.append(Form("edit", "Edit", "PUT", update, fields, after="reload",
                          submit="Save", omit_empty=False))
    found += _action_forms(request, schema, body.get("actions") or {}, "resourceActions", base)
    return found


def _collection_forms(request: web.Request, body: dict[str, Any], base: str) -> list[Form]:
    found = []
    for type_name, url in (body.get("createTypes") or {}).items():
        schema = _schema(request, type_name, base)
        if schema and url:
            fields = fields_for(writable_fields(request, type_name, "create"), "create")
            found.append(Form("create", f"Create {type_name}", "POST", url, fields))
    schema = _schema(request, body.get("resourceType", ""), base)
    if schema:
        found += _action_forms(request, schema, body.get("actions") or {}, "collectionActions",
                               base)
    return found


def _action_forms(request: web.Request, schema: dict[str, Any], actions: dict[str, str],
                  key: str, base: str) -> list[Form]:
    declared = schema.get(key, {})
    found = []
    for name, url in actions.items():
        input_type = declared.get(name, {}).get("input")
        input_schema = _schema(request, input_type, base) if input_type else None
        fields = fields_for(input_schema["resourceFields"], "create") if input_schema else ()
        after = "login" if name in ("logout", "logoutAll") else ""
        found.append(Form(f"action-{name}", name, "POST", url, fields, after=after))
    return found
