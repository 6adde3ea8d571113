"""Kube lists as Kubernetes pages them: `limit`, an opaque `continue`, `remainingItemCount`.

Objects are read from the adapter `READ` at a time, in name order, and never held
whole: a list without `limit` is written out as it is read into the one body it answers
with; a list with one holds at most min(limit, PAGE) objects (a server may
return fewer than `limit`, with a `continue`, as Kubernetes says clients must expect).
A `continue` names where the next page starts, so it never expires (no 410); unlike
Kubernetes' snapshot, a later page shows the objects as they are when it is read. A
`continue` this server did not make is a 400, as Kubernetes answers a malformed one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, AsyncIterator, Callable

import orjson
from aiohttp import web

from shim.errors import ApiError, brief
from shim.faces import http
from shim.faces.kube.resource import Object, Resource
from shim.faces.kube.selectors import parse_field_selector, parse_label_selector

PAGE = 500  # kubectl's default --chunk-size: the most objects a page holds
READ = 100  # objects read from the store at once (up to 3 MB of metadata)
_VERSION = "meta.k8s.io/v1"


def continue_token(name: str) -> str:
    raw = json.dumps({"v": _VERSION, "start": name}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def continue_from(token: str | None) -> str | None:
    """The name a `continue` starts after; 400 for one this server did not make."""
    if token is None or token == "":
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if found.get("v") == _VERSION and isinstance(found.get("start"), str):
            return found["start"]
    except (ValueError, AttributeError, binascii.Error):
        pass
    raise ApiError(400, "BadRequest", f"continue key is not valid: {brief(token)}")


def page_size(request: web.Request) -> int | None:
    raw = request.query.get("limit")
    if raw is None or raw == "" or raw == "0":  # 0: no limit, as Kubernetes reads it
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "BadRequest", f"limit must be a positive integer, not {brief(raw)}")
    return min(int(raw), PAGE)


class Selection:
    """The selectors of a list request, parsed once."""

    def __init__(self, request: web.Request) -> None:
        self.labels = parse_label_selector(request.query.get("labelSelector", ""))
        self.names = parse_field_selector(request.query.get("fieldSelector", ""))

    @property
    def everything(self) -> bool:
        return not self.labels and not self.names

    def __call__(self, obj: Object) -> bool:
        labels = obj["metadata"].get("labels") or {}
        return (all(test(labels) for test in self.labels)
                and all(test(obj["metadata"]["name"]) for test in self.names))


async def objects(resource: Resource, request: web.Request, after: str | None,
                  first: int = READ) -> AsyncIterator[Object]:
    """Every object after `after`, in name order: `first` of them, then READ at a time,
    letting other requests run between reads (SQLite reads on the event loop)."""
    size = min(first, READ)
    while True:
        page = await _page(resource, request, after, size)
        for obj in page:
            yield obj
        if len(page) < size:
            return
        after, size = page[-1]["metadata"]["name"], READ
        await asyncio.sleep(0)


async def _page(resource: Resource, request: web.Request, after: str | None,
                size: int) -> list[Object]:
    pager = getattr(resource.adapter, "page", None)
    if pager is not None:
        return await pager(request, after, size)
    every = sorted(await resource.adapter.list(request), key=_name)  # a few settings
    return [o for o in every if after is None or _name(o) > after][:size]


async def _remaining(resource: Resource, request: web.Request, after: str) -> int | None:
    counter = getattr(resource.adapter, "count_after", None)
    if counter is not None:
        return await counter(request, after)
    return sum(1 for o in await resource.adapter.list(request) if _name(o) > after)


def _name(obj: Object) -> str:
    return obj["metadata"]["name"]


async def respond(resource: Resource, request: web.Request, head: dict[str, Any],
                  items: str, shown: Callable[[Object], Any]) -> web.Response:
    """`head` (kind, apiVersion, ...) with `items` (the key: items, rows) of `shown(obj)`
    for each selected object, paged as the request asks."""
    selection, after = Selection(request), continue_from(request.query.get("continue"))
    size = page_size(request)
    if size is None:
        return http.respond_json(await _whole(resource, request, selection, after, head,
                                              items, shown))
    found, more = [], False
    async for obj in objects(resource, request, after, first=size + 1):
        if len(found) == size:
            more = True
            break
        if selection(obj):
            found.append(obj)
    metadata: dict[str, Any] = {}
    if more and found:
        metadata["continue"] = continue_token(_name(found[-1]))
        if selection.everything:  # as Kubernetes: not counted under selectors
            remaining = await _remaining(resource, request, _name(found[-1]))
            if remaining is not None:
                metadata["remainingItemCount"] = remaining
    return http.respond(head | {"metadata": metadata, items: [shown(o) for o in found]})


async def _whole(resource: Resource, request: web.Request, selection: Selection,
                 after: str | None, head: dict[str, Any], items: str,
                 shown: Callable[[Object], Any]) -> bytearray:
    """The whole list's JSON, written a page at a time (one copy of it in memory)."""
    body = bytearray(orjson.dumps(head | {"metadata": {}, items: []})[:-3])  # ..."items":
    body += b"["
    first = True
    async for obj in objects(resource, request, after):
        if selection(obj):
            body += (b"" if first else b",") + orjson.dumps(shown(obj))
            first = False
    body += b"]}"
    return body
