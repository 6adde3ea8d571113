"""The data files the server reads, found with importlib.resources (the start-up check
that they are all there is shim.packaged's).

They are read from wherever the package is installed (a wheel, `pip install .`,
an editable install): the JSON Schemas (the top-level `schemas/` folder, shipped
as the package `shim._schemas`, see setup.py), the SQL migrations
(`shim/store/migrations/`), the browser pages' templates and static files
(`shim/faces/web/`) and the Swagger UI assets of the swagger-ui-py package.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Iterator

SCHEMAS_PACKAGE = "shim._schemas"


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
