"""One served Kubernetes resource: what discovery, OpenAPI v3 and the routes derive from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from aiohttp import web

Object = dict[str, Any]
Desire = Callable[[Object], Object]  # the stored object as rendered -> the object wanted


def column(name: str, description: str, *, type: str = "string", priority: int = 0,
           format: str = "") -> dict[str, Any]:
    """A Table columnDefinition; priority 1 columns show only with `-o wide`."""
    return {"name": name, "type": type, "format": format, "priority": priority,
            "description": description}


class Adapter(Protocol):
    """What a resource does for each verb; the REST handlers do the HTTP around it."""

    columns: list[dict[str, Any]]  # Table columns after Name

    def cells(self, request: web.Request, obj: Object) -> list[Any]: ...

    async def list(self, request: web.Request) -> list[Object]: ...

    async def get(self, request: web.Request, name: str) -> Object: ...

    async def create(self, request: web.Request, obj: Object, dry_run: bool) -> Object: ...

    async def update(self, request: web.Request, name: str, desire: Desire,
                     dry_run: bool) -> Object: ...

    async def delete(self, request: web.Request, name: str, dry_run: bool) -> Object: ...

    async def delete_collection(self, request: web.Request, objs: list[Object],
                                dry_run: bool) -> list[Object]: ...


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    verbs: tuple[str, ...]
    adapter: Any
    description: str
    schema: str | None = None  # schemas/<schema>.json: body validation and OpenAPI v3
    audit: str = ""  # audit event prefix ("token" -> token.create, token.update, ...)
    create_handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
    short_names: tuple[str, ...] = field(default=())

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def discovery(self) -> dict[str, Any]:
        return {"name": self.plural, "singularName": self.singular, "namespaced": False,
                "group": self.group, "version": self.version, "kind": self.kind,
                "verbs": sorted(self.verbs)}
