"""The OpenAPI 3.1 document of both faces, assembled from the JSON Schemas in schemas/.

Every schema file becomes `components/schemas/<its path with "." for "/">`
(`v3/token-create` -> `v3.token-create`); file references between schemas
(`"$ref": "token.json"`) become component references. The operations are the
table in shim/openapi_paths.py.
"""

from __future__ import annotations

import copy
import posixpath
from typing import Any

from shim.openapi_paths import FACE_ERRORS, operations
from shim.schemas import Schemas

VERSION = "0.1.0"
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "<token id>:<secret>"},
    "basic": {"type": "http", "scheme": "basic",
              "description": "access key = token id, secret key = the secret"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "R_SESS",
               "description": "`<token id>:<secret>`, set by login with responseType cookie"},
}
ERROR_SCHEMAS = {"v3": "responses/v3/error", "terraform": "responses/terraform/error",
                 "kube": "responses/kube/status"}


def component_name(schema: str) -> str:
    return schema.replace("/", ".")


def ref(schema: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component_name(schema)}"}


def document(schemas: Schemas, metrics: str = "admin") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "token-shim",
            "version": VERSION,
            "description": "Rancher-compatible API tokens and token settings: the Rancher v3 face "
                           "(/v3, /v3-public), the Terraform face (/terraform/v1) and the kube "
                           "cluster endpoint (/k8s/clusters/{cluster}).",
        },
        "security": [{"bearer": []}, {"basic": []}, {"cookie": []}],
        "paths": _paths(metrics, schemas),
        "components": {
            "schemas": {component_name(n): _rewrite(n, d) for n, d in schemas.documents.items()},
            "responses": {f"{face}-error": _error_response(face) for face in FACE_ERRORS},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _paths(metrics: str, schemas: Schemas) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, method, operation in operations(metrics):
        if "requestBody" in operation:
            operation["requestBody"]["required"] = _body_required(operation["requestBody"], schemas)
        paths.setdefault(path, {})[method] = operation
    return paths


def _body_required(body: dict[str, Any], schemas: Schemas) -> bool:
    """An empty body reads as {}: it is required when {} is not valid, i.e. a field is."""
    schema = body["content"]["application/json"]["schema"]
    refs = [s["$ref"] for s in schema.get("anyOf", [schema])]
    names = [r.rsplit("/", 1)[-1].replace(".", "/") for r in refs]
    return all(schemas.documents[n].get("required") or schemas.documents[n].get("minProperties")
               for n in names)


def _error_response(face: str) -> dict[str, Any]:
    return {
        "description": FACE_ERRORS[face],
        "headers": {"Retry-After": {"description": "on 429 and 503: seconds to wait",
                                    "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": ref(ERROR_SCHEMAS[face])}},
    }


def _rewrite(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with file references turned into component references."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: _component_ref(name, v) if k == "$ref" else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(copy.deepcopy(schema))


def _component_ref(name: str, target: str) -> str:
    """`other.json#/pointer` relative to the schema `name`, as a component reference."""
    file, _, pointer = target.partition("#")
    if file:
        name = posixpath.normpath(posixpath.join(posixpath.dirname(name), file))
    return f"#/components/schemas/{component_name(name.removesuffix('.json'))}{pointer}"
