"""The data files the server reads, found with importlib.resources, and the start-up check.

They are read from wherever the package is installed (a wheel, `pip install .`,
an editable install): the JSON Schemas (the top-level `schemas/` folder, shipped
as the package `shim._schemas`, see setup.py), the SQL migrations
(`shim/store/migrations/`), the browser pages' templates and static files
(`shim/faces/web/`) and the Swagger UI assets of the swagger-ui-py package.
"""

from __future__ import annotations

import json
import posixpath
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Iterator

SCHEMAS_PACKAGE = "shim._schemas"
SWAGGER_ASSETS = ("swagger-ui.css", "index.css", "swagger-ui-bundle.js",
                  "swagger-ui-standalone-preset.js", "favicon-32x32.png", "favicon-16x16.png")


def schema_root() -> Traversable:
    """The folder of JSON Schemas; ModuleNotFoundError when the package was built without it."""
    return files(SCHEMAS_PACKAGE)


def schema_files(root: Traversable) -> Iterator[tuple[str, Traversable]]:
    """(name, file) for every `*.json` under root, the name being its path without `.json`."""
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            for name, found in schema_files(entry):
                yield f"{entry.name}/{name}", found
        elif entry.name.endswith(".json"):
            yield entry.name[: -len(".json")], entry


def migration_files() -> list[Traversable]:
    """The numbered `NNNN_name.sql` files, in order."""
    folder = files("shim.store") / "migrations"
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def swagger_asset(name: str) -> Traversable:
    return files("swagger_ui") / "static" / name


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
    from shim.openapi import ERROR_SCHEMAS
    from shim.openapi_paths import operations
    from shim.settings_catalog import SETTINGS

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
        absent = [name for name in SWAGGER_ASSETS if not swagger_asset(name).is_file()]
    except ModuleNotFoundError:
        return ["the Swagger UI assets (package swagger-ui-py)"]
    if absent:
        return [f"Swagger UI asset(s) {', '.join(absent)} (package swagger-ui-py)"]
    return []


def _missing_pages() -> list[str]:
    from shim.faces import web  # the list of files lives with the pages

    folder = files("shim.faces.web")
    absent = [name for name in web.assets() if not (folder / name).is_file()]
    if absent:
        return [f"the browser pages' file(s) {', '.join(absent)} (shim/faces/web/)"]
    return []
