"""The start-up check of the packaged data: what the installed package lacks, said before
serving. It needs every face, so it lives with start-up: each face offers its own list
(the operations of every face their schemas, the web face its pages' files, the docs
face the Swagger UI assets); shim.resources only finds files.
"""

from __future__ import annotations

import json
import posixpath
from importlib.resources import files
from typing import Any, Iterator

from shim.faces import docs
from shim.faces.web import face as web_face
from shim.openapi import ERROR_SCHEMAS
from shim.openapi_paths import operations
from shim.resources import (SCHEMAS_PACKAGE, migration_files, schema_files, schema_root,
                            swagger_asset)
from shim.settings_catalog import SETTINGS


def missing() -> list[str]:
    """What the installed package lacks, each named for a person to act on; [] when complete."""
    return [*_missing_schemas(), *_missing_migrations(), *_missing_assets(), *_missing_pages()]


def _missing_schemas() -> list[str]:
    try:
        root = schema_root()
    except ModuleNotFoundError:
        return [f"the JSON Schemas (package {SCHEMAS_PACKAGE})"]
    documents, unreadable = {}, []
    for name, file in schema_files(root):
        try:
            documents[name] = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unreadable.append(name)
    wanted = required_schemas() | _referenced_between(documents)
    absent = sorted((wanted - set(documents)) | set(unreadable))
    if absent:
        return [f"JSON Schema(s) {', '.join(f'{n}.json' for n in absent)} in {root}"]
    return []


def required_schemas() -> set[str]:
    """Every schema the server asks for by name: the bodies and responses of the OpenAPI
    operations, each face's error, and one per setting."""
    prefix = "#/components/schemas/"
    refs = [r for _, _, op in operations() for r in _refs(op) if r.startswith(prefix)]
    return ({r[len(prefix):].replace(".", "/") for r in refs} | set(ERROR_SCHEMAS.values())
            | {f"settings/{name}" for name in SETTINGS})


def _referenced_between(documents: dict) -> set[str]:
    """Schemas named by file references (`"$ref": "token.json"`) inside other schemas."""
    found = set()
    for name, document in documents.items():
        for ref in _refs(document):
            file = ref.partition("#")[0]
            if file.endswith(".json"):
                found.add(posixpath.normpath(posixpath.join(posixpath.dirname(name), file))[:-5])
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _missing_migrations() -> list[str]:
    found = [f.name for f in migration_files()]
    if not found or not found[0].startswith("0001_"):
        return ["the SQL migrations (shim/store/migrations/0001_*.sql ...)"]
    return []


def _missing_assets() -> list[str]:
    try:
        absent = [name for name in docs.ASSETS if not swagger_asset(name).is_file()]
    except ModuleNotFoundError:
        return ["the Swagger UI assets (package swagger-ui-py)"]
    if absent:
        return [f"Swagger UI asset(s) {', '.join(absent)} (package swagger-ui-py)"]
    return []


def _missing_pages() -> list[str]:
    folder = files("shim.faces.web")
    absent = [name for name in web_face.assets() if not (folder / name).is_file()]
    if absent:
        return [f"the browser pages' file(s) {', '.join(absent)} (shim/faces/web/)"]
    return []
