"""One declaration per operation; the router, the OpenAPI paths and the Norman schemas
are all derived from it (shim/faces/v3/table.py holds the v3 face's declarations).

An `Operation` is one (method, path): its handler, its bodies and answers (JSON Schema
names under schemas/), the Norman type it belongs to, who may call it and, for a POST,
the `?action=` names it also answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Mapping

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Action:
    """`POST ...?action=<name>`: its input and output as Norman types (see Catalog.types)."""

    name: str
    input: str | None = None
    output: str | None = None
    admin: bool = False  # only admins may call it


@dataclass(frozen=True)
class Operation:
    method: str  # lower case: get, post, put, delete
    path: str
    handler: Handler
    op_id: str
    summary: str
    ok: Mapping[int, str | None]  # status -> response schema (None: no body)
    type: str | None = None  # the Norman type the operation belongs to
    body: str | None = None  # the request body's schema
    query: tuple[dict[str, Any], ...] = ()
    filters: tuple[str, ...] = ()  # query parameters that filter a collection (eq only)
    errors: tuple[int, ...] = ()
    public: bool = False  # no authentication
    admin: bool = False  # only admins may call it (actions say their own)
    actions: tuple[Action, ...] = ()
    creates: bool = True  # a POST without ?action= creates; False: it answers actions only
    media: str = "application/json"
    tag: str = ""
    face: str = "v3"

    @property
    def is_collection(self) -> bool:
        return "{" not in self.path

    def allows(self, admin: bool) -> bool:
        return admin or not self.admin


def q(name: str, schema: dict[str, Any], required: bool = False, text: str = "") -> dict:
    """An OpenAPI query parameter."""
    found = {"name": name, "in": "query", "required": required, "schema": schema}
    return found | ({"description": text} if text else {})


def add_to_router(app: web.Application, operations: Iterable[Operation]) -> None:
    for operation in operations:
        app.router.add_route(operation.method.upper(), operation.path, operation.handler)
