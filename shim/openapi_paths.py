"""Every documented operation: its bodies, parameters and the statuses it may answer.

A test checks that this table and the app's routes name the same operations.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from shim.faces.kube import face as kube
from shim.faces.steve.table import OPERATIONS as STEVE
from shim.faces.terraform.table import OPERATIONS as TERRAFORM
from shim.faces.v3.settings import READ_ONLY
from shim.faces.v3.table import EMBEDDED_TYPES, OPERATIONS
from shim.operations import Operation, q
from shim.settings_catalog import SETTINGS

KUBE = "/k8s/clusters/{cluster}"
FACE_ERRORS = {
    "v3": "Norman's error body; the authentication filter's 401 is exactly Rancher's "
          "`Unauthorized 401: must authenticate` body",
    "terraform": "{status, code, message, details}",
    "kube": "a Kubernetes Status object",
}
_NAMES = {
    "settings": {"type": "string", "enum": [*SETTINGS, *READ_ONLY]},
    "features": {"type": "string", "enum": ["token-hashing"]},
    "token-policies": {"type": "string", "enum": ["default"]},
}


def op(face: str, op_id: str, summary: str, ok: dict[int, str | None], *,
       body: str | list[str] | None = None, query: list[dict] = (), errors: tuple[int, ...] = (),
       public: bool = False, media: str = "application/json", tag: str = "") -> dict[str, Any]:
    """One operation; 429 and 500 always, 401 unless public, 400/408/413/415/422 with a body."""
    statuses = set(errors) | {429, 500} | (set() if public else {401})
    if body:
        statuses |= {400, 408, 413, 415, 422}
    responses = {str(s): _ok(s, schema, media) for s, schema in ok.items()}
    error = {"$ref": f"#/components/responses/{face}-error"}
    responses |= {str(s): error for s in sorted(statuses)}
    found: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag or face],
                             "responses": responses}
    if query:
        found["parameters"] = list(query)
    if body:
        found["requestBody"] = _body(body)
    if public:
        found["security"] = []
    return found


def _ok(status: int, schema: str | None, media: str) -> dict[str, Any]:
    if schema is None:
        return {"description": "done; no body"}
    shape = {"type": "string"} if media != "application/json" else _ref(schema)
    return {"description": "success", "content": {media: {"schema": shape}}}


def _body(body: str | list[str]) -> dict[str, Any]:
    schema = {"anyOf": [_ref(b) for b in body]} if isinstance(body, list) else _ref(body)
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _ref(schema: str) -> dict[str, str]:
    return {"$ref": "#/components/schemas/" + schema.replace("/", ".")}


def operations(metrics: str = "admin") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every documented operation, with path parameters."""
    for path, method, operation in [*_ops(metrics), *_v3(), *_steve(), *_kube(), *_terraform()]:
        params = [_path_param(path, name) for name in re.findall(r"{(\w+)}", path)]
        if params:
            operation["parameters"] = params + operation.get("parameters", [])
        yield path, method, operation


def _path_param(path: str, name: str) -> dict[str, Any]:
    collection = path.split("/{")[0].rsplit("/", 1)[-1]
    schema = _NAMES.get(collection, {"type": "string"}) if name == "name" else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _ops(metrics: str) -> list[tuple[str, str, dict]]:
    health, ops = "responses/ops/health", "operations"
    found = [
        ("/healthz", "get", op("v3", "healthz", "The process is up", {200: health}, public=True,
                               tag=ops)),
        ("/readyz", "get", op("v3", "readyz", "The store answers", {200: health, 503: health},
                              public=True, tag=ops)),
        ("/openapi.json", "get", op("v3", "openapi", "This document",
                                    {200: "responses/ops/openapi"}, public=True, tag=ops)),
    ]
    if metrics != "off":
        found.append(("/metrics", "get", op(
            "v3", "metrics", "Prometheus metrics", {200: "text"}, errors=(403,),
            public=metrics == "public", media="text/plain", tag=ops)))
    return found


def _v3() -> list[tuple[str, str, dict]]:
    """The v3 face, derived from its operation table."""
    return [(o.path, o.method, from_operation(o, EMBEDDED_TYPES)) for o in OPERATIONS]


def from_operation(o: Operation, types: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI operation of a table entry; `?action=` and action bodies included."""
    query = list(o.query)
    bodies = [o.body] if o.body else []
    if o.actions:
        names = [a.name for a in o.actions]
        action = {"const": names[0]} if len(names) == 1 else {"enum": names}
        query.append(q("action", action, not o.creates))
        bodies += [types[a.input] for a in o.actions if a.input and types[a.input] not in bodies]
    body = bodies[0] if len(bodies) == 1 else (bodies or None)
    return op(o.face, o.op_id, o.summary, dict(o.ok), body=body, query=query, errors=o.errors,
              public=o.public, media=o.media, tag=o.tag)


def _kube() -> list[tuple[str, str, dict]]:
    """Derived from the kube face's own table (shim/faces/kube)."""
    r, obj = "responses/kube/", "responses/kube/object"
    special = {"kubeVersion": r + "version", "createSelfSubjectReview": r + "self-subject-review",
               "kubeTokenReview": r + "token-review"}
    special |= {op_id + where: r + "openapi" for where in ("", "AtRoot")
                for op_id in ("kubeOpenAPIV2", "kubeOpenAPIRoot", "kubeOpenAPIGroupVersion")}
    found = []
    for method, path, op_id, summary, body, ok in kube.operations():
        errors = (400, 403, 404, 409, 415, 422) if method in ("POST", "PUT", "PATCH", "DELETE") \
            else (404,)
        found.append((path, method.lower(), op(
            "kube", op_id, summary, {ok: special.get(op_id, obj)}, body=body, errors=errors,
            public=op_id == "kubeTokenReview")))  # it checks its caller itself (review_access)
    return found


def _steve() -> list[tuple[str, str, dict]]:
    """The /v1 (Steve) face, derived from its operation table."""
    return [(o.path, o.method, from_operation(o, {})) for o in STEVE]


def _terraform() -> list[tuple[str, str, dict]]:
    """The Terraform face, derived from its operation table."""
    return [(o.path, o.method, from_operation(o, {})) for o in TERRAFORM]
