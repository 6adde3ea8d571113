"""The generic REST handlers of a served resource, as a Kubernetes API server answers:
list (with selectors and Table output), get, create, update, patch, delete and
deletecollection, `dryRun=All` on every write, bodies validated against the
resource's JSON Schema. What a verb means for a resource is its adapter's business.
"""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any, Callable

from aiohttp import web

from shim import headers
from shim.audit import audit
from shim.errors import ApiError
from shim.errors import not_found as plain_not_found
from shim.faces import http
from shim.faces.kube import errors, listing, patches, watch, yamlbody
from shim.faces.kube.resource import Object, Resource, column
from shim.keys import CONFIG, JSON_BODY, SCHEMAS

PREFIX = "/k8s/clusters/{cluster}"
_DRY_RUN = web.RequestKey("kube_dry_run", bool)
_WARNINGS = web.RequestKey("kube_warnings", list)
_TABLE = re.compile(r"as=Table\b")
MAX_WARNINGS = 10  # Warning headers on one response; the rest are counted in one more
_NAME_COLUMN = column("Name", "Name must be unique within a namespace.", format="name")


def known_cluster(request: web.Request) -> str:
    """The path's cluster; at the server root (no `{cluster}`), the first configured."""
    clusters = request.app[CONFIG].clusters
    cluster_id = request.match_info.get("cluster", clusters[0])
    if cluster_id not in clusters:
        raise plain_not_found(f'clusters "{cluster_id}" not found')
    return cluster_id


def collection_path(resource: Resource, prefix: str = PREFIX) -> str:
    return f"{prefix}/apis/{resource.group}/{resource.version}/{resource.plural}"


def routes(resource: Resource, prefix: str = PREFIX) -> list[tuple[str, str, str, Callable]]:
    """(verb, method, path, handler) for every verb the resource serves under `prefix`."""
    coll = collection_path(resource, prefix)
    item = coll + "/{name}"
    table = {
        "list": ("GET", coll, _list), "create": ("POST", coll, _create),
        "deletecollection": ("DELETE", coll, _delete_collection), "get": ("GET", item, _get),
        "update": ("PUT", item, _update), "patch": ("PATCH", item, _patch),
        "delete": ("DELETE", item, _delete),
    }
    found = []
    for verb in resource.verbs:
        if verb not in table:
            continue
        method, path, handler = table[verb]
        if verb == "create" and resource.create_handler is not None:
            found.append((verb, method, path, resource.create_handler))
            continue
        bound = _warning(functools.partial(handler, resource))
        if resource.audit and verb not in ("get", "list"):
            bound = _audited(resource, verb, bound)
        found.append((verb, method, path, bound))
    return found


# -- the verbs

async def _list(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    if watch.wanted(request):
        return await watch.stream(
            request, lambda: _selected(resource, request),
            lambda obj: as_table(resource, request, [obj]) if wants_table(request) else obj)
    if wants_table(request):
        return await listing.respond(resource, request, _table_head(resource), "rows",
                                     lambda obj: table_row(resource, request, obj))
    head = {"kind": resource.list_kind, "apiVersion": resource.group_version}
    return await listing.respond(resource, request, head, "items", lambda obj: obj)


async def _selected(resource: Resource, request: web.Request) -> list[Object]:
    return select(await resource.adapter.list(request), request)


async def _get(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    obj = await resource.adapter.get(request, request.match_info["name"])
    if wants_table(request):
        return http.respond(as_table(resource, request, [obj]))
    return http.respond(obj)


async def _create(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    dry = dry_run(request)
    obj = validated(request, resource, await read_body(request, ("application/json",)))
    return http.respond(await resource.adapter.create(request, obj, dry), status=201)


async def _update(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    dry, name = dry_run(request), request.match_info["name"]
    obj = validated(request, resource, await read_body(request, ("application/json",)))
    updated = await resource.adapter.update(request, name, lambda _current: obj, dry)
    return http.respond(updated)


async def _patch(resource: Resource, request: web.Request) -> web.Response:
    """Every patch is applied to the object as stored when the write is decided (the
    adapter writes it only if the object is still that version), within max_body_bytes."""
    known_cluster(request)
    dry, name = dry_run(request), request.match_info["name"]
    ctype = request.content_type
    if ctype not in patches.TYPES:
        raise ApiError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media types "
                       f"include: {', '.join(patches.TYPES)}")
    patch = await read_body(request, (ctype,), any_json=ctype == patches.JSON_PATCH)

    limit = request.app[CONFIG].max_body_bytes

    def desire(current: Object) -> Object:
        return validated(request, resource, patches.apply(ctype, current, patch, limit))

    try:
        return http.respond(await resource.adapter.update(request, name, desire, dry))
    except ApiError as err:
        if err.status != 404 or ctype != patches.APPLY or "create" not in resource.verbs:
            raise
    # server-side apply of an object that does not exist creates it, as Kubernetes does
    obj = validated(request, resource, patches.apply(patches.APPLY, {}, patch, limit))
    if (obj.get("metadata") or {}).get("name") != name:
        raise errors.bad_request(f"the name of the object does not match the name on the "
                                 f"URL ({name})")
    return http.respond(await resource.adapter.create(request, obj, dry), status=201)


async def _delete(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    dry = await delete_dry_run(request)
    return http.respond(await resource.adapter.delete(request, request.match_info["name"], dry))


async def _delete_collection(resource: Resource, request: web.Request) -> web.Response:
    known_cluster(request)
    dry = await delete_dry_run(request)
    objs = select(await resource.adapter.list(request), request)
    deleted = await resource.adapter.delete_collection(request, objs, dry)
    return http.respond(as_list(resource, deleted))


def _warning(handler: Callable) -> Callable:
    """Warning headers (kubectl prints them) for what a write dropped or ignored: the
    text comes from the body (unknown field names), so it is escaped and bounded."""

    async def run(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        warnings = request.get(_WARNINGS) or []
        for warning in warnings[:MAX_WARNINGS]:
            response.headers.add("Warning", headers.warning(warning))
        if len(warnings) > MAX_WARNINGS:
            more = f"{len(warnings) - MAX_WARNINGS} more unknown fields not shown"
            response.headers.add("Warning", headers.warning(more))
        return response

    return run


def _audited(resource: Resource, verb: str, handler: Callable) -> Callable:
    event = f"{resource.audit}.{verb}"

    async def run(request: web.Request) -> web.StreamResponse:
        target = request.match_info.get("name")
        try:
            response = await handler(request)
        except ApiError as err:
            audit(request, event, target, "failure", face="kube", status=err.status,
                  reason=err.reason or err.code)
            raise
        body = response.get(JSON_BODY)
        name = (body.get("metadata") or {}).get("name") if isinstance(body, dict) else None
        audit(request, event, name or target, "success", face="kube",
              dryRun=request.get(_DRY_RUN) or None)
        return response

    return run


# -- request pieces

def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    unknown = [v for v in values if v != "All"]
    if unknown:
        raise errors.bad_request(f'unsupported dry run option "{unknown[0]}": only All')
    request[_DRY_RUN] = bool(values)
    return bool(values)


async def delete_dry_run(request: web.Request) -> bool:
    """dryRun from the query or the DeleteOptions body (where kubectl puts it)."""
    options = await read_body(request, ("application/json",))
    given = options.get("dryRun") or []
    if not isinstance(given, list) or any(v != "All" for v in given):
        raise errors.bad_request(f"unsupported dry run option {given!r}: only [\"All\"]")
    request[_DRY_RUN] = dry_run(request) or bool(given)
    return request[_DRY_RUN]


async def read_body(request: web.Request, types: tuple[str, ...],
                    any_json: bool = False) -> Any:
    """The parsed body ({} when empty): JSON, or YAML for server-side apply."""
    ctype = request.content_type
    if request.body_exists and ctype not in (*types, "application/octet-stream", ""):
        raise ApiError(415, "UnsupportedMediaType",
                       f"Content-Type {ctype} is not supported: send {' or '.join(types)}")
    try:
        raw = await request.read()
    except web.RequestPayloadError as exc:
        raise errors.bad_request(f"the body could not be read: {exc}") from None
    if not raw.strip():
        return [] if any_json else {}
    try:
        body = http.parse_json(raw)
    except ApiError as err:
        if ctype != patches.APPLY:
            raise errors.bad_request(err.message) from None
        # off the event loop: even libyaml takes ~0.3 s for the worst 64 KB
        body = await asyncio.to_thread(yamlbody.parse_yaml, raw)
    if not any_json and not isinstance(body, dict):
        raise errors.bad_request("the body must be a JSON object")
    return body


def validated(request: web.Request, resource: Resource, obj: Object) -> Object:
    """`obj` if it is a `resource` by its JSON Schema (unknown fields refused), else 400."""
    given = (obj.get("apiVersion"), obj.get("kind"))
    if given != (None, None) and given != (resource.group_version, resource.kind):
        raise errors.bad_request(
            f"the API version in the data ({given[0]}) and kind ({given[1]}) do not match "
            f"{resource.group_version}, {resource.kind}")
    if resource.schema is None:
        return obj
    schemas = request.app[SCHEMAS]
    mode = request.query.get("fieldValidation", "Warn")
    if mode != "Strict":  # Ignore, Warn or unset
        dropped: list[str] = []
        obj = _known_fields(schemas.documents[resource.schema], obj, "", dropped)
        if mode != "Ignore":
            request[_WARNINGS] = [f'unknown field "{path}"' for path in dropped]
    try:
        schemas.validate(resource.schema, obj)
    except ApiError as err:
        raise errors.bad_request(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a '
            f"{resource.kind}: strict decoding error: {err.message}") from None
    return obj


def _known_fields(schema: dict, value: Any, path: str, dropped: list[str]) -> Any:
    """`value` without the fields a closed schema does not name, their paths added to
    `dropped` (fieldValidation other than Strict drops them, as an API server does)."""
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    known = schema.get("properties", {})
    closed = schema.get("additionalProperties") is False
    kept = {}
    for key, item in value.items():
        if key in known or not closed:
            kept[key] = _known_fields(known.get(key, {}), item, f"{path}{key}.", dropped)
        else:
            dropped.append(f"{path}{key}")
    return kept


def wants_table(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return bool(_TABLE.search(accept)) and "g=meta.k8s.io" in accept


# -- responses

def as_list(resource: Resource, objs: list[Object]) -> Object:
    return {"kind": resource.list_kind, "apiVersion": resource.group_version, "metadata": {},
            "items": objs}


def as_table(resource: Resource, request: web.Request, objs: list[Object]) -> Object:
    """Rows with the resource's columns; `object` is the metadata unless asked for more."""
    return _table_head(resource) | {"metadata": {},
                                    "rows": [table_row(resource, request, o) for o in objs]}


def _table_head(resource: Resource) -> Object:
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "columnDefinitions": [_NAME_COLUMN, *resource.adapter.columns]}


def table_row(resource: Resource, request: web.Request, obj: Object) -> Object:
    include = request.query.get("includeObject", "Metadata")
    row: Object = {"cells": [obj["metadata"]["name"], *resource.adapter.cells(request, obj)]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return row


# -- selectors

def select(objs: list[Object], request: web.Request) -> list[Object]:
    """Objects matching `labelSelector` and `fieldSelector` (only metadata.name)."""
    selection = listing.Selection(request)
    return [o for o in objs if selection(o)]
