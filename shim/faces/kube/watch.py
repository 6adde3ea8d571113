"""`?watch=true` on the kube face's lists (kubectl get -w, informers): `ADDED`, `MODIFIED`
and `DELETED` events, one JSON object a line, found by re-reading the list whenever the
process's change feed moves (shim/feed.py) and comparing resourceVersions.

Without `resourceVersion` (or with "0") the stream starts with an ADDED per object, as
Kubernetes does; with one, only later changes are sent (the list's state is the start).
The stream ends after `timeoutSeconds` (at most 30 minutes: clients re-watch), once the
session that opened it is deleted or dead, when the client goes, or when the server stops."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import orjson
from aiohttp import web

from shim.faces import http
from shim.faces.kube.resource import Object
from shim.keys import FEED

MAX_SECONDS = 1800
CHECK_SECONDS = 30.0  # how often a quiet watch checks its session and its client
Reader = Callable[[], Awaitable[list[Object]]]
Shape = Callable[[Object], Object]  # the object as sent (a Table row when asked)


def wanted(request: web.Request) -> bool:
    return request.query.get("watch") in ("true", "1")


async def stream(request: web.Request, read: Reader, shape: Shape) -> web.StreamResponse:
    seconds = _timeout(request.query.get("timeoutSeconds"))
    response = web.StreamResponse(headers={"Content-Type": "application/json",
                                           "Cache-Control": "no-store"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    known = _by_name(await read())
    if request.query.get("resourceVersion", "") in ("", "0"):
        for obj in known.values():
            await _send(response, "ADDED", shape(obj))
    feed, loop = request.app[FEED], asyncio.get_running_loop()
    seen, deadline = feed.generation, loop.time() + seconds
    token_id = http.principal(request).token.id
    while loop.time() < deadline and not feed.closed:
        seen = await feed.wait(seen, min(CHECK_SECONDS, deadline - loop.time()))
        gone = request.transport is None or request.transport.is_closing()
        if gone or feed.closed or not await http.session_alive(request, token_id):
            break
        now = _by_name(await read())
        for name, obj in now.items():
            if name not in known:
                await _send(response, "ADDED", shape(obj))
            elif _version(obj) != _version(known[name]):
                await _send(response, "MODIFIED", shape(obj))
        for name in known.keys() - now.keys():
            await _send(response, "DELETED", shape(known[name]))
        known = now
    await response.write_eof()
    return response


def _timeout(raw: str | None) -> float:
    if raw is None or not raw.isdigit():
        return MAX_SECONDS
    return min(int(raw), MAX_SECONDS)


def _by_name(objs: list[Object]) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objs}


def _version(obj: Object) -> str:
    return obj["metadata"].get("resourceVersion", "")


async def _send(response: web.StreamResponse, kind: str, obj: Object) -> None:
    await response.write(orjson.dumps({"type": kind, "object": obj}) + b"\n")
