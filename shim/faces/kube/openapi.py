"""OpenAPI v3 as a Kubernetes API server serves it, derived from the resource table and
the same JSON Schemas the server validates bodies with (schemas/kube/).

kubectl reads the root `/openapi/v3`, then one document per group version: `explain`
walks its schemas; the PATCH operation's `fieldValidation` parameter tells kubectl
the server validates, so it sends `fieldValidation=Strict` instead of validating
itself; no strategic-merge content type is listed, so client-side apply sends JSON
merge patches (as for custom resources).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from aiohttp import web

from shim.errors import ApiError
from shim.faces import http
from shim.faces.kube.rest import known_cluster
from shim.keys import SCHEMAS

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
_DOCS = web.AppKey("kube_openapi", dict)
_STR = {"type": "string"}


def prefix(group: str, version: str) -> str:
    """Kubernetes' schema names: ext.cattle.io v1 -> io.cattle.ext.v1."""
    return ".".join(reversed(group.split("."))) + f".{version}"


def documents(resources, schemas) -> dict[str, dict]:
    """{"apis/<group>/<version>": its document} for every resource with a schema."""
    found: dict[str, dict] = {}
    for resource in resources:
        if resource.schema is None:
            continue
        key = f"apis/{resource.group_version}"
        doc = found.setdefault(key, _empty(resource))
        _add(doc, resource, schemas.documents[resource.schema])
    return found


def _empty(resource) -> dict:
    return {
        "openapi": "3.0.0",
        "info": {"title": "token-shim", "version": resource.group_version},
        "paths": {},
        "components": {"schemas": {OBJECT_META: _object_meta(), LIST_META: _list_meta(),
                                   STATUS: _status()}},
    }


def _add(doc: dict, resource, source: dict) -> None:
    name = f"{prefix(resource.group, resource.version)}.{resource.kind}"
    gvk = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    components = doc["components"]["schemas"]
    components[name] = _kind_schema(source, name, components) | {
        "x-kubernetes-group-version-kind": [gvk]}
    components[f"{name}List"] = {
        "type": "object", "description": f"A list of {resource.kind} objects.",
        "required": ["items"],
        "properties": {"apiVersion": _STR, "kind": _STR,
                       "metadata": _ref_of(LIST_META),
                       "items": {"type": "array", "items": {"$ref": _ref(name)}}},
        "x-kubernetes-group-version-kind": [gvk | {"kind": f"{resource.kind}List"}],
    }
    doc["paths"].update(_paths(resource, name, gvk))


def _kind_schema(source: dict, name: str, components: dict) -> dict:
    """The top schema, metadata by reference, spec/status as components of their own."""
    schema = _openapi30(source)
    schema.pop("title", None)
    props = schema.get("properties", {})
    if "metadata" in props:
        props["metadata"] = _ref_of(OBJECT_META, props["metadata"].get("description"))
    for part in ("spec", "status"):
        if isinstance(props.get(part), dict) and "properties" in props[part]:
            part_name = f"{name}{part.capitalize()}"
            # The description once, on the field: kubectl explain prints the field's and
            # then the type's, so the same text on both shows twice.
            components[part_name] = {k: v for k, v in props[part].items() if k != "description"}
            props[part] = _ref_of(part_name, props[part].get("description"))
    return schema


def _openapi30(schema: Any) -> Any:
    """JSON Schema 2020-12 as OpenAPI 3.0 wants it: no $schema, nullable for ["x", "null"]."""
    if isinstance(schema, list):
        return [_openapi30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _openapi30(v) for k, v in schema.items() if k not in ("$schema", "x-rule")}
    kinds = out.get("type")
    if isinstance(kinds, list):
        rest = [k for k in kinds if k != "null"]
        out["type"] = rest[0]
        if "null" in kinds:
            out["nullable"] = True
    return out


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _ref_of(name: str, description: str | None = None) -> dict:
    found: dict[str, Any] = {"allOf": [{"$ref": _ref(name)}]}
    return found | ({"description": description} if description else {})


def _paths(resource, name: str, gvk: dict) -> dict:
    base = f"/apis/{resource.group_version}/{resource.plural}"
    ok = {"description": "OK", "content": {"application/json": {"schema": {"$ref": _ref(name)}}}}
    listed = {"description": "OK",
              "content": {"application/json": {"schema": {"$ref": _ref(name + "List")}}}}
    status = {"description": "a Status",
              "content": {"application/json": {"schema": {"$ref": _ref(STATUS)}}}}
    write = [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")]
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": _ref(name)}}}}
    patch_body = {"required": True, "content": {
        t: {"schema": {"type": "object"}} for t in (
            "application/json-patch+json", "application/merge-patch+json",
            "application/apply-patch+yaml")}}

    def operation(action: str, op_id: str, responses: dict, params=(), request=None) -> dict:
        found = {"operationId": op_id, "tags": [resource.group], "x-kubernetes-action": action,
                 "x-kubernetes-group-version-kind": gvk,
                 "responses": responses | {"default": status},
                 "parameters": list(params)}
        return found | ({"requestBody": request} if request else {})

    kind, verbs = resource.kind, set(resource.verbs)
    collection: dict[str, Any] = {}
    item: dict[str, Any] = {"parameters": [{"name": "name", "in": "path", "required": True,
                                            "schema": _STR}]}
    if "list" in verbs:
        collection["get"] = operation("list", f"list{kind}", {"200": listed},
                                      [_query("labelSelector"), _query("fieldSelector")])
    if "create" in verbs:
        collection["post"] = operation("post", f"create{kind}", {"201": ok}, write, body)
    if "deletecollection" in verbs:
        collection["delete"] = operation("deletecollection", f"deletecollection{kind}",
                                         {"200": listed}, [_query("dryRun")])
    if "get" in verbs:
        item["get"] = operation("get", f"read{kind}", {"200": ok})
    if "update" in verbs:
        item["put"] = operation("put", f"replace{kind}", {"200": ok}, write, body)
    if "patch" in verbs:
        item["patch"] = operation("patch", f"patch{kind}", {"200": ok, "201": ok},
                                  [*write, _query("force")], patch_body)
    if "delete" in verbs:
        item["delete"] = operation("delete", f"delete{kind}", {"200": ok}, [_query("dryRun")])
    return {base: collection, base + "/{name}": item}


def _query(name: str) -> dict:
    return {"name": name, "in": "query", "schema": _STR}


def _object_meta() -> dict:
    string_map = {"type": "object", "additionalProperties": _STR}
    return {
        "type": "object",
        "description": "ObjectMeta is metadata that all persisted resources must have.",
        "properties": {
            "name": _STR | {"description": "Name must be unique."},
            "generateName": _STR | {"description": "Ignored: the server names objects."},
            "uid": _STR | {"description": "UID is the unique in time and space value for this "
                                         "object; set by the server."},
            "resourceVersion": _STR | {"description": "An opaque value that changes whenever "
                                                     "the object changes; a write that names "
                                                     "an old one is refused with 409."},
            "creationTimestamp": _STR | {"format": "date-time",
                                         "description": "When the object was created."},
            "labels": string_map | {"description": "Map of string keys and values."},
            "annotations": string_map | {"description": "Annotations is an unstructured "
                                                       "key value map."},
        },
    }


def _list_meta() -> dict:
    return {"type": "object", "description": "ListMeta describes metadata of lists.",
            "properties": {"resourceVersion": _STR, "continue": _STR}}


def _status() -> dict:
    return {"type": "object", "description": "Status is a return value for calls that don't "
            "return other objects.",
            "properties": {"kind": _STR, "apiVersion": _STR, "status": _STR, "message": _STR,
                           "reason": _STR, "code": {"type": "integer"},
                           "details": {"type": "object"}}}


def setup(app: web.Application, resources) -> None:
    docs = documents(resources, app[SCHEMAS])
    app[_DOCS] = {key: (doc, _hash(doc)) for key, doc in docs.items()}


def _hash(doc: dict) -> str:
    raw = json.dumps(doc, sort_keys=True).encode()
    return hashlib.sha512(raw).hexdigest()[:32].upper()


async def root(request: web.Request) -> web.Response:
    """kubectl re-roots each serverRelativeURL under the kubeconfig's server path; the hash
    changes with the document, so kubectl's disk cache never serves a stale one."""
    known_cluster(request)
    docs = request.app[_DOCS]
    paths = {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
             for key, (_, digest) in docs.items()}
    return http.respond({"paths": paths})


async def group_version(request: web.Request) -> web.Response:
    known_cluster(request)
    key = f"apis/{request.match_info['group']}/{request.match_info['version']}"
    found = request.app[_DOCS].get(key)
    if found is None:
        raise web.HTTPNotFound()
    return http.respond(copy.deepcopy(found[0]))


async def swagger(request: web.Request) -> web.Response:
    """OpenAPI v2 as JSON (an API aggregator merges it into the kube-apiserver's); the
    protobuf form kubectl asks for when validating without v3 is not offered (406)."""
    known_cluster(request)
    accept = request.headers.get("Accept", "")
    if accept and not any(t in accept for t in ("application/json", "*/*")):
        raise ApiError(406, "NotAcceptable", "only application/json is served for /openapi/v2")
    docs = [doc for doc, _ in request.app[_DOCS].values()]
    return http.respond(to_swagger(docs))


def to_swagger(docs: list[dict]) -> dict:
    """The v3 documents merged into one Swagger 2.0 document: definitions, and paths
    whose operations keep their ids, tags, x-kubernetes-* and response schemas."""
    definitions: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for doc in docs:
        definitions.update(_v2_refs(doc["components"]["schemas"]))
        for path, item in doc["paths"].items():
            paths[path] = {method: _v2_operation(op) if isinstance(op, dict) and "responses" in op
                           else _v2_refs(op) for method, op in item.items()}
    return {"swagger": "2.0", "info": {"title": "token-shim", "version": "v2"},
            "paths": paths, "definitions": definitions}


def _v2_operation(op: dict) -> dict:
    responses = {}
    for code, answer in op["responses"].items():
        media = (answer.get("content") or {}).get("application/json") or {}
        responses[code] = {"description": answer.get("description", "")} | (
            {"schema": _v2_refs(media["schema"])} if "schema" in media else {})
    kept = {k: v for k, v in op.items() if k not in ("responses", "requestBody", "parameters")}
    params = [{"name": p["name"], "in": p["in"], "type": "string",
               "required": p.get("required", False)} for p in op.get("parameters", [])]
    return _v2_refs(kept) | {"parameters": params, "responses": responses}


def _v2_refs(value: Any) -> Any:
    if isinstance(value, list):
        return [_v2_refs(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _v2_refs(v) for k, v in value.items() if k != "nullable"}
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/definitions/")
    return out
