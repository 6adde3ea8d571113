"""The generic REST handlers of a served resource, as a Kubernetes API server answers:
list (with selectors and Table output), get, create, update, patch, delete and
deletecollection, `dryRun=All` on every write, bodies validated against the
resource's JSON Schema. What a verb means for a resource is its adapter's business.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

import yaml
from aiohttp import web

from shim.audit import audit
from shim.errors import ApiError
from shim.errors import not_found as plain_not_found
from shim.faces import http
from shim.faces.kube import errors, patches, watch
from shim.faces.kube.resource import Object, Resource, column
from shim.keys import CONFIG, JSON_BODY, SCHEMAS

PREFIX = "/k8s/clusters/{cluster}"
_DRY_RUN = web.RequestKey("kube_dry_run", bool)
_WARNINGS = web.RequestKey("kube_warnings", list)
_TABLE = re.compile(r"as=Table\b")
_NAME_COLUMN = column("Name", "Name must be unique within a namespace.", format="name")
_SELECTOR_OPS = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|!=|=)\s*([A-Za-z0-9_.-]*)|"
                           r"\s+(in|notin)\s+\(([^)]*)\))?\s*$")


def known_cluster(request: web.Request) -> str:
    cluster_id = request.match_info["cluster"]
    if cluster_id not in request.app[CONFIG].clusters:
        raise plain_not_found(f'clusters "{cluster_id}" not found')
    return cluster_id


def collection_path(resource: Resource) -> str:
    return f"{PREFIX}/apis/{resource.group}/{resource.version}/{resource.plural}"


def routes(resource: Resource) -> list[tuple[str, str, str, Callable]]:
    """(verb, method, path, handler) for every verb the resource serves."""
    coll, item = collection_path(resource), collection_path(resource) + "/{name}"
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
    objs = await _selected(resource, request)
    if wants_table(request):
        return http.respond(as_table(resource, request, objs))
    return http.respond(as_list(resource, objs))


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
    """Every patch is applied to the object as stored under the write's lock."""
    known_cluster(request)
    dry, name = dry_run(request), request.match_info["name"]
    ctype = request.content_type
    if ctype not in patches.TYPES:
        raise ApiError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media types "
                       f"include: {', '.join(patches.TYPES)}")
    patch = await read_body(request, (ctype,), any_json=ctype == patches.JSON_PATCH)

    def desire(current: Object) -> Object:
        return validated(request, resource, patches.apply(ctype, current, patch))

    try:
        return http.respond(await resource.adapter.update(request, name, desire, dry))
    except ApiError as err:
        if err.status != 404 or ctype != patches.APPLY or "create" not in resource.verbs:
            raise
    # server-side apply of an object that does not exist creates it, as Kubernetes does
    obj = validated(request, resource, patches.merge_patch({}, patch))
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
    """Warning headers (kubectl prints them) for what a write dropped or ignored."""

    async def run(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        for warning in request.get(_WARNINGS) or ():
            quoted = warning.replace("\\", "\\\\").replace('"', '\\"')
            response.headers.add("Warning", f'299 - "{quoted}"')
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
        body = _yaml(raw)
    if not any_json and not isinstance(body, dict):
        raise errors.bad_request("the body must be a JSON object")
    return body


def _yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"the body is not valid YAML: {exc}") from None


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
    include = request.query.get("includeObject", "Metadata")
    rows = []
    for obj in objs:
        row: Object = {"cells": [obj["metadata"]["name"], *resource.adapter.cells(request, obj)]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "columnDefinitions": [_NAME_COLUMN, *resource.adapter.columns], "rows": rows}


# -- selectors

def select(objs: list[Object], request: web.Request) -> list[Object]:
    """Objects matching `labelSelector` and `fieldSelector` (only metadata.name)."""
    labels = parse_label_selector(request.query.get("labelSelector", ""))
    names = parse_field_selector(request.query.get("fieldSelector", ""))
    return [o for o in objs
            if all(test((o["metadata"].get("labels") or {})) for test in labels)
            and all(test(o["metadata"]["name"]) for test in names)]


def parse_label_selector(text: str) -> list[Callable[[dict], bool]]:
    tests = []
    for part in _split(text):
        found = _SELECTOR_OPS.match(part)
        if not found or (found.group(1) and (found.group(3) or found.group(5))):
            raise errors.bad_request(f"unable to parse requirement: {part!r}")
        negate, key, op, value, set_op, values = found.groups()
        tests.append(_label_test(bool(negate), key, op or set_op, value, values))
    return tests


def _label_test(negate: bool, key: str, op: str | None, value: str | None,
                values: str | None) -> Callable[[dict], bool]:
    if op is None:
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    if op in ("=", "=="):
        return lambda labels: labels.get(key) == value
    if op == "!=":
        return lambda labels: labels.get(key) != value
    choices = {v.strip() for v in (values or "").split(",")}
    if op == "in":
        return lambda labels: labels.get(key) in choices
    return lambda labels: labels.get(key) not in choices


def parse_field_selector(text: str) -> list[Callable[[str], bool]]:
    tests = []
    for part in _split(text):
        found = re.match(r"^\s*([a-z.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not found or found.group(1) != "metadata.name":
            raise errors.bad_request(f'field label not supported: "{part}"')
        _, op, value = found.groups()
        tests.append((lambda name, v=value: name != v) if op == "!=" else
                     (lambda name, v=value: name == v))
    return tests


def _split(text: str) -> list[str]:
    """Requirements separated by commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]
